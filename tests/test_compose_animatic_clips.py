"""An animatic's shots may be video clips (the novel-to-video template's final cut): each clip is cut
to its shot's duration, or its last frame held when it is shorter, under the shot's audio (else its
own sound, else silence). Real small media made with ffmpeg, read back with it."""

from __future__ import annotations

import pytest

from flowai.errors import InputError
from flowai.media import ffmpeg
from tests.test_compose import STEPS, clip, composer, levels, still, tone  # noqa: F401  (composer: fixture)


async def test_clips_are_cut_or_held_to_their_shot_under_its_voice(composer):  # noqa: F811
    c, files = composer
    await clip(files, "short.mp4", "red", 1.0, beep=None)  # silent, shorter than its shot: held
    await clip(files, "long.mp4", "green", 3.0, beep=None)  # longer than its shot: cut
    await clip(files, "own.mp4", "blue", 1.0, beep=440)  # no shot audio: its own beep
    await still(files, "end.png", "white")
    await tone(files, "voice.wav", 0.6, freq=660)
    steps = [
        {
            "op": "animatic",
            "shots": [
                {"image": "short.mp4", "audio": "voice.wav", "duration": 2.0},
                {"image": "long.mp4", "duration": 1.5},
                {"image": "own.mp4"},  # as long as the clip
                {"image": "end.png", "duration": 0.5},
            ],
        }
    ]
    out = await c.compose(STEPS.validate_python(steps))
    info = await ffmpeg.probe(out)
    assert info.video and info.audio and (info.width, info.height) == (320, 240)
    assert info.duration == pytest.approx(2.0 + 1.5 + 1.0 + 0.5, abs=0.1)
    rms = await levels(out)
    assert min(rms[1:5]) > 1000 and max(rms[8:19]) < 50  # the voice, then its padding and the silent clip
    assert min(rms[36:44]) > 1000 and max(rms[-4:]) < 50  # the clip's own beep, then the silent still


async def test_an_audio_file_is_not_a_shot_picture(composer):  # noqa: F811
    c, files = composer
    await tone(files, "voice.wav", 0.5)
    with pytest.raises(InputError, match="picture or a video clip"):
        await c.compose(STEPS.validate_python([{"op": "animatic", "shots": [{"image": "voice.wav"}]}]))
