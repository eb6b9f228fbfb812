"""The copy-ready examples (issue 15, item 9) run as they are, against a served FlowAI whose Replicate
is the fake one on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import start_api
from tests.fakes.replicate_server import TOKEN, fake_replicate
from tests.proc import flowai_env

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def served(settings, fake_replicate):
    env = {"REPLICATE_API_TOKEN": TOKEN, "REPLICATE_BASE_URL": fake_replicate.url}
    server, api = start_api(replace(settings, env=env, allow_private_urls=True))
    with server:
        wf = api.publish(json.loads((ROOT / "examples" / "replicate_image.json").read_text(encoding="utf-8")))
        yield {"FLOWAI_URL": api.url, "FLOWAI_API_KEY": api.key(), "FLOWAI_WORKFLOW_ID": wf}


def example(name: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        env=flowai_env(cwd, **env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_single(tmp_path, served, fake_replicate):
    proc = example("single.py", tmp_path, served)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "生成的文件: output/my_image.png"
    assert (tmp_path / "output/my_image.png").read_bytes().startswith(PNG)
    sent = {"prompt": "A beautiful sunset over mountains", "aspect_ratio": "16:9", "output_format": "png"}
    assert fake_replicate.created == [("black-forest-labs/flux-dev", sent)]


def test_batch_same_params(tmp_path, served, fake_replicate):
    proc = example("batch_same_params.py", tmp_path, served)
    assert proc.returncode == 0, proc.stderr
    names = ["scene_01_sunset", "scene_02_city", "scene_03_robot", "scene_04_forest"]
    for name in names:
        assert (tmp_path / f"output/{name}.png").read_bytes().startswith(PNG)
    assert proc.stdout.count("✅") == 4 and proc.stdout.strip().endswith("生成了 4 个文件")
    assert sorted(i["prompt"] for _, i in fake_replicate.created) == ["city", "forest", "robot", "sunset"]


def test_batch_mixed_models(tmp_path, served, fake_replicate):
    proc = example("batch_mixed_models.py", tmp_path, served)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("成功: 3, 失败: 0")
    for name in ("01_portrait.png", "02_anime.png", "03_harbour.png"):
        assert (tmp_path / "output/mixed" / name).read_bytes().startswith(PNG)
    assert sorted(m for m, _ in fake_replicate.created) == [
        "black-forest-labs/flux-dev",
        "google/imagen-4-ultra",
        "qwen/qwen-image",
    ]


def test_batch_mixed_models_reports_a_failing_request(tmp_path, served, fake_replicate):
    fake_replicate.behaviour["google/imagen-4-ultra"] = "fail"  # the end of every chain: nothing to fall back to
    proc = example("batch_mixed_models.py", tmp_path, served)
    assert proc.returncode == 1
    assert "❌ 失败:" in proc.stdout and "(code 50002)" in proc.stdout
    assert proc.stdout.strip().endswith("成功: 2, 失败: 1")
