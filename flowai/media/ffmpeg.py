"""ffmpeg as a subprocess: where the binary is, how it is run, and what a media file holds.

The binary comes from ``imageio-ffmpeg`` (a static ffmpeg inside the wheel, no download at run
time); ``FLOWAI_FFMPEG`` points at another one. Every argument is built by FlowAI from numbers,
enumerated options and paths of files FlowAI wrote: no user text reaches a command line. Inputs
are read with ``-protocol_whitelist file`` so a media file cannot make ffmpeg fetch a URL.

There is no ffprobe in the wheel: :func:`probe` reads ``ffmpeg -i``'s own description of a file
(its ``Duration:`` line and one ``Stream #`` line per stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flowai.errors import NodeError

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_STREAM = re.compile(r"Stream #\d+:\d+(?:\[\w+\])?(?:\(\w+\))?: (Video|Audio): ([^\n]*)")
_SIZE = re.compile(r"(?<![\dx])(\d{2,5})x(\d{2,5})(?![\dx])")


class FFmpegError(NodeError):
    """ffmpeg refused or failed; the message carries its last lines of output (no paths of ours)."""


@cache
def executable() -> str:
    configured = os.environ.get("FLOWAI_FFMPEG")
    if configured:
        return configured
    import imageio_ffmpeg  # imported here: only media nodes need it

    return imageio_ffmpeg.get_ffmpeg_exe()


def input_args(path: Path | str, *before: str) -> list[str]:
    """``-i path`` for a local file FlowAI wrote, with every network protocol refused."""
    return [*before, "-protocol_whitelist", "file", "-i", str(path)]


async def run(args: list[str], *, workdir: Path | None = None) -> bytes:
    """Run ffmpeg with ``args``; return its stdout. Cancelling kills the process."""
    proc = await asyncio.create_subprocess_exec(
        executable(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=workdir,
    )
    try:
        out, err = await proc.communicate()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        if workdir is not None:
            tail = [line.replace(str(workdir), ".") for line in tail]
        raise FFmpegError("ffmpeg failed: " + " | ".join(tail or [f"exit code {proc.returncode}"]))
    return out


@dataclass(frozen=True, slots=True)
class MediaInfo:
    duration: float | None  # seconds; None for a still image
    video: bool  # has a video (or image) stream
    audio: bool
    width: int | None = None
    height: int | None = None


async def probe(path: Path | str) -> MediaInfo:
    """Duration, streams and frame size of a local media file."""
    proc = await asyncio.create_subprocess_exec(
        executable(),
        "-hide_banner",
        "-nostdin",
        *input_args(path),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    return parse_info(err.decode("utf-8", "replace"))


def parse_info(text: str) -> MediaInfo:
    if "Invalid data found" in text or "No such file" in text:
        raise FFmpegError("The file is not an audio, video or image file ffmpeg can read.")
    match = _DURATION.search(text)
    duration = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3]) if match else None
    video = audio = False
    width = height = None
    for kind, rest in _STREAM.findall(text):
        if kind == "Audio":
            audio = True
        elif not video:
            video = True
            size = _SIZE.search(rest)
            if size:
                width, height = int(size[1]), int(size[2])
    if not (video or audio):
        raise FFmpegError("The file has no audio or video stream.")
    still = video and not audio and (duration is None or "image2" in text or "_pipe" in text)
    return MediaInfo(None if still else duration, video, audio, width, height)
