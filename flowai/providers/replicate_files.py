"""Files into and out of Replicate: which inputs of a model take files, and how FlowAI hands a file over.

**Which inputs take files.** Every property of the model's OpenAPI ``Input`` schema whose format is
``uri`` (or an array of them) takes a file. :func:`media_params` lists them with the media type
each expects, read from the schema's own words — the parameter's name, then its title and
description (``first_audio`` -> audio, ``video_file_input`` -> video, ``transcript_file_input`` ->
document, ``images`` -> image); a parameter whose words name no media type, or several ("a PDF or
an image of a page"), takes any ``file``. The
replicate node makes one input port per parameter (``params.<name>``) from this list.

**Hand-off** (:func:`hand_off`): Replicate must be able to fetch every file input; a relative
``/files/...`` URL never leaves FlowAI. For one of FlowAI's own files:

1. ``FLOWAI_PUBLIC_URL`` set: an absolute signed URL on that address (Replicate fetches it from
   this server; nothing is copied);
2. else, under ``data_uri_max`` bytes (1 MB, Replicate's limit for inline files): a ``data:`` URI;
3. else: uploaded through Replicate's files API (``POST /v1/files``, multipart ``content``,
   streamed from disk) and given as the answer's ``urls.get``; over Replicate's 100 MB file limit
   it is an error that says to set ``FLOWAI_PUBLIC_URL``.

A ``data:`` URI given as input follows 2-3; a public http(s) URL is passed as it is.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from flowai.mediatypes import LocalMedia, decode_data_uri
from flowai.ports import PortType

DATA_URI_MAX = 1_000_000  # Replicate takes data: URIs under 1 MB
FILES_API_MAX = 100 * 1000 * 1000  # Replicate's files API takes files up to 100 MB

_WORDS: tuple[tuple[PortType, frozenset[str]], ...] = (
    (PortType.VIDEO, frozenset({"video", "videos", "clip", "mp4", "movie"})),
    (PortType.AUDIO, frozenset({"audio", "audios", "voice", "speech", "music", "sound", "song", "wav", "mp3"})),
    (PortType.MODEL3D, frozenset({"mesh", "glb", "gltf", "3d"})),
    (PortType.DOCUMENT, frozenset({"document", "documents", "pdf", "docx", "transcript", "subtitles", "srt"})),
    (PortType.IMAGE, frozenset({"image", "images", "img", "photo", "picture", "mask", "frame", "png", "jpg"})),
)
_SPLIT = re.compile(r"[^a-z0-9]+")


def is_file_input(spec: dict[str, Any]) -> bool:
    """A ``format: uri`` property, or an array of them."""
    if spec.get("format") == "uri":
        return True
    items = spec.get("items")
    return spec.get("type") == "array" and isinstance(items, dict) and items.get("format") == "uri"


def expected_kind(name: str, spec: dict[str, Any]) -> PortType:
    """The media type a file input expects, from its name, then its title, then its description."""
    for text in (name, str(spec.get("title") or ""), str(spec.get("description") or "")):
        words = set(_SPLIT.split(text.lower()))
        kinds = [kind for kind, names in _WORDS if words & names]
        if kinds:
            return kinds[0] if len(kinds) == 1 else PortType.FILE  # "a PDF or an image": any file
    return PortType.FILE


def media_params(schema: dict | None) -> dict[str, PortType]:
    """Every file input of a model's ``Input`` schema with the media type it expects, in ``x-order``."""
    props = (schema or {}).get("properties") or {}
    ordered = sorted(props.items(), key=lambda kv: kv[1].get("x-order", 1_000_000) if isinstance(kv[1], dict) else 0)
    return {name: expected_kind(name, spec) for name, spec in ordered if isinstance(spec, dict) and is_file_input(spec)}


async def hand_off(client, value: str, local: LocalMedia | None) -> str:
    """``value`` as something Replicate can fetch (see the module's text). ``local`` describes it when
    it is one of FlowAI's own files. ``client``: a ``Replicate`` (``data_uri_max``, ``upload_file``)."""
    if local is not None:
        if local.public_url:
            return local.public_url
        if local.size < client.data_uri_max:
            data = local.path.read_bytes()
            return f"data:{local.content_type};base64,{base64.b64encode(data).decode()}"
        return await client.upload_file(local.path, local.content_type)
    if value.startswith("data:") and len(value) * 3 // 4 >= client.data_uri_max:
        data, mime = decode_data_uri(value, FILES_API_MAX)
        return await client.upload_bytes(data, mime)
    return value
