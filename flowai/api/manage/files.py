"""Files: ``POST /files`` (multipart, field ``file``) → a signed URL usable as a workflow input.

The upload is parsed from the request stream after sign-in (FastAPI's ``UploadFile`` would
spool the whole body before any check); each chunk goes straight to ``flowai.media.files.Upload``,
which enforces the size limit as it writes (413 ``40003``) and decides the type from the bytes
(400 ``40002`` for anything not allowed). ``GET /files``, ``GET /files/{id}`` (a fresh signed
URL) and ``DELETE /files/{id}`` are owner-scoped like every resource: 40301 for another
account's file, 40402 for none.

``routes`` holds the plain Starlette route serving the signed URLs, ``GET /files/{file_id}?exp=&sig=``,
for the parent app (beside the run API, outside ``/api/v1``): any bad, expired or foreign
signature, or an id that is not a server-made one, answers 404 without touching the disk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from flowai.access.users import Account as User  # the signed-in account
from flowai.api.http import error_response
from flowai.errors import FlowAIError, InputError, NotFoundError, TooLargeError
from flowai.media.files import FILE_ID, Files, StoredFile, Upload

from .common import Page, current_user, fail, ok, platform_of
from .resources import iso, not_found_as_40402, owned

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks  # defined for type checkers only

router = APIRouter(tags=["files"], dependencies=[Depends(not_found_as_40402)])

FIELD = "file"
OVERHEAD = 64 * 1024  # multipart framing allowed on top of the file itself
UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {
                        FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "png, jpeg, gif, webp; mp3, wav, ogg, flac, m4a; UTF-8 .txt/.md/.csv/"
                            ".json; pdf. The type is read from the bytes.",
                        }
                    },
                }
            }
        },
    }
}


def file_item(files: Files, row: StoredFile) -> dict:
    signed = files.signed_url(row.id)
    return {
        "id": row.id,
        "url": signed.url,
        "name": row.name,
        "type": row.type,
        "size": row.size,
        "created_at": iso(row.created_at),
        "url_expires_at": signed.expires_at,
    }


class _MultipartUpload:
    """Feeds the one ``file`` part of a multipart body into an ``Upload`` as it arrives."""

    def __init__(self, files: Files, owner_id: int):
        self.files, self.owner_id = files, owner_id
        self.upload: Upload | None = None
        self.pending: list[bytes] = []
        self._header_name = self._header_value = b""
        self._disposition = b""
        self._in_file = False
        self._field_bytes = 0

    # python-multipart callbacks (synchronous; the file writes happen between chunks)
    def on_part_begin(self) -> None:
        self._disposition, self._in_file = b"", False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name != FIELD or b"filename" not in options:
            return  # other fields are ignored (bounded below)
        if self.upload is not None:
            raise InputError("Send one file per upload.")
        filename = options[b"filename"].decode("utf-8", "replace")
        self.upload = self.files.upload(owner_id=self.owner_id, name=filename)
        self._in_file = True

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.pending.append(data[start:end])
        else:
            self._field_bytes += end - start
            if self._field_bytes > OVERHEAD:
                raise TooLargeError("The form fields beside the file are too large.")

    def on_part_end(self) -> None:
        self._in_file = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    async def flush(self) -> None:
        if self.pending and self.upload is not None:
            data, self.pending = b"".join(self.pending), []
            await to_thread.run_sync(self.upload.write, data)


@router.post("/files", status_code=201, summary="Upload a file (multipart field 'file')", openapi_extra=UPLOAD_DOC)
async def upload_file(request: Request, user: User = Depends(current_user)):
    files = platform_of(request).files
    form = _MultipartUpload(files, user.id)
    try:
        try:
            parser = _parser(request, files, form)
            async for chunk in request.stream():
                parser.write(chunk)
                await form.flush()
            parser.finalize()
            await form.flush()
        except ClientDisconnect:
            return Response(status_code=499)
        except FormParserError:
            return _refuse(InputError("The multipart body is malformed."))
        except FlowAIError as exc:  # the rest of the body is unread: answer, and close the connection
            return _refuse(exc)
        if form.upload is None:
            raise InputError(f"No file in the upload; send it in a multipart field named '{FIELD}'.")
        row = await to_thread.run_sync(form.upload.finish)
    finally:
        if form.upload is not None:
            form.upload.discard()  # the partial file, if any (a finished one has been moved already)
    return ok(file_item(files, row), status_code=201)


def _parser(request: Request, files: Files, form: _MultipartUpload) -> MultipartParser:
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InputError(f"Send multipart/form-data with the file in a field named '{FIELD}'.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > files.max_bytes + OVERHEAD:
        raise TooLargeError(
            f"The file is larger than the upload limit of {files.max_bytes} bytes.", detail={"limit": files.max_bytes}
        )
    return MultipartParser(boundary, form.callbacks())


def _refuse(exc: FlowAIError) -> Response:
    """An error before the body was read to its end: ``Connection: close`` stops the client
    sending the rest (otherwise the server would have to read and discard all of it)."""
    return fail(exc.code, exc.message, exc.status, exc.detail, headers={"Connection": "close"})


def _mine(request: Request, user: User, file_id: str) -> StoredFile:
    row = platform_of(request).files.get(file_id)
    owned(row.owner_id if row is not None else None, user, "File", file_id)
    assert row is not None  # (owned raised otherwise)
    return row


@router.get("/files", summary="List your uploaded files (with fresh signed URLs)")
def list_files(request: Request, page: Page = Depends(), user: User = Depends(current_user)):
    files = platform_of(request).files
    rows, total = files.page(owner_id=user.id, offset=page.offset, limit=page.page_size)
    return ok(page.answer([file_item(files, r) for r in rows], total))


@router.get("/files/{file_id}", summary="One file's details and a fresh signed URL")
def get_file(file_id: str, request: Request, user: User = Depends(current_user)):
    return ok(file_item(platform_of(request).files, _mine(request, user, file_id)))


@router.delete("/files/{file_id}", summary="Delete a file (its URLs stop working)")
def delete_file(file_id: str, request: Request, user: User = Depends(current_user)):
    _mine(request, user, file_id)
    platform_of(request).files.delete(file_id)
    return ok({"id": file_id, "deleted": True})


# served outside /api/v1: the signed URL is the authorisation ---------------------------------


async def serve_file(request) -> Response:
    files: Files = request.app.state.platform.files
    file_id = request.path_params["file_id"]
    try:
        if not FILE_ID.match(file_id):
            raise NotFoundError("File not found, or its link is invalid or has expired.")
        row, path = await to_thread.run_sync(
            files.open_signed, file_id, request.query_params.get("exp"), request.query_params.get("sig")
        )
    except FlowAIError as exc:
        return error_response(exc)
    return FileResponse(
        path,
        media_type=row.type,
        filename=row.name,
        content_disposition_type="inline",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


routes = [Route("/files/{file_id}", serve_file, methods=["GET", "HEAD"])]
