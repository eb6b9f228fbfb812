"""A studio upload (``multipart/form-data`` with ``file`` and text fields), stored as the caller's file:
400 / 40002 for a type the route does not take, 413 / 40003 beyond the upload limit."""

from __future__ import annotations

from anyio import to_thread
from fastapi import Request
from starlette.datastructures import UploadFile

from flowai.errors import InputError, TooLargeError
from flowai.media.files import Files, StoredFile, UnsupportedFileError


async def read_upload(
    request: Request, files: Files, owner_id: int, *, kinds: tuple[str, ...]
) -> tuple[StoredFile, dict[str, str]]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InputError("Send multipart/form-data with the file in a field named 'file'.")
    form = await request.form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InputError("No file in the upload; send it in a multipart field named 'file'.")
    data = await upload.read(files.max_bytes + 1)
    if len(data) > files.max_bytes:
        raise TooLargeError(f"The file is larger than the upload limit of {files.max_bytes} bytes.")
    row = await to_thread.run_sync(lambda: files.save(owner_id=owner_id, name=upload.filename, data=data))
    if not row.type.startswith(kinds):
        files.delete(row.id)
        raise UnsupportedFileError(f"A {row.type} file is not taken here.", detail={"type": row.type})
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return row, fields
