"""Composition on ffmpeg (``flowai.media.compose``) on real small media the tests make with ffmpeg itself:
coloured frames, sine beeps, silence. Durations, streams and audio levels are read back from the output."""

from __future__ import annotations

import array
import math
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from flowai.errors import InputError
from flowai.media import ffmpeg
from flowai.media.compose import Composer, Cue, Step, to_srt

STEPS = TypeAdapter(list[Step])


async def make(workdir: Path, name: str, *lavfi: str, seconds: float = 1.0, extra: tuple = ()) -> Path:
    """A test medium from ffmpeg's generated sources (``color=...``, ``sine=...``)."""
    path = workdir / name
    args: list[str] = []
    for source in lavfi:
        args += ["-f", "lavfi", "-t", f"{seconds}", "-i", source]
    await ffmpeg.run([*args, *extra, str(path)])
    return path


async def clip(workdir: Path, name: str, colour: str, seconds: float, *, beep: int | None = 440) -> Path:
    sources = [f"color=c={colour}:s=320x240:r=25"] + ([f"sine=frequency={beep}:sample_rate=48000"] if beep else [])
    return await make(
        workdir,
        name,
        *sources,
        seconds=seconds,
        extra=("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest"),
    )


async def still(workdir: Path, name: str, colour: str) -> Path:
    return await make(workdir, name, f"color=c={colour}:s=160x120", seconds=0.04, extra=("-frames:v", "1"))


async def tone(workdir: Path, name: str, seconds: float, freq: int = 660) -> Path:
    return await make(workdir, name, f"sine=frequency={freq}:sample_rate=48000", seconds=seconds)


async def levels(path: Path, window: float = 0.1) -> list[float]:
    """RMS of the audio per ``window`` seconds (mono, 8 kHz PCM decoded by ffmpeg)."""
    raw = await ffmpeg.run([*ffmpeg.input_args(path), "-vn", "-ac", "1", "-ar", "8000", "-f", "s16le", "-"])
    samples = array.array("h", raw)
    size = int(8000 * window)
    return [
        math.sqrt(sum(s * s for s in samples[i : i + size]) / size) for i in range(0, len(samples) - size + 1, size)
    ]


@pytest.fixture
def composer(tmp_path):
    files = tmp_path / "in"
    files.mkdir()
    work = tmp_path / "work"
    work.mkdir()

    async def resolve(ref: str) -> Path:
        path = files / ref
        if not path.is_file():
            raise InputError(f"unknown medium {ref}")
        return path

    return Composer(work, resolve), files


async def test_concatenate_clips_with_and_without_a_crossfade(composer):
    c, files = composer
    await clip(files, "a.mp4", "red", 1.0)
    await clip(files, "b.mp4", "blue", 1.5, beep=None)  # no audio track: gets a silent one
    plain = await c.compose(STEPS.validate_python([{"op": "concat", "clips": ["a.mp4", "b.mp4"]}]))
    info = await ffmpeg.probe(plain)
    assert info.video and info.audio and (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(2.5, abs=0.1)
    faded = await c.compose(STEPS.validate_python([{"op": "concat", "clips": ["a.mp4", "b.mp4"], "crossfade": 0.5}]))
    assert (await ffmpeg.probe(faded)).duration == pytest.approx(2.0, abs=0.1)


async def test_animatic_from_stills_and_voice_lasts_the_sum_of_the_shots(composer):
    c, files = composer
    for name, colour in (("1.png", "red"), ("2.png", "green"), ("3.png", "blue")):
        await still(files, name, colour)
    await tone(files, "voice.wav", 1.7)
    steps = [
        {
            "op": "animatic",
            "shots": [
                {"image": "1.png", "duration": 1.2},
                {"image": "2.png", "audio": "voice.wav"},  # as long as its audio
                {"image": "3.png", "audio": "voice.wav", "duration": 0.8},  # audio cut to the shot
            ],
        }
    ]
    out = await c.compose(STEPS.validate_python(steps))
    info = await ffmpeg.probe(out)
    assert info.video and info.audio and (info.width, info.height) == (160, 120)
    assert info.duration == pytest.approx(1.2 + 1.7 + 0.8, abs=0.1)
    rms = await levels(out)
    assert max(rms[:10]) < 50  # the first shot is silent
    assert min(rms[14:27]) > 1000  # the voice plays under the second


async def test_music_under_a_video_fades_in_and_out(composer):
    c, files = composer
    await clip(files, "v.mp4", "navy", 4.0, beep=None)
    await tone(files, "music.wav", 1.0)  # shorter than the video: looped
    steps = [
        {"op": "concat", "clips": ["v.mp4"]},
        {"op": "music", "audio": "music.wav", "volume": 1.0, "fade_in": 1.0, "fade_out": 1.0},
    ]
    out = await c.compose(STEPS.validate_python(steps))
    info = await ffmpeg.probe(out)
    assert info.duration == pytest.approx(4.0, abs=0.1) and info.audio
    rms = await levels(out)
    middle = sum(rms[15:25]) / 10
    assert middle > 1500  # looped: still playing after the music file's own second
    assert rms[0] < middle * 0.3 and rms[-1] < middle * 0.3  # faded in, faded out
    assert rms[5] > rms[0] * 3


async def test_voiceover_replace_and_a_sound_effect_at_a_time(composer):
    c, files = composer
    await clip(files, "v.mp4", "gray", 3.0)
    await tone(files, "voice.wav", 1.0, freq=300)
    await tone(files, "boom.wav", 0.3, freq=900)
    replaced = await c.compose(
        STEPS.validate_python(
            [{"op": "concat", "clips": ["v.mp4"]}, {"op": "voiceover", "audio": "voice.wav", "mode": "replace"}]
        )
    )
    rms = await levels(replaced)
    assert min(rms[1:9]) > 1000 and max(rms[12:29]) < 50  # the voice, then silence (the beep is gone)
    silent = await c.compose(
        STEPS.validate_python(
            [
                {"op": "concat", "clips": ["v.mp4"]},
                {"op": "voiceover", "audio": "voice.wav", "mode": "replace", "volume": 0},
                {"op": "sfx", "audio": "boom.wav", "at": 2.0},
            ]
        )
    )
    rms = await levels(silent)
    assert max(rms[:19]) < 50 and min(rms[21:23]) > 1000


async def test_subtitles_watermark_and_resize_keep_duration_and_streams(composer):
    c, files = composer
    await clip(files, "v.mp4", "black", 2.0)
    await still(files, "logo.png", "yellow")
    steps = [
        {"op": "concat", "clips": ["v.mp4"]},
        {
            "op": "subtitles",
            "cues": [{"start": 0, "end": 1, "text": "林舟推开旧书店的门。"}, {"start": 1, "end": 2, "text": "Hello"}],
        },
        {"op": "watermark", "image": "logo.png", "position": "top-left", "scale": 0.25, "opacity": 1},
        {"op": "resize", "width": 640, "height": 360},
    ]
    out = await c.compose(STEPS.validate_python(steps))
    info = await ffmpeg.probe(out)
    assert (info.width, info.height) == (640, 360) and info.audio
    assert info.duration == pytest.approx(2.0, abs=0.1)
    frame = c.workdir / "frame.rgb"
    await ffmpeg.run([*ffmpeg.input_args(out), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", str(frame)])
    pixels = frame.read_bytes()

    def rgb(x: int, y: int) -> tuple[int, ...]:
        return tuple(pixels[(y * 640 + x) * 3 : (y * 640 + x) * 3 + 3])

    # 320x240 padded into 640x360: the picture spans x 80..560; the logo (a quarter of the width, 16 px in)
    # spans x 104..224, y 24..114 of the output
    r, g, b = rgb(150, 60)
    assert r > 180 and g > 180 and b < 80
    assert rgb(20, 60) == (0, 0, 0)  # the padding


async def test_audio_only_concat_with_music_is_one_audio_file(composer):
    c, files = composer
    await tone(files, "host.wav", 1.0, freq=300)
    await tone(files, "guest.wav", 1.5, freq=500)
    await tone(files, "bed.wav", 0.5, freq=200)
    out = await c.compose(
        STEPS.validate_python(
            [
                {"op": "concat", "clips": ["host.wav", "guest.wav"]},
                {"op": "music", "audio": "bed.wav", "volume": 0.2, "fade_out": 0.5},
            ]
        )
    )
    info = await ffmpeg.probe(out)
    assert out.suffix == ".mp3" and info.audio and not info.video
    assert info.duration == pytest.approx(2.5, abs=0.1)


def test_subtitle_text_never_reaches_a_command_line_and_override_tags_are_dropped():
    text = "a'b:c,d;[e]\\f {\\fs200}big</font>"
    srt = to_srt([Cue(start=0, end=1.5, text=text)])
    assert srt == "1\n00:00:00,000 --> 00:00:01,500\na'b:c,d;[e]\\f big</font>\n"


async def test_hostile_values_are_refused_before_ffmpeg_runs(composer):
    c, _files = composer
    for bad in (
        [{"op": "concat", "clips": []}],
        [{"op": "music", "audio": "x", "volume": "1;rm -rf /"}],
        [{"op": "resize", "width": "640:flags=x", "height": 360}],
        [{"op": "watermark", "image": "x", "position": "0:0[x];movie=/etc/passwd"}],
        [{"op": "shell", "command": "id"}],
    ):
        with pytest.raises(ValidationError):
            STEPS.validate_python(bad)
    with pytest.raises(InputError, match="start with 'concat' or 'animatic'"):
        await c.compose(STEPS.validate_python([{"op": "music", "audio": "x"}]))
    assert list(c.workdir.iterdir()) == []


async def test_a_clip_named_like_a_url_is_resolved_by_flowai_never_fetched_by_ffmpeg(composer, tmp_path):
    c, files = composer
    playlist = files / "list.mp4"
    playlist.write_text("#EXTM3U\nhttp://127.0.0.1:9/secret\n")
    with pytest.raises(ffmpeg.FFmpegError):
        await c.compose(STEPS.validate_python([{"op": "concat", "clips": ["list.mp4"]}]))
