"""The studio API's sound: ``POST /api/v1/workflow/animatic/:id/audio`` as an upload (multipart
``file`` + ``shot_id``: the shot's narration replaced, no TTS call for it; 40002 / 40003 for bad
files), its text form's ``options.voice_id`` reaching the TTS provider (the fake ElevenLabs' log),
and ``POST /workflow/edit``'s ``add_audio_effects`` asking the music model for a sound-effects
track that is mixed into the final cut. Against the fakes of tests/fakes/studio_server.py."""

from __future__ import annotations

from tests.fakes import studio_media
from tests.fakes.studio_server import MUSICGEN
from tests.hashing_support import cheap_password_hashing  # noqa: F401 (autouse fixture)
from tests.manage_client import signed_in
from tests.test_studio_api import NOVEL, body, calls, error, studio, wait_done  # noqa: F401 - studio: a fixture


def _project(client) -> str:
    wid = body(client.post("/workflow", json={"name": "声音", "input_content": NOVEL}), 202)["workflow_id"]
    assert wait_done(client, wid)["status"] == "completed"
    return wid


def test_an_uploaded_narration_replaces_the_shots_voice_and_bad_files_answer_the_documents_codes(studio, settings):
    api, writer, replicate = studio
    client = signed_in(api)
    wid = _project(client)
    path = f"/workflow/animatic/animatic_{wid}/audio"
    before = calls(writer, replicate)
    first_final = body(client.get(f"/workflow/edit/edit_{wid}"))["final_video_url"]

    wav = studio_media.tone_wav(1.5, 330)
    answer = body(
        client.post(path, files={"file": ("narration.wav", wav, "audio/wav")}, data={"shot_id": "shot_002"}), 202
    )
    assert answer["shot_id"] == "shot_002" and answer["audio_url"].startswith("/files/")
    assert answer["duration"] == 1.5 and answer["task_id"].startswith("task_")
    assert wait_done(client, wid)["status"] == "completed"
    after = calls(writer, replicate)
    assert after["tts"] == before["tts"], "an uploaded narration is not spoken by the TTS provider"
    shots = body(client.get(f"/workflow/animatic/animatic_{wid}"))["shots"]
    assert shots[1]["audio_url"] == answer["audio_url"]
    assert shots[0]["audio_url"] != answer["audio_url"] and shots[0]["audio_url"]
    final = body(client.get(f"/workflow/edit/edit_{wid}"))["final_video_url"]
    assert final != first_final and client.get(api.url + final).content[4:8] == b"ftyp"

    # bad uploads: not audio (40002), audio ffmpeg cannot read (40002), too large (40003), no such shot (40402)
    exe = {"file": ("x.exe", b"MZ\x90\x00" + bytes(200), "application/octet-stream")}
    error(client.post(path, files=exe, data={"shot_id": "shot_001"}), 400, 40002)
    text = {"file": ("words.mp3", "不是音频".encode() * 20, "audio/mpeg")}
    error(client.post(path, files=text, data={"shot_id": "shot_001"}), 400, 40002)
    broken = {"file": ("broken.wav", wav[:44] + b"\x00" * 2, "audio/wav")}
    error(client.post(path, files=broken, data={"shot_id": "shot_001"}), 400, 40002)
    huge = {"file": ("big.wav", wav + bytes(settings.max_upload_bytes), "audio/wav")}
    error(client.post(path, files=huge, data={"shot_id": "shot_001"}), 413, 40003)
    error(client.post(path, files={"file": ("n.wav", wav, "audio/wav")}, data={"shot_id": "shot_042"}), 404, 40402)
    assert calls(writer, replicate) == after  # nothing ran for a refused upload


def test_voice_id_reaches_the_tts_provider_and_audio_effects_are_mixed_into_the_final_cut(studio):
    api, writer, replicate = studio
    client = signed_in(api)
    wid = _project(client)
    assert sum(1 for m, _ in replicate.created if m == MUSICGEN) == 1  # no effects unless asked
    assert body(client.get(f"/workflow/edit/edit_{wid}"))["audio_effects"] == []
    spoken = len(writer.speeches)

    said = {
        "text": "信上只有一句话。",
        "shot_id": "shot_003",
        "options": {"provider": "elevenlabs", "voice_id": "voice_001"},
    }
    answer = body(client.post(f"/workflow/animatic/animatic_{wid}/audio", json=said), 202)
    assert answer["shot_id"] == "shot_003"
    wait_done(client, wid)
    assert [(s["voice"], s["text"]) for s in writer.speeches[spoken:]] == [("voice_001", "信上只有一句话。")]
    error(
        client.post(
            f"/workflow/animatic/animatic_{wid}/audio",
            json={"text": "x", "shot_id": "shot_001", "options": {"voice_id": 7}},
        ),
        400,
        40001,
    )

    before = body(client.get(f"/workflow/edit/edit_{wid}"))
    options = {"add_audio_effects": True, "add_background_music": True, "music_style": "jazz"}
    body(client.post("/workflow/edit", json={"workflow_id": wid, "options": options}), 202)
    assert wait_done(client, wid)["status"] == "completed"
    prompts = [inputs["prompt"] for m, inputs in replicate.created if m == MUSICGEN][1:]
    assert sorted(p.split(":")[0] for p in prompts) == [
        "Sound effects and ambience only, no music, no melody",
        "jazz background music, instrumental",
    ], prompts
    assert any("an old bookshop on a rainy evening" in p for p in prompts)  # the plan's scene
    cut = body(client.get(f"/workflow/edit/edit_{wid}"))
    assert cut["audio_effects"] == ["effect_001"] and cut["final_video_url"] != before["final_video_url"]
    assert client.get(api.url + cut["final_video_url"]).content[4:8] == b"ftyp"

    # and off again: the effects track leaves the cut, the music model is not asked for effects
    made = len(replicate.created)
    options = {"add_audio_effects": False, "add_background_music": True, "music_style": "jazz"}
    body(client.post("/workflow/edit", json={"workflow_id": wid, "options": options}), 202)
    assert wait_done(client, wid)["status"] == "completed"
    assert not any(i["prompt"].startswith("Sound") for m, i in replicate.created[made:] if m == MUSICGEN)
    assert body(client.get(f"/workflow/edit/edit_{wid}"))["audio_effects"] == []
