"""A studio upload (``multipart/form-data`` with ``file`` and text fields), stored as the caller's file:
400 / 40002 for a type the route does not take, 413 / 40003 beyond the upload limit."""

from __future__ import annotations

from anyio import to_thread
from fastapi import Request
from starlette.datastructures import UploadFile

from flowai.errors import InputError, TooLargeError
from flowai.media import ffmpeg
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


async def audio_seconds(files: Files, row: StoredFile) -> float:
    """The stored upload's length in seconds; 400 / 40002 when ffmpeg finds no sound in it."""
    try:
        info = await ffmpeg.probe(files.path(row.id))
    except Exception:  # noqa: BLE001 - any probe failure means the file is not audio we can read
        info = None
    if info is None or not info.audio or not info.duration:
        raise UnsupportedFileError(
            f"The {row.type} file holds no sound ffmpeg can read; upload mp3, wav, m4a, ogg or flac.",
            detail={"type": row.type},
        )
    return round(info.duration, 3)
