"""The Replicate tool's items (issue 15, 6-7) through ``flowai run`` / ``flowai batch`` against the fake
Replicate on 127.0.0.1: files copied to chosen paths as each run finishes, retries per node and per batch."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from flowai.providers.replicate import Replicate, call_retries
from flowai.providers.replicate_rules import Rules
from tests.fakes.replicate_server import COMMUNITY, COMMUNITY_VERSION, TOKEN, FakeReplicate, png_bytes
from tests.graphs import Graph, field
from tests.proc import flowai, flowai_env
from tests.replicate_support import fake_replicate, replicate_server  # noqa: F401 (fixtures: one server per module)

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "replicate_image.json"
DEV, SCHNELL = "black-forest-labs/flux-dev", "black-forest-labs/flux-schnell"
BROKEN = f"{COMMUNITY}:{COMMUNITY_VERSION}"  # a model without a fallback chain: its failures stay visible
PNG = b"\x89PNG\r\n\x1a\n"


def env(fake: FakeReplicate) -> dict[str, str]:
    return {"REPLICATE_API_TOKEN": TOKEN, "REPLICATE_BASE_URL": fake.url, "FLOWAI_ALLOW_PRIVATE_URLS": "1"}


def imported(home: Path, fake: FakeReplicate, document: dict | None = None) -> str:
    path = WORKFLOW
    if document is not None:
        path = home / "wf.json"
        path.write_text(json.dumps(document), encoding="utf-8")
    return flowai(home, "workflow", "import", str(path), "--publish", **env(fake)).stdout.split()[-1]


def served(fake: FakeReplicate, prediction_id: str) -> bytes:
    p = fake.predictions[prediction_id]
    return png_bytes(prediction_id, f"out-0.{p.input.get('output_format', 'webp')}")


# -- 6: outputs to chosen paths ---------------------------------------------------------------------


def test_run_out_writes_the_file_where_asked_and_prints_it(tmp_path, fake_replicate):
    wf = imported(tmp_path, fake_replicate)
    proc = flowai(tmp_path, "run", wf, "--input", '{"prompt": "a fox"}', "--out", "out/fox.png", **env(fake_replicate))
    lines = proc.stdout.strip().splitlines()
    assert json.loads(lines[0])["output"][0].startswith("/files/")
    assert lines[1:] == ["out/fox.png"]
    (pid,) = fake_replicate.predictions
    assert (tmp_path / "out/fox.png").read_bytes() == served(fake_replicate, pid)


def test_run_out_folder_names_files_by_template(tmp_path, fake_replicate):
    wf = imported(tmp_path, fake_replicate)
    run_input = json.dumps({"prompt": "a fox", "name": "fox"})
    args = ["--out", "shots/", "--name-template", "{input.name}-{n}.{ext}"]
    proc = flowai(tmp_path, "run", wf, "--input", run_input, *args, **env(fake_replicate))
    assert proc.stdout.strip().splitlines()[1:] == ["shots/fox-0.png"]
    assert (tmp_path / "shots/fox-0.png").read_bytes().startswith(PNG)


def test_batch_downloads_each_file_as_its_run_finishes(tmp_path, fake_replicate):
    fake_replicate.behaviour[SCHNELL] = "slow"
    fake_replicate.slow_seconds = 100.0  # until the test lets it finish, below
    wf = imported(tmp_path, fake_replicate)
    lines = [
        {"prompt": "slow one", "model": "flux-schnell", "name": "slow"},
        {"prompt": "a fox", "name": "fox"},
        {"prompt": "own path", "output_path": "picked/mine.png"},
        {"prompt": "no such model", "model": "nobody/nothing", "name": "bad"},
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    args = ["batch", wf, "in.jsonl", "--out", "out", "--name-template", "{index:02d}_{input.name}.{ext}"]
    # stderr goes to a file and stdout is read to its end through the same buffered reader: a
    # communicate() after readline() would read the raw pipe and lose lines already buffered.
    with (tmp_path / "stderr.txt").open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flowai.cli", *args],
            env=flowai_env(tmp_path, **env(fake_replicate)),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        first = proc.stdout.readline().strip()
        assert proc.poll() is None, "the first file is printed while the slow run still runs"
        assert first in ("out/02_fox.png", "picked/mine.png") and (tmp_path / first).read_bytes().startswith(PNG)
        for prediction in list(fake_replicate.predictions.values()):
            prediction.duration = 0.0  # the slow run's prediction ends now that another's file is out
        rest = proc.stdout.read()
        proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
    err = (tmp_path / "stderr.txt").read_text()
    printed = {first, *rest.split()}
    assert printed == {"out/01_slow.png", "out/02_fox.png", "picked/mine.png"}, (first, rest, err)
    assert proc.returncode == 1 and "3 completed, 1 failed" in err
    results = [json.loads(x) for x in (tmp_path / "out/results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in results] == ["completed", "completed", "completed", "failed"]
    assert results[2]["files"] == ["picked/mine.png"] and "files" not in results[3]
    assert results[0]["files"] == ["out/01_slow.png"]
    assert (tmp_path / "out/01_slow.png").read_bytes().startswith(PNG)


def test_a_template_leaving_the_folder_fails_that_item_only(tmp_path, fake_replicate):
    wf = imported(tmp_path, fake_replicate)
    lines = [{"prompt": "a", "name": "../../escape"}, {"prompt": "b", "name": "ok"}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    args = ["batch", wf, "in.jsonl", "--out", "out", "--name-template", "{input.name}.{ext}"]
    proc = flowai(tmp_path, *args, check=False, **env(fake_replicate))
    results = [json.loads(x) for x in (tmp_path / "out/results.jsonl").read_text().splitlines()]
    assert results[0]["status"] == "failed" and "leaves the folder" in results[0]["error"]["message"]
    assert results[1]["files"] == ["out/ok.png"] and not (tmp_path.parent / "escape.png").exists()
    assert proc.returncode == 1


# -- 7: retries per call, per node, per batch ---------------------------------------------------------


async def test_max_retries_per_call_and_within_a_context(fake_replicate):
    fake_replicate.behaviour[COMMUNITY] = "error-500"
    async with httpx.AsyncClient(timeout=30) as http:
        replicate = Replicate(base_url=fake_replicate.url, api_key=TOKEN, client=http, rules=Rules())
        for given, sent in ((0, 1), (None, 3), (4, 5)):
            fake_replicate.create_arrivals.clear()
            with pytest.raises(Exception):
                await replicate.run(BROKEN, {"image": "https://example.com/a.png"}, max_retries=given)
            assert len(fake_replicate.create_arrivals) == sent, given
        fake_replicate.create_arrivals.clear()
        with call_retries(1), pytest.raises(Exception):
            await replicate.run(BROKEN, {"image": "https://example.com/a.png"})
        assert len(fake_replicate.create_arrivals) == 2


def _retry_doc(node_retries: int | None) -> dict:
    g = Graph().input(field("prompt", required=True))
    extra = {} if node_retries is None else {"max_retries": node_retries}
    g.node("rep", "replicate", model=BROKEN, params={"image": "https://example.com/{{in.prompt}}.png"}, **extra)
    return g.output("{{rep.files}}").chain().doc


def test_batch_max_retries_applies_to_its_runs_and_a_nodes_own_setting_wins(tmp_path, fake_replicate):
    fake_replicate.behaviour[COMMUNITY] = "error-500"
    plain = imported(tmp_path, fake_replicate, _retry_doc(None))
    pinned = imported(tmp_path, fake_replicate, _retry_doc(1))
    (tmp_path / "in.jsonl").write_text('{"prompt": "a"}\n{"prompt": "b"}\n', encoding="utf-8")
    flowai(tmp_path, "batch", plain, "in.jsonl", "--max-retries", "0", check=False, **env(fake_replicate))
    assert len(fake_replicate.create_arrivals) == 2  # two lines, one call each
    fake_replicate.create_arrivals.clear()
    flowai(tmp_path, "batch", pinned, "in.jsonl", "--max-retries", "0", check=False, **env(fake_replicate))
    assert len(fake_replicate.create_arrivals) == 4  # the node says 1 retry: it wins over the batch
    fake_replicate.create_arrivals.clear()
    proc = flowai(tmp_path, "run", plain, "--input", '{"prompt": "a"}', check=False, **env(fake_replicate))
    assert proc.returncode == 1 and json.loads(proc.stdout)["code"] == 50002
    assert len(fake_replicate.create_arrivals) == 3  # the default: 2 retries
