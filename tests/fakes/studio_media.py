"""Real small media for the studio fakes: PNG pictures (Pillow), WAV / MP3 tones and MP4 clips (ffmpeg).

Everything is made in memory or in a temporary folder, small (a few kB), and cached by its
parameters, so a fake answers as fast as a file server. Tones are sines at a known frequency and
amplitude, so a test can find each sound again in a mix (a band-pass filter around it).
"""

from __future__ import annotations

import io
import math
import struct
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw

from flowai.media import ffmpeg

COLOURS = ("navy", "teal", "olive", "maroon", "purple", "gray", "orange", "green", "brown")


def _ffmpeg(*args: str, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"out{suffix}"
        subprocess.run(
            [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args, str(out)],
            check=True,
            timeout=60,
        )
        return out.read_bytes()


@lru_cache(maxsize=64)
def picture(seed: int, width: int = 480, height: int = 270) -> bytes:
    """A PNG of one colour with a lighter square (so frames differ by seed)."""
    image = Image.new("RGB", (width, height), COLOURS[seed % len(COLOURS)])
    ImageDraw.Draw(image).rectangle((width // 4, height // 4, width // 2, height // 2), fill="white")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@lru_cache(maxsize=8)
def grid(rows: int = 3, cols: int = 3, cell: tuple[int, int] = (320, 180)) -> bytes:
    """A storyboard sheet: ``rows`` x ``cols`` panels of different colours, as one PNG."""
    w, h = cell
    image = Image.new("RGB", (w * cols, h * rows))
    draw = ImageDraw.Draw(image)
    for i in range(rows * cols):
        x, y = (i % cols) * w, (i // cols) * h
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=COLOURS[i % len(COLOURS)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@lru_cache(maxsize=64)
def tone_wav(seconds: float, freq: int, amplitude: float = 0.5, rate: int = 48000) -> bytes:
    """A mono 16-bit WAV of a sine at ``freq`` Hz lasting ``seconds``."""
    frames = int(seconds * rate)
    scale = amplitude * 32767
    samples = struct.pack(f"<{frames}h", *(int(scale * math.sin(2 * math.pi * freq * i / rate)) for i in range(frames)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)
    return out.getvalue()


@lru_cache(maxsize=16)
def tone_mp3(seconds: float, freq: int) -> bytes:
    """An MP3 of a sine at ``freq`` Hz lasting ``seconds`` (ffmpeg's encoder)."""
    return _ffmpeg(
        "-f", "lavfi", "-t", f"{seconds}", "-i", f"sine=frequency={freq}:sample_rate=48000",
        "-c:a", "libmp3lame", "-b:a", "64k", suffix=".mp3",
    )  # fmt: skip


@lru_cache(maxsize=32)
def clip(seconds: float, seed: int = 0, size: str = "320x180") -> bytes:
    """A silent H.264 MP4 of a moving test pattern lasting ``seconds`` (as image-to-video models answer)."""
    return _ffmpeg(
        "-f", "lavfi", "-t", f"{seconds}", "-i", f"testsrc2=s={size}:r=25",
        "-vf", f"hue=h={seed * 40}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", suffix=".mp4",
    )  # fmt: skip
