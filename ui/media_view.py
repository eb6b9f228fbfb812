"""A value that may be media, shown as media: image, audio and video players, a download link for
any other file (3D models, documents, JSON), and anything else left to the caller as text.

    from .media_view import render
    if not render(value, kind=port_type, type_of=lookup):   # a URL, a list of URLs, or an object of them
        ui.label(str(value))
    render(run_output, partial=True)   # also the media among an object's other values (shown as text too)

A URL counts as media when it is http(s) or one of this server's ``/files/`` URLs. Its kind comes
from the port type when that is a player kind, else from ``type_of(url)`` (the stored file's type,
for ``/files/`` URLs, which carry no extension), else from the URL's extension. Every URL is an
attribute value (``src``/``href``), never markup: an SVG is only ever an ``<img>`` (a browser runs
no script in an image), never inlined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from .i18n import t

PLAYERS = ("image", "audio", "video")
FILE_KINDS = ("document", "model3d", "file")
MEDIA_EXT = {
    "image": (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"),
    "audio": (".mp3", ".wav", ".ogg", ".m4a", ".flac"),
    "video": (".mp4", ".webm", ".mov"),
    "file": (".glb", ".pdf", ".docx", ".epub", ".json", ".srt", ".ply", ".zip"),
}
MAX_ITEMS = 20  # media shown from one list or object; the rest stay text
TypeOf = Callable[[str], str | None]


def is_url(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 4000 and value.startswith(("http://", "https://", "/files/"))


def kind_of(url: Any, port: str | None = None, type_of: TypeOf | None = None) -> str | None:
    """``image``/``audio``/``video`` (a player), ``file`` (a download link), or None (not media)."""
    if not is_url(url):
        return None
    if port in PLAYERS:
        return port
    mime = type_of(url) if type_of is not None and url.startswith("/files/") else None
    if mime:
        top = mime.split("/", 1)[0]
        return top if top in PLAYERS else "file"
    path = url.split("?", 1)[0].lower()
    for name, exts in MEDIA_EXT.items():
        if path.endswith(exts):
            return name
    return "file" if port in FILE_KINDS else None


def render(value: Any, *, kind: str | None = None, type_of: TypeOf | None = None, partial: bool = False) -> bool:
    """Show ``value`` as media and return True when it is a media URL, a list of them or an object
    whose values are (each shown with its key); else show nothing and return False. ``partial``:
    an object's media values are shown even when it holds other values too (the caller shows those)."""
    if isinstance(value, list) and value and len(value) <= MAX_ITEMS:
        kinds = [kind_of(v, kind, type_of) for v in value]
        if not all(kinds):
            return False
        for url, k in zip(value, kinds):
            _one(url, k)
        return True
    if isinstance(value, dict) and value and len(value) <= MAX_ITEMS:
        kinds = [kind_of(v, None, type_of) for v in value.values()]
        if not (all(kinds) or (partial and any(kinds))):
            return False
        for (key, url), k in zip(value.items(), kinds):
            if k is None:
                continue
            ui.label(str(key)).classes("text-xs font-mono text-gray-500")
            _one(url, k)
        return True
    found = kind_of(value, kind, type_of)
    if found is None:
        return False
    _one(value, found)
    return True


def _one(url: str, kind: str | None) -> None:
    if kind == "image":  # a plain <img>: src is an attribute; a broken link still shows as an image
        image = ui.element("img").classes("max-w-sm max-h-64 object-contain")
        image.props["src"] = url
        image.props["alt"] = url
    elif kind == "audio":
        ui.audio(url)
    elif kind == "video":
        ui.video(url).classes("max-w-md")
    else:
        link = ui.link(t("media_view.download"), url, new_tab=True)
        link.props["download"] = ""
    ui.label(url).classes("text-xs text-gray-500 break-all")
