"""The compose node run by the engine of a real Platform: media made with ffmpeg, stored as FlowAI's
files, referenced by signed ``/files/`` URLs (through templates, a JSON clips port, a video port) or
``data:`` URIs; the result is stored and read back with ffmpeg. Every run's workspace is gone after
it, whether the node succeeded, failed or was cancelled."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from flowai.errors import FlowAIError, InputError, NodeError, NotFoundError, TooLargeError
from flowai.media import ffmpeg
from flowai.media.store import MediaFiles
from tests.graphs import Graph, compile_doc
from tests.test_compose import clip, still, tone


@pytest.fixture
def owner(platform) -> int:
    return platform.users.acting_admin().id


def store(platform, owner: int, path: Path) -> str:
    row = platform.files.save(owner_id=owner, name=path.name, data=path.read_bytes())
    return platform.files.signed_url(row.id).url


def workspaces(platform) -> list[str]:
    root = platform.files.upload_dir.parent / "work"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def stored_path(platform, url: str) -> Path:
    file_id = url.split("?")[0].rsplit("/", 1)[-1]
    return platform.files.path(file_id)


async def run(platform, owner: int, doc: dict, inputs: dict):
    return await platform.engine.run(compile_doc(doc), inputs, lambda event: None, owner_id=owner)


def composing(steps: list, *fields: str, ports: dict | None = None, **config) -> dict:
    g = Graph().input(**{name: "string" for name in fields}, **{name: "json" for name in (ports or {})})
    g.node("c", "compose", "合成", steps=steps, **config).edge("in", "c")
    for field_name, port in (ports or {}).items():
        g.edge("in", "c", field_name, port)
    return g.output({"video": "{{c.video}}", "audio": "{{c.audio}}", "duration": "{{c.duration}}"}).edge("c", "out").doc


async def test_an_animatic_with_voice_and_music_is_stored_and_its_workspace_removed(platform, owner, tmp_path):
    red, blue = await still(tmp_path, "red.png", "red"), await still(tmp_path, "blue.png", "blue")
    voice, music = await tone(tmp_path, "voice.mp3", 1.5, 440), await tone(tmp_path, "music.mp3", 0.7, 880)
    steps = [
        {
            "op": "animatic",
            "shots": [
                {"image": "{{in.first}}", "audio": "{{in.voice}}"},
                {"image": store(platform, owner, blue), "duration": 1},
            ],
        },
        {"op": "music", "audio": "{{in.music}}", "volume": 0.2, "fade_out": 0.5},
    ]
    inputs = {
        "first": store(platform, owner, red),
        "voice": store(platform, owner, voice),
        "music": store(platform, owner, music),
    }
    out = await run(platform, owner, composing(steps, "first", "voice", "music"), inputs)

    assert out["audio"] is None and out["video"].startswith("/files/")
    assert out["duration"] == pytest.approx(2.5, abs=0.15)
    path = stored_path(platform, out["video"])
    info = await ffmpeg.probe(path)
    assert info.video and info.audio and (info.width, info.height) == (160, 120)
    row = platform.files.get(path.name)
    assert (row.owner_id, row.type, row.name) == (owner, "video/mp4", "composition.mp4")
    assert workspaces(platform) == []


async def test_the_clips_port_feeds_concat_steps_without_clips(platform, owner, tmp_path):
    a = await clip(tmp_path, "a.mp4", "red", 1.0)
    b = await clip(tmp_path, "b.mp4", "green", 1.5, beep=None)
    as_data = "data:video/mp4;base64," + base64.b64encode(b.read_bytes()).decode()
    doc = composing([{"op": "concat", "crossfade": 0.5}], ports={"list": "clips"})

    out = await run(platform, owner, doc, {"list": [store(platform, owner, a), as_data]})
    assert out["duration"] == pytest.approx(2.0, abs=0.15)
    assert (await ffmpeg.probe(stored_path(platform, out["video"]))).audio  # a silent track was added

    # no steps at all: the clips make a plain concatenation; JSON text of a list works as well
    doc = composing([], "list", clips="{{in.list}}")
    text = '["%s", "%s"]' % (store(platform, owner, a), store(platform, owner, b))
    out = await run(platform, owner, doc, {"list": text})
    assert out["duration"] == pytest.approx(2.5, abs=0.15)
    assert workspaces(platform) == []


async def test_audio_alone_comes_out_on_the_audio_port(platform, owner, tmp_path):
    one, two = await tone(tmp_path, "one.mp3", 1.0, 500), await tone(tmp_path, "two.mp3", 0.5, 700)
    steps = [{"op": "concat", "clips": [store(platform, owner, one), store(platform, owner, two)]}]
    out = await run(platform, owner, composing(steps), {})
    assert out["video"] is None and out["audio"].startswith("/files/")
    assert out["duration"] == pytest.approx(1.5, abs=0.15)
    assert platform.files.get(stored_path(platform, out["audio"]).name).type == "audio/mpeg"


async def test_a_base_video_on_the_video_port_is_worked_on(platform, owner, tmp_path):
    a = await clip(tmp_path, "a.mp4", "red", 1.0)
    doc = (
        Graph()
        .input(film="video")
        .node("c", "compose", steps=[{"op": "resize", "width": 200, "height": 100, "fit": "crop"}])
        .edge("in", "c", "film", "video")
        .output("{{c.video}}")
        .edge("c", "out")
        .doc
    )
    url = await run(platform, owner, doc, {"film": store(platform, owner, a)})
    info = await ffmpeg.probe(stored_path(platform, url))
    assert (info.width, info.height) == (200, 100) and info.duration == pytest.approx(1.0, abs=0.15)


async def test_bad_steps_and_bad_media_fail_clearly_and_leave_no_workspace(platform, owner, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    cases = [
        ([{"op": "music"}], NodeError, "Compose step 1 (music) audio is invalid: Field required"),
        ([{"op": "zoom"}], NodeError, "Compose step 1 is invalid: Input tag 'zoom'"),
        (["concat"], NodeError, "must be an object"),
        ([{"op": "music", "audio": store(platform, owner, text)}], InputError, "needs a video or audio"),
        ([{"op": "concat", "clips": [store(platform, owner, text)]}], NodeError, "ffmpeg"),
        ([{"op": "concat", "clips": ["/files/" + "0" * 32 + "?exp=1&sig=x"]}], NotFoundError, "link is invalid"),
        ([{"op": "concat", "clips": ["http://127.0.0.1:9/clip.mp4"]}], InputError, "private"),
        ([{"op": "concat", "clips": ["data:video/mp4;base64,%%%"]}], InputError, "base64"),
        ([], NodeError, "no steps"),
    ]
    for steps, error, message in cases:
        with pytest.raises(error) as caught:
            await run(platform, owner, composing(steps), {})
        assert message in caught.value.message, (steps, caught.value.message)
        assert workspaces(platform) == []


async def test_another_accounts_file_is_not_read(platform, owner, tmp_path):
    other = platform.users.create(username="someone", password="a long enough password").id
    red = await still(tmp_path, "red.png", "red")
    theirs = store(platform, other, red)
    with pytest.raises(NotFoundError):
        await run(platform, owner, composing([{"op": "animatic", "shots": [{"image": theirs}]}]), {})
    assert workspaces(platform) == []


async def test_cancelling_kills_ffmpeg_and_removes_the_workspace(platform, owner, tmp_path):
    red = await still(tmp_path, "red.png", "red")
    steps = [
        {
            "op": "animatic",
            "shots": [{"image": store(platform, owner, red), "duration": 3000}],
            "width": 1920,
            "height": 1080,
        }
    ]
    task = asyncio.create_task(run(platform, owner, composing(steps), {}))
    for _ in range(600):  # until ffmpeg is working in the node's workspace
        await asyncio.sleep(0.05)
        root = platform.files.upload_dir.parent / "work"
        if root.exists() and any(p.suffix == ".mp4" for d in root.iterdir() for p in d.iterdir()):
            break
    else:
        pytest.fail("ffmpeg never started")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert workspaces(platform) == []


# -- what the node uses in the media store -----------------------------------------------------------


async def test_save_file_streams_from_disk_within_the_upload_limit(platform, owner, tmp_path):
    media: MediaFiles = platform.media
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(3 * 1024 * 1024 + 5))
    url = await media.save_file(big, owner_id=owner)
    assert stored_path(platform, url).read_bytes() == big.read_bytes()
    assert platform.files.get(stored_path(platform, url).name).type == "video/mp4"

    small = MediaFiles(type(platform.files)(platform.db, tmp_path / "m", "s", max_bytes=1024 * 1024), platform.http)
    with pytest.raises(TooLargeError):
        await small.save_file(big, owner_id=owner)
    assert list((tmp_path / "m" / "uploads").iterdir()) == []  # the partial file is gone


async def test_to_file_links_own_files_and_checks_signature_and_owner(platform, owner, tmp_path):
    media: MediaFiles = platform.media
    red = await still(tmp_path, "red.png", "red")
    url = store(platform, owner, red)
    with media.workspace() as folder:
        local, mime = await media.to_file(url, folder, owner_id=owner)
        assert mime == "image/png" and local.parent == folder and local.read_bytes() == red.read_bytes()
        assert local.stat().st_ino == stored_path(platform, url).stat().st_ino  # linked, not read
        # an absolute URL this server signed is read from disk too (no HTTP call to itself)
        local, _ = await media.to_file("http://127.0.0.1:1" + url, folder, owner_id=owner)
        assert local.read_bytes() == red.read_bytes()
        with pytest.raises(NotFoundError):
            await media.to_file(url.replace("sig=", "sig=0"), folder, owner_id=owner)
        with pytest.raises(NotFoundError):
            await media.to_file(url, folder, owner_id=owner + 1)
        with pytest.raises(FlowAIError):  # another server's /files/ URL is an ordinary (here: private) URL
            await media.to_file(
                "http://127.0.0.1:1/files/" + "a" * 32 + "?exp=9999999999&sig=00", folder, owner_id=owner
            )
    assert stored_path(platform, url).exists() and workspaces(platform) == []


async def test_no_reference_reaches_ffmpeg_as_a_path_or_protocol_of_the_users_choosing(platform, owner, tmp_path):
    secret = tmp_path / "secret.mp4"
    await clip(tmp_path, "secret.mp4", "red", 0.5)
    work = platform.files.upload_dir.parent / "work"
    tricks = [
        str(secret),  # a local path
        f"{work}/run-x/../../../{secret.relative_to('/')}",  # a path through the workspace folder
        f"file:{secret}",
        f"concat:{secret}|{secret}",
        "subfile,,start,0,end,0,,:" + str(secret),
        "-i " + str(secret),
    ]
    for ref in tricks:
        with pytest.raises(InputError):
            await run(platform, owner, composing([{"op": "concat", "clips": [ref]}]), {})
    # cue text with filter-graph syntax goes into the SRT file FlowAI writes, never into an argument
    a = await clip(tmp_path, "a.mp4", "blue", 1.0)
    cue = "'],drawtext=text=pwned:fontfile=/etc/passwd;[x"
    steps = [{"op": "subtitles", "cues": [{"start": 0, "end": 1, "text": cue}]}]
    doc = composing(steps, video=store(platform, owner, a))
    out = await run(platform, owner, doc, {})
    assert (await ffmpeg.probe(stored_path(platform, out["video"]))).duration == pytest.approx(1.0, abs=0.15)
    assert workspaces(platform) == []
