"""Check a rendered docsite page: its <title>, the ids in its ansible option tables, and texts it must contain.

Usage: python check_html.py PAGE.html [--title TEXT] [--option-ids ID,ID,...] [--contains TEXT ...]
PAGE.html is either Sphinx's output or the DOM a headless browser dumped from it (chromium --dump-dom).
Exit 0 when everything is there, 1 with one line per missing item otherwise.
"""
import argparse
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects the title, the ids inside <table class="... ansible-option-table ...">, and the text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.option_tables = 0
        self.option_ids = set()
        self.text = []
        self._in_title = False
        self._table_depth = 0  # depth of nested tables inside an option table

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "title":
            self._in_title = True
        if tag == "table":
            if self._table_depth:
                self._table_depth += 1
            elif "ansible-option-table" in (attrs.get("class") or "").split():
                self.option_tables += 1
                self._table_depth = 1
        if self._table_depth and attrs.get("id"):
            self.option_ids.add(attrs["id"])

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "table" and self._table_depth:
            self._table_depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        self.text.append(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("--title", default="")
    parser.add_argument("--option-ids", default="")
    parser.add_argument("--contains", action="append", default=[])
    args = parser.parse_args()
    page = Page()
    with open(args.page, encoding="utf-8") as handle:
        page.feed(handle.read())
    text = " ".join(" ".join(page.text).split())
    problems = []
    if args.title and args.title not in page.title:
        problems.append("title %r does not contain %r" % (page.title.strip(), args.title))
    wanted = [item for item in args.option_ids.split(",") if item]
    if wanted and not page.option_tables:
        problems.append("no option table (table.ansible-option-table) on the page")
    for item in wanted:
        if item not in page.option_ids:
            problems.append("option table has no row with id %r" % item)
    for item in args.contains:
        if " ".join(item.split()) not in text:
            problems.append("page text lacks %r" % item)
    for problem in problems:
        print("%s: %s" % (args.page, problem))
    if not problems:
        print("%s: ok (%d option tables, %d ids in them)" % (args.page, page.option_tables, len(page.option_ids)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
