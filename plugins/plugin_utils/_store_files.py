# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to this collection: the YAML files of an environment's store (ids, state), read and written with the
play's vault secrets, and where they go by default (relative to the source tree; resolved by _paths)."""

import os

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import is_encrypted

from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.options import PRIVATE_FILE
from ansible_collections.koreai.ai_for_process.plugins.module_utils._files.private_writes import write_private
from ansible_collections.koreai.ai_for_process.plugins.plugin_utils._ids_store import (
    StoreError, dump_yaml, parse_yaml)


def default_store_file(src, environment, folder, extension):
    """Where an environment's file goes when the role is not told: folder/<environment><extension> beside the
    source tree's directory as written (ids/prod.yml, promotions/prod.json), else in the base itself. The rule the
    stores already written were found by: a path that changes would lose their ids."""
    return os.path.join(os.path.dirname(src) if src else "", folder, environment + extension)


def state_file_of(ids_file):
    """The promotion state file beside an ids file: ids/prod.yml -> ids/prod.state.yml."""
    stem, ext = os.path.splitext(ids_file)
    return stem + ".state" + (ext or ".yml")


def journal_file_of(ids_file):
    """The creation journal beside an ids file: ids/prod.yml -> ids/prod.journal."""
    return os.path.splitext(ids_file)[0] + ".journal"


class VaultFile:
    """A YAML file that may be vault-encrypted: read with the play's secrets (from disk, or from bytes given, such as
    the file at a git remote's tip), rewritten the same way."""

    def __init__(self, loader, path, holds_secrets=False):
        self.loader = loader
        self.path = path
        self.holds_secrets = holds_secrets
        self.exists = os.path.exists(path)
        self.vault_id = None
        self.secret = None

    def read(self):
        """The file's mapping on disk ({} when missing); StoreError names the file and why it cannot be used."""
        if not self.exists:
            return {}
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise StoreError("%s cannot be read: %s" % (self.path, exc.strerror)) from None
        return self.parse(raw)

    def parse(self, raw, where=None):
        """The mapping of raw (the file's bytes; None: the file does not exist there), checked strictly."""
        self.exists = raw is not None
        if raw is None:
            return {}
        where = where or self.path
        if is_encrypted(raw):
            raw = self._decrypt(raw, where)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreError("%s is not UTF-8 text (nor a vault-encrypted file)" % where) from None
        return parse_yaml(text, where, show_content=not self.holds_secrets)

    def _decrypt(self, raw, where):
        vault = self.loader._vault  # pylint: disable=protected-access
        try:
            plaintext, self.vault_id, self.secret = vault.decrypt_and_get_vault_id(raw)
        except AnsibleError as exc:
            reason = to_text(exc.message if hasattr(exc, "message") else exc).splitlines()[0]
            raise StoreError("%s is vault-encrypted and cannot be decrypted with this play's vault secrets (%s): pass its "
                             "vault password (--vault-id or --ask-vault-pass)" % (where, reason)) from None
        return plaintext

    def encrypt_like(self, other):
        """Write encrypted with the secret another file of the store was read with."""
        if other.secret is not None and self.secret is None:
            self.vault_id, self.secret = other.vault_id, other.secret

    def render(self, doc, header):
        """The bytes of the file holding doc: encrypted again when it was read encrypted."""
        data = to_bytes(dump_yaml(doc, header))
        if self.secret is not None:
            vault = self.loader._vault  # pylint: disable=protected-access
            vault_id = None if self.vault_id in (None, "default") else self.vault_id
            data = vault.encrypt(data, self.secret, vault_id=vault_id)
        return data

    def write(self, doc, header):
        """Write the mapping atomically, 0600 from the first byte; return the bytes written."""
        data = self.render(doc, header)
        write_private(self.path, data, PRIVATE_FILE, durable=True, make_dirs=True)
        self.exists = True
        return data
