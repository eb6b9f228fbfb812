"""Small audio facts the speech families need: a clip's duration (for STT usage) and PCM as WAV.

Only what the standard library can do cheaply: WAV headers exactly, MP3 by its first frame's
bit rate (exact for constant bit rate, an estimate otherwise). Anything else: ``None``.
"""

from __future__ import annotations

import io
import wave

from .base import Media

_MP3_BITRATES = {  # kbit/s by index, for MPEG-1 and MPEG-2/2.5 layer III
    1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}


def duration(media: Media) -> float | None:
    """Seconds of audio in ``media``, or None when the format is not one this module reads."""
    data = media.data
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(data)) as w:
                return w.getnframes() / float(w.getframerate())
        except (wave.Error, EOFError, ZeroDivisionError):
            return None
    if media.content_type == "audio/mpeg" or data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3"):
        return _mp3_duration(data)
    return None


def _mp3_duration(data: bytes) -> float | None:
    start = 0
    if data[:3] == b"ID3" and len(data) >= 10:  # skip the ID3v2 tag (synch-safe size)
        size = (data[6] & 0x7F) << 21 | (data[7] & 0x7F) << 14 | (data[8] & 0x7F) << 7 | (data[9] & 0x7F)
        start = 10 + size
    i = data.find(b"\xff", start)
    while 0 <= i < len(data) - 4:
        b1, b2 = data[i + 1], data[i + 2]
        if b1 & 0xE0 == 0xE0 and (b1 >> 1) & 3 == 1:  # frame sync, layer III
            version = 1 if (b1 >> 3) & 3 == 3 else 2
            kbps = _MP3_BITRATES[version][b2 >> 4] if (b2 >> 4) < 15 else 0
            if kbps:
                return (len(data) - i) * 8 / (kbps * 1000)
        i = data.find(b"\xff", i + 1)
    return None


def wav_from_pcm(pcm: bytes, *, rate: int, channels: int = 1, width: int = 2) -> bytes:
    """Raw little-endian PCM wrapped in a WAV header (what ElevenLabs' ``pcm_*`` formats send)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()
