"""The files a finished run produced, copied to where the user wants them (``flowai run --out``,
``flowai batch --out DIR --name-template ...`` or a line's ``output_path``).

A run's files are the server's ``/files/<id>`` links in its output (``flowai.client.files_in``), read
straight from the media store. A destination is either

- a file path (``out/fox.png``): the run's first file is written there, the next ones beside it as
  ``fox_1.png``, ``fox_2.png``; ``{ext}`` in it becomes the file's type (``out/fox.{ext}``); or
- a folder (an existing directory, or a path ending in ``/``) with a name template filled per file
  (``{index}``, ``{input.<field>}``, ``{n}``, ``{ext}``, ``{run_id}``; ``numbered`` names when the
  template has no ``{n}``). A name made from input values must stay inside the folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flowai.client import extension, files_in, format_name, numbered
from flowai.errors import FlowAIError, InputError

DEFAULT_TEMPLATE = "{index:03d}_{n}.{ext}"


class SaveError(FlowAIError):
    code, status = 50003, 500


def is_folder(path: str | os.PathLike) -> bool:
    text = os.fspath(path)
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def save_outputs(
    files,
    output: Any,
    destination: str | os.PathLike,
    *,
    template: str | None = None,
    index: int = 1,
    run_input: dict[str, Any] | None = None,
    run_id: str | None = None,
) -> list[Path]:
    """Copy every file of ``output`` (a run's output) from the media store ``files`` to ``destination``.

    Raises InputError for a template that cannot be filled or a name leaving the folder, SaveError
    when a file cannot be read or written."""
    urls = files_in(output)
    folder = is_folder(destination)
    saved = []
    for n, url in enumerate(urls):
        row, source = _open(files, url)
        ext = extension(row.type, row.name)
        if folder:
            base = Path(destination)
            name = format_name(
                template or DEFAULT_TEMPLATE, index=index, input=run_input or {}, ext=ext, n=n, run_id=run_id
            )
            if template and "{n" not in template:
                name = numbered(name, n)
            target = base / name
            if base.resolve() not in target.resolve().parents:
                raise InputError(f"The file name {name!r} made from the template leaves the folder {str(base)!r}.")
        else:
            target = Path(numbered(os.fspath(destination).replace("{ext}", ext), n))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        except OSError as exc:
            raise SaveError(f"Could not write {target}: {exc.strerror or exc}.") from None
        saved.append(target)
    return saved


def _open(files, url: str):
    """The stored file behind one of the server's signed ``/files/<id>`` links: (record, path)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    exp, sig = (query.get(k, [""])[0] or None for k in ("exp", "sig"))
    try:
        return files.open_signed(parts.path.rsplit("/", 1)[-1], exp, sig)
    except FlowAIError as exc:
        raise SaveError(f"The produced file {parts.path} cannot be read: {exc.message}") from None
