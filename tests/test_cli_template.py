"""``flowai template list`` and ``flowai template use``, run as a subprocess the way a user runs them."""

from __future__ import annotations

import json

from flowai.gallery import TEMPLATES, find
from tests.proc import flowai


def test_list_shows_each_template_with_what_it_makes_its_models_and_its_keys(tmp_path):
    lines = flowai(tmp_path, "template", "list").stdout.splitlines()
    assert lines[0].split() == ["NAME", "MAKES", "MODELS", "KEYS", "COST", "PER", "RUN"]
    assert all(line.startswith(t.name + " ") for line, t in zip(lines[1:], TEMPLATES, strict=True))
    row = next(line for line in lines if line.startswith("PhotoRestore "))
    assert find("PhotoRestore").produces[0] in row
    assert "bringing-old-photos-back-to-life, ddcolor, real-esrgan" in row and "REPLICATE_API_KEY missing" in row
    assert "$0 + 3 models without a published price" in row
    shoot = next(line for line in lines if line.startswith("ProductShoot "))
    assert "$0.24 + 2 models without a published price" in shoot


def test_use_creates_the_workflow_by_name_or_id_and_publishes_it(tmp_path):
    out = flowai(tmp_path, "template", "use", "HomeVisualizer", "--name", "客厅 3D").stdout.splitlines()
    assert out[0] == "Created '客厅 3D' from template HomeVisualizer as version 1"
    assert out[1] == "note: it runs once REPLICATE_API_KEY or REPLICATE_API_TOKEN is set (replicate)"
    exported = json.loads(flowai(tmp_path, "workflow", "export", out[-1]).stdout)
    expected = find("home_visualizer").document("客厅 3D")
    assert exported["name"] == "客厅 3D" and [n["id"] for n in exported["nodes"]] == [
        n["id"] for n in expected["nodes"]
    ]

    published = flowai(tmp_path, "template", "use", "photo_restore", "--publish", REPLICATE_API_TOKEN="r8_x").stdout
    assert published.splitlines()[0] == "Created 'PhotoRestore' from template PhotoRestore as version 1 (published)"
    assert "note:" not in published  # the key is set (REPLICATE_API_TOKEN counts as REPLICATE_API_KEY)


def test_an_unknown_template_names_the_ones_there_are(tmp_path):
    proc = flowai(tmp_path, "template", "use", "NovelToOpera", check=False)
    assert proc.returncode == 2
    assert "No template 'NovelToOpera'" in proc.stderr and "PodcastAI" in proc.stderr
