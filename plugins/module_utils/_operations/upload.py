# -*- coding: utf-8 -*-
# Copyright: contributors to koreai.ai_for_process
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal to koreai.ai_for_process: the File Upload API.

A file up to ``chunk_size`` bytes goes in one multipart POST to
``/api/public/files``; a larger one goes through an upload session: start,
one POST per chunk (``chunkNumber`` counted from 0), complete. What the server
refuses as too large (HTTP 413) is sent again in smaller chunks. Either way the answer's file id is
what an import refers to. Uploads are POSTs, retried only where the server
cannot have acted (the client's rule).
"""

from ansible_collections.koreai.ai_for_process.plugins.module_utils._transport.http_errors import raise_for_status
from ansible_collections.koreai.ai_for_process.plugins.module_utils._core.errors import ApiError
from ansible_collections.koreai.ai_for_process.plugins.module_utils._jobs.dock_status import find_value, parse_json_object

FILE_ID_KEYS = ("fileId", "file_id", "_id", "id")
SESSION_ID_KEYS = ("sessionId", "session_id", "_id", "id")
IMPORT_SCOPE = "Import workflow"  # the key scope of uploads and imports
DEFAULT_CHUNK_SIZE = 25 * 1024 * 1024  # workflow_import's chunk_size
DEFAULT_FILE_CONTEXT = "bulkImport"  # workflow_import's file_context
SMALLEST_CHUNK = 256  # chunks are halved after an HTTP 413 down to this size
CONTENT_TYPE = "application/json"


def _answer_value(response, client, action, keys, what):
    raise_for_status(response, client, action, scope=IMPORT_SCOPE)
    value = find_value(parse_json_object(response, action), keys)
    if value in (None, "") or isinstance(value, (dict, list)):
        raise ApiError("%s: the answer holds no %s (looked for %s)" % (action, what, ", ".join(keys)),
                       status=response.status_code)
    return str(value)


def upload_file(client, file_name, content, file_context, chunk_size=DEFAULT_CHUNK_SIZE):
    """Upload content (bytes) as file_name; return the server's file id.

    A file the server refuses as too large (HTTP 413), whole or in chunks, is sent again in a new upload session
    with chunks half as large, down to SMALLEST_CHUNK bytes.
    """
    action = "upload of %s" % file_name
    if len(content) <= chunk_size:
        response = client.post(client.api_url("api", "public", "files"), data={"fileContext": file_context},
                               files={"file": (file_name, content, CONTENT_TYPE)})
        if response.status_code != 413:
            return _answer_value(response, client, action, FILE_ID_KEYS, "file id")
        chunk_size = max(len(content) // 2, SMALLEST_CHUNK)
    while True:
        try:
            return upload_in_session(client, file_name, content, file_context, chunk_size)
        except ApiError as exc:
            if exc.status != 413 or chunk_size <= SMALLEST_CHUNK:
                raise
            chunk_size = max(chunk_size // 2, SMALLEST_CHUNK)


def upload_in_session(client, file_name, content, file_context, chunk_size):
    """Upload content in chunks through an upload session; return the file id."""
    action = "upload session of %s" % file_name
    chunks = [content[offset:offset + chunk_size] for offset in range(0, len(content), chunk_size)] or [b""]
    response = client.post(client.api_url("api", "public", "files", "session", "start"), json={
        "fileContext": file_context, "totalChunks": len(chunks), "fileExtension": file_name.rsplit(".", 1)[-1],
        "fileName": file_name, "fileSize": len(content)})
    session_id = _answer_value(response, client, action, SESSION_ID_KEYS, "session id")
    for number, chunk in enumerate(chunks):
        response = client.post(client.api_url("api", "public", "files", "session", session_id),
                               data={"chunkNumber": str(number)}, files={"file": (file_name, chunk, CONTENT_TYPE)})
        raise_for_status(response, client, "%s, chunk %d of %d" % (action, number + 1, len(chunks)), scope=IMPORT_SCOPE)
    response = client.post(client.api_url("api", "public", "files", "session", session_id, "complete"))
    return _answer_value(response, client, action, FILE_ID_KEYS, "file id")
