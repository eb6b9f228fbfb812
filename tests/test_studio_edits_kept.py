"""Edits made in the studio survive later regenerations: a regenerated run starts from the document
the project's last run ran (its overrides included), not from the template's version — a music
setting or "no music" survives a redrawn shot (seen: the music was reset to the template's)."""

from __future__ import annotations

from sqlmodel import col, select

from storage.db import session
from storage.models import Run
from tests.manage_client import signed_in
from tests.test_studio_api import NOVEL, _wav, body, calls, studio, wait_done  # noqa: F401  (fixture)


def _final_steps(api) -> list[dict]:
    """The steps of the ``final`` node in the document the project's latest run ran."""
    with session(api.platform.db) as s:
        run = s.exec(select(Run).order_by(col(Run.created_at).desc())).first()
    assert run is not None and run.graph, "the regenerated run records the document it ran"
    return next(n for n in run.graph["nodes"] if n["id"] == "final")["config"]["steps"]


def _music(steps: list[dict]) -> dict | None:
    return next((s for s in steps if s.get("op") == "music"), None)


def test_music_settings_and_no_music_survive_a_redrawn_shot(studio):  # noqa: F811
    api, writer, replicate = studio
    client = signed_in(api)
    created = body(client.post("/workflow", json={"name": "edits", "input_type": "novel", "input_content": NOVEL}), 202)
    wid = created["workflow_id"]
    detail = wait_done(client, wid)
    assert detail["status"] == "completed"
    sid = detail["storyboard"]["id"]

    music = body(client.post("/files", files={"file": ("m.wav", _wav(), "audio/wav")}), 201)["url"]
    body(client.post(f"/workflow/edit/edit_{wid}/music", json={"music_url": music, "volume": 0.3, "fade_in": 1.0}))
    assert wait_done(client, wid)["status"] == "completed"
    set_music = _music(_final_steps(api)) or {}
    assert (set_music.get("audio"), set_music.get("volume"), set_music.get("fade_in")) == (music, 0.3, 1.0)

    before = calls(writer, replicate)
    body(client.post(f"/workflow/storyboard/{sid}/regenerate", json={"shot_ids": ["shot_002"]}))
    assert wait_done(client, wid)["status"] == "completed"
    assert calls(writer, replicate)["chat"] == before["chat"]  # only the shot was drawn again
    kept = _music(_final_steps(api))
    assert kept is not None and kept.get("audio") == music and kept.get("volume") == 0.3, kept

    body(client.post("/workflow/edit", json={"workflow_id": wid, "options": {"add_background_music": False}}), 202)
    assert wait_done(client, wid)["status"] == "completed"
    assert _music(_final_steps(api)) is None
    body(client.post(f"/workflow/storyboard/{sid}/regenerate", json={"shot_ids": ["shot_001"]}))
    assert wait_done(client, wid)["status"] == "completed"
    assert _music(_final_steps(api)) is None, "a redrawn shot brought the music back"
