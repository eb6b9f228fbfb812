"""Composition of a finished video (or audio) from declarative steps, on ffmpeg.

A composition is a list of steps applied in order to one *current* medium:

- ``concat``: clips (video or audio) joined end to end, with an optional cross-fade;
- ``animatic``: shots — stills or video clips, each with its audio — held or cut to a duration
  (or as long as its audio), joined;
- ``voiceover``: an audio track mixed under (or replacing) the current one, from a start time;
- ``music``: background music at a volume, looped to length, with fade-in and fade-out;
- ``sfx``: a sound effect at a given time;
- ``subtitles``: cues (start, end, text) burnt into the picture;
- ``watermark``: an image laid over a corner at a scale and opacity;
- ``resize``: a frame size, by padding, cropping or stretching.

The first step must make the medium (``concat`` or ``animatic``) unless a base medium is given.
Every step re-encodes to one house format (H.264/yuv420p + AAC 48 kHz stereo in MP4, or MP3 for
audio alone), and a video always carries an audio track (silent if need be), so later steps can
mix into it. Filter graphs are built from numbers and enumerated options only; subtitle text goes
into an SRT file FlowAI writes, never into an argument.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowai.errors import InputError
from flowai.media import ffmpeg
from flowai.media.ffmpeg import MediaInfo, input_args

FPS = 25
DEFAULT_SIZE = (1280, 720)
VIDEO_OUT = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-r", str(FPS)]
AUDIO_OUT = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"]
MP3_OUT = ["-c:a", "libmp3lame", "-b:a", "192k", "-ar", "48000", "-ac", "2"]
AFORMAT = "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"

Seconds = Annotated[float, Field(ge=0, le=36_000)]
Volume = Annotated[float, Field(ge=0, le=8)]
Fade = Annotated[float, Field(ge=0, le=120)]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Concat(_Step):
    op: Literal["concat"]
    clips: list[str] = Field(min_length=1, max_length=500, description="Video or audio clips, in order")
    crossfade: Annotated[float, Field(ge=0, le=10)] = 0.0


class Shot(_Step):
    image: str = Field(description="A still, or a video clip (cut to the duration, its last frame held if short)")
    audio: str | None = Field(default=None, description="The shot's sound; empty: the clip's own (or silence)")
    duration: Annotated[float, Field(gt=0, le=3600)] | None = Field(
        default=None, description="Seconds on screen; empty: as long as its audio (else the clip's, else 3 s)"
    )


class Animatic(_Step):
    op: Literal["animatic"]
    shots: list[Shot] = Field(min_length=1, max_length=500)
    width: Annotated[int, Field(ge=16, le=4096)] | None = None
    height: Annotated[int, Field(ge=16, le=4096)] | None = None


class Voiceover(_Step):
    op: Literal["voiceover"]
    audio: str
    volume: Volume = 1.0
    start: Seconds = 0.0
    mode: Literal["mix", "replace"] = "mix"


class Music(_Step):
    op: Literal["music"]
    audio: str
    volume: Volume = 0.3
    fade_in: Fade = 0.0
    fade_out: Fade = 0.0
    loop: bool = True


class Sfx(_Step):
    op: Literal["sfx"]
    audio: str
    at: Seconds = 0.0
    volume: Volume = 1.0


class Cue(_Step):
    start: Seconds
    end: Seconds
    text: str = Field(max_length=2000)


class Subtitles(_Step):
    op: Literal["subtitles"]
    cues: list[Cue] = Field(max_length=5000)
    font_size: Annotated[int, Field(ge=8, le=160)] = 28
    position: Literal["bottom", "top"] = "bottom"


class Watermark(_Step):
    op: Literal["watermark"]
    image: str
    position: Literal["top-left", "top-right", "bottom-left", "bottom-right", "center"] = "bottom-right"
    scale: Annotated[float, Field(gt=0, le=1)] = 0.15
    opacity: Annotated[float, Field(ge=0, le=1)] = 0.8
    margin: Annotated[int, Field(ge=0, le=1000)] = 16


class Resize(_Step):
    op: Literal["resize"]
    width: Annotated[int, Field(ge=16, le=4096)]
    height: Annotated[int, Field(ge=16, le=4096)]
    fit: Literal["pad", "crop", "stretch"] = "pad"


Step = Annotated[
    Concat | Animatic | Voiceover | Music | Sfx | Subtitles | Watermark | Resize, Field(discriminator="op")
]
Resolve = Callable[[str], Awaitable[Path]]  # a media reference (URL) -> a local file FlowAI holds


class Composer:
    """Applies steps in ``workdir`` (a folder of FlowAI's own; intermediate files go there)."""

    def __init__(self, workdir: Path, resolve: Resolve):
        self.workdir = workdir
        self.resolve = resolve
        self._n = 0

    async def compose(self, steps: list[Step], base: Path | None = None) -> Path:
        current = base
        for index, step in enumerate(steps):
            if current is None and not isinstance(step, Concat | Animatic):
                raise InputError(
                    f"Step {index + 1} ({step.op}) needs a video or audio to work on: start with "
                    "'concat' or 'animatic', or give the node a video."
                )
            current = await self.apply(step, current)
        if current is None:
            raise InputError("A composition needs at least one step or a base video.")
        return current

    async def apply(self, step: Step, current: Path | None) -> Path:
        if isinstance(step, Concat):
            return await self.concat(step)
        if isinstance(step, Animatic):
            return await self.animatic(step)
        assert current is not None
        info = await ffmpeg.probe(current)
        if isinstance(step, Voiceover | Music | Sfx):
            return await self.mix(step, current, info)
        if not info.video:
            raise InputError(f"'{step.op}' needs a video; the medium so far is audio only.")
        if isinstance(step, Subtitles):
            return await self.subtitles(step, current)
        if isinstance(step, Watermark):
            return await self.watermark(step, current, info)
        return await self.resize(step, current)

    # making the medium ---------------------------------------------------------------------
    async def concat(self, step: Concat) -> Path:
        paths = [await self.resolve(ref) for ref in step.clips]
        infos = [await ffmpeg.probe(p) for p in paths]
        video = any(i.video and i.duration is not None for i in infos)
        if video:
            size = _even(next((i.width, i.height) for i in infos if i.video and i.width) or DEFAULT_SIZE)
            parts = [await self._normalise(p, i, size) for p, i in zip(paths, infos)]
        else:
            parts = paths
        durations = [(await ffmpeg.probe(p)).duration or 0.0 for p in parts]
        args: list[str] = []
        for p in parts:
            args += input_args(p)
        fade = min([step.crossfade, *[d / 2 for d in durations]]) if step.crossfade and len(parts) > 1 else 0.0
        graph = _concat_graph(len(parts), durations, fade, video)
        out = self._next(".mp4" if video else ".mp3")
        maps = ["-map", "[v]", "-map", "[a]"] if video else ["-map", "[a]"]
        await self._run(
            [*args, "-filter_complex", graph, *maps, *(VIDEO_OUT + AUDIO_OUT if video else MP3_OUT), str(out)]
        )
        return out

    async def animatic(self, step: Animatic) -> Path:
        clips = []
        size: tuple[int, int] | None = (step.width, step.height) if step.width and step.height else None
        for shot in step.shots:
            image = await self.resolve(shot.image)
            info = await ffmpeg.probe(image)
            if not info.video:
                raise InputError("An animatic shot's image must be a picture or a video clip, not audio.")
            if size is None:
                size = (info.width or DEFAULT_SIZE[0], info.height or DEFAULT_SIZE[1])
            size = _even(size)
            audio = await self.resolve(shot.audio) if shot.audio else None
            duration = shot.duration
            if duration is None:
                duration = ((await ffmpeg.probe(audio)).duration if audio else None) or info.duration or 3.0
            if info.duration is None:
                clips.append(await self._still(image, audio, duration, size))
            else:
                clips.append(await self._held(image, info, audio, duration, size))
        return await self.concat(Concat(op="concat", clips=[str(c) for c in clips]))

    async def _held(
        self, video: Path, info: MediaInfo, audio: Path | None, duration: float, size: tuple[int, int]
    ) -> Path:
        """A video clip lasting exactly ``duration``: cut, or its last frame held; with ``audio`` as its
        sound (else its own, else silence), padded or cut to the same length."""
        w, h = size
        args = input_args(video)
        if audio is not None:
            args += input_args(audio)
            source = "[1:a]"
        elif info.audio:
            source = "[0:a]"
        else:
            args += ["-f", "lavfi", "-t", f"{duration:.3f}", "-i", "anullsrc=r=48000:cl=stereo"]
            source = "[1:a]"
        sound = f"{source}{AFORMAT},apad,atrim=0:{duration:.3f},asetpts=PTS-STARTPTS[a]"
        picture = (
            f"[0:v]{_fit(w, h, 'pad')},format=yuv420p,fps={FPS},"
            f"tpad=stop_mode=clone:stop_duration={duration:.3f},trim=0:{duration:.3f},setpts=PTS-STARTPTS[v]"
        )
        return await self._clip(args, picture, sound, duration)

    async def _still(self, image: Path, audio: Path | None, duration: float, size: tuple[int, int]) -> Path:
        w, h = size
        args = input_args(image, "-loop", "1", "-framerate", str(FPS), "-t", f"{duration:.3f}")
        if audio is not None:
            args += input_args(audio)
            sound = f"[1:a]{AFORMAT},apad,atrim=0:{duration:.3f},asetpts=PTS-STARTPTS[a]"
        else:
            args += ["-f", "lavfi", "-t", f"{duration:.3f}", "-i", "anullsrc=r=48000:cl=stereo"]
            sound = f"[1:a]{AFORMAT},atrim=0:{duration:.3f}[a]"
        picture = f"[0:v]{_fit(w, h, 'pad')},format=yuv420p,fps={FPS},trim=0:{duration:.3f},setpts=PTS-STARTPTS[v]"
        return await self._clip(args, picture, sound, duration)

    async def _normalise(self, path: Path, info: MediaInfo, size: tuple[int, int]) -> Path:
        """One clip in the house format at ``size``, with an audio track (silent if it had none)."""
        w, h = size
        if not info.video or info.duration is None:  # an audio clip or a still in a video concat
            raise InputError(
                "A video concatenation takes video clips only; use 'animatic' for stills and "
                "'voiceover' or 'music' for audio."
            )
        args = input_args(path)
        if info.audio:
            sound = f"[0:a]{AFORMAT},asetpts=PTS-STARTPTS[a]"
        else:
            args += ["-f", "lavfi", "-t", f"{info.duration:.3f}", "-i", "anullsrc=r=48000:cl=stereo"]
            sound = f"[1:a]{AFORMAT}[a]"
        picture = f"[0:v]{_fit(w, h, 'pad')},format=yuv420p,fps={FPS},setpts=PTS-STARTPTS[v]"
        return await self._clip(args, picture, sound, info.duration)

    async def _clip(self, args: list[str], picture: str, sound: str, duration: float) -> Path:
        """Encode one clip in the house format from its inputs and its picture and sound filters."""
        out = self._next(".mp4")
        graph, maps = f"{picture};{sound}", ["-map", "[v]", "-map", "[a]"]
        encode = [*VIDEO_OUT, *AUDIO_OUT, "-t", f"{duration:.3f}"]
        await self._run([*args, "-filter_complex", graph, *maps, *encode, str(out)])
        return out

    # working on the medium -----------------------------------------------------------------
    async def mix(self, step: Voiceover | Music | Sfx, current: Path, info: MediaInfo) -> Path:
        audio = await self.resolve(step.audio)
        length = info.duration or 0.0
        before = ("-stream_loop", "-1") if isinstance(step, Music) and step.loop else ()
        args = [*input_args(current), *input_args(audio, *before)]
        chain = f"[1:a]{AFORMAT},volume={step.volume:.3f}"
        if isinstance(step, Music):
            chain += f",atrim=0:{length:.3f},asetpts=PTS-STARTPTS"
            if step.fade_in:
                chain += f",afade=t=in:st=0:d={min(step.fade_in, length):.3f}"
            if step.fade_out:
                fade = min(step.fade_out, length)
                chain += f",afade=t=out:st={max(length - fade, 0):.3f}:d={fade:.3f}"
        else:
            delay = int(round((step.start if isinstance(step, Voiceover) else step.at) * 1000))
            if delay:
                chain += f",adelay={delay}:all=1"
        if isinstance(step, Voiceover) and step.mode == "replace":
            graph = f"{chain},apad,atrim=0:{length:.3f}[a]"
        else:
            base = "[0:a]" if info.audio else f"anullsrc=r=48000:cl=stereo,atrim=0:{length:.3f}[base];[base]"
            graph = f"{chain}[m];{base}[m]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[a]"
        if info.video:
            out = self._next(".mp4")
            encode = ["-map", "0:v", "-map", "[a]", "-c:v", "copy", *AUDIO_OUT]
        else:
            out = self._next(".mp3")
            encode = ["-map", "[a]", *MP3_OUT]
        await self._run([*args, "-filter_complex", graph, *encode, "-t", f"{length:.3f}", str(out)])
        return out

    async def subtitles(self, step: Subtitles, current: Path) -> Path:
        srt = self._next(".srt")
        srt.write_text(to_srt(step.cues), encoding="utf-8")
        alignment = 2 if step.position == "bottom" else 8
        style = f"FontName=Noto Sans CJK SC,FontSize={step.font_size},Alignment={alignment},Outline=1"
        out = self._next(".mp4")
        graph = f"subtitles=filename={_filter_path(srt)}:charenc=UTF-8:force_style='{style}'"
        await self._run(
            [*input_args(current), "-vf", graph, "-map", "0:v", "-map", "0:a", *VIDEO_OUT, "-c:a", "copy", str(out)]
        )
        return out

    async def watermark(self, step: Watermark, current: Path, info: MediaInfo) -> Path:
        image = await self.resolve(step.image)
        width = max(2, int((info.width or DEFAULT_SIZE[0]) * step.scale) // 2 * 2)
        m = step.margin
        x, y = {
            "top-left": (f"{m}", f"{m}"),
            "top-right": (f"main_w-overlay_w-{m}", f"{m}"),
            "bottom-left": (f"{m}", f"main_h-overlay_h-{m}"),
            "bottom-right": (f"main_w-overlay_w-{m}", f"main_h-overlay_h-{m}"),
            "center": ("(main_w-overlay_w)/2", "(main_h-overlay_h)/2"),
        }[step.position]
        graph = (
            f"[1:v]scale={width}:-2,format=rgba,colorchannelmixer=aa={step.opacity:.3f}[wm];"
            f"[0:v][wm]overlay={x}:{y}:format=auto,format=yuv420p[v]"
        )
        out = self._next(".mp4")
        await self._run(
            [
                *input_args(current),
                *input_args(image),
                "-filter_complex",
                graph,
                "-map",
                "[v]",
                "-map",
                "0:a",
                *VIDEO_OUT,
                "-c:a",
                "copy",
                str(out),
            ]
        )
        return out

    async def resize(self, step: Resize, current: Path) -> Path:
        w, h = _even((step.width, step.height))
        out = self._next(".mp4")
        await self._run(
            [
                *input_args(current),
                "-vf",
                f"{_fit(w, h, step.fit)},format=yuv420p",
                "-map",
                "0:v",
                "-map",
                "0:a",
                *VIDEO_OUT,
                "-c:a",
                "copy",
                str(out),
            ]
        )
        return out

    # plumbing --------------------------------------------------------------------------------
    def _next(self, suffix: str) -> Path:
        self._n += 1
        return self.workdir / f"step{self._n:03d}{suffix}"

    async def _run(self, args: list[str]) -> None:
        await ffmpeg.run(args, workdir=self.workdir)


def _concat_graph(n: int, durations: list[float], fade: float, video: bool) -> str:
    if n == 1:
        return "[0:v]null[v];[0:a]anull[a]" if video else f"[0:a]{AFORMAT}[a]"
    if not fade:
        streams = "".join(f"[{i}:v][{i}:a]" if video else f"[{i}:a]" for i in range(n))
        outs = "[v][a]" if video else "[a]"
        pre = "" if video else "".join(f"[{i}:a]{AFORMAT}[n{i}];" for i in range(n))
        if not video:
            streams = "".join(f"[n{i}]" for i in range(n))
        return f"{pre}{streams}concat=n={n}:v={1 if video else 0}:a=1{outs}"
    parts, offset, vlast, alast = [], 0.0, "[0:v]", "[0:a]"
    for i in range(1, n):
        offset += durations[i - 1] - fade
        vout, aout = (f"[v{i}]", f"[a{i}]") if i < n - 1 else ("[v]", "[a]")
        if video:
            parts.append(f"{vlast}[{i}:v]xfade=transition=fade:duration={fade:.3f}:offset={offset:.3f}{vout}")
        parts.append(f"{alast}[{i}:a]acrossfade=d={fade:.3f}{aout}")
        vlast, alast = vout, aout
    return ";".join(parts)


def _fit(w: int, h: int, fit: str) -> str:
    if fit == "crop":
        return f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1"
    if fit == "stretch":
        return f"scale={w}:{h},setsar=1"
    return f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1"


def _even(size: tuple[int | None, int | None]) -> tuple[int, int]:
    w, h = size
    return max(16, (w or DEFAULT_SIZE[0]) // 2 * 2), max(16, (h or DEFAULT_SIZE[1]) // 2 * 2)


def _filter_path(path: Path) -> str:
    """A path of ours inside a filter argument, escaped for the filter graph's own syntax."""
    return re.sub(r"([\\:'\[\],;])", r"\\\1", str(path))


_OVERRIDE = re.compile(r"\{\\[^}]*\}")


def to_srt(cues: list[Cue]) -> str:
    """SubRip text of the cues; libass override blocks (``{\\...}``) in user text are removed."""
    blocks = []
    for i, cue in enumerate(sorted(cues, key=lambda c: c.start), start=1):
        end = max(cue.end, cue.start + 0.05)
        text = _OVERRIDE.sub("", cue.text).replace("\r", "").strip() or " "
        text = "\n".join(line for line in text.split("\n") if line.strip()) or " "
        blocks.append(f"{i}\n{_stamp(cue.start)} --> {_stamp(end)}\n{text}\n")
    return "\n".join(blocks)


def _stamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
