"""The runs page in a real browser: runs made through the API are listed, filtered and paged,
and a run's trace shows each node's outputs (as text: nothing a run returns ever executes)."""

from __future__ import annotations

import httpx
import pytest

from tests.browser import ServedApp, chromium, new_page, shot, sign_in, signed_in_page
from tests.conftest import ThreadServer
from tests.fakes.openai_server import API_KEY, FakeOpenAI
from tests.proc import flowai
from tests.ui_support import demo_ids, demo_key

pytestmark = pytest.mark.browser
HOSTILE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A demo server whose LLM workflow talks to a fake OpenAI server on 127.0.0.1."""
    fake = FakeOpenAI()
    with ThreadServer(fake.app) as llm:
        home = tmp_path_factory.mktemp("home")
        app = ServedApp.start(home, "--demo", env={"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": f"{llm.url}/v1"})
        app.home = home
        try:
            yield app
        finally:
            app.stop()


@pytest.fixture(scope="module")
def runs(served):
    """Runs made over the run API: a hostile input echoed by Hello, two parallel runs, one LLM
    run, one failed (input rejected: no run) -- and the ids of the runs that exist."""
    ids, key = demo_ids(served), demo_key(served)

    def run(name: str, run_input: dict) -> httpx.Response:
        return httpx.post(
            f"{served.url}/v1/api/workflow/run/{ids[name]}",
            headers={"X-API-KEY": key},
            json={"input": run_input},
            timeout=30,
        )

    made = {}
    r = run("Hello (demo)", {"输入": HOSTILE})
    assert r.status_code == 200
    made["hostile"] = r.headers["X-Run-Id"]
    for i in range(2):
        made[f"parallel{i}"] = run("Parallel branches (demo)", {"输入": f"hi {i}", "name": "Ann"}).headers["X-Run-Id"]
    llm = run("LLM chat", {"输入": "Hello model"})
    assert llm.status_code == 200, llm.text
    made["llm"] = llm.headers["X-Run-Id"]
    return made


@pytest.fixture(scope="module")
def page(served, runs):
    with signed_in_page(served) as p:
        yield p


def test_runs_made_through_the_api_are_listed_and_filtered(page, served, runs):
    page.goto(served.url + "/runs")
    table = page.get_by_test_id("runs")
    table.wait_for()
    page.get_by_text("Runs (4)").wait_for()
    for run_id in (runs["hostile"], runs["parallel0"], runs["parallel1"], runs["llm"]):
        table.get_by_test_id(f"run-{run_id}").wait_for()
    row = table.locator("tbody tr", has=page.get_by_test_id(f"run-{runs['parallel0']}"))
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[0] == "completed" and cells[1] == "Parallel branches (demo)" and cells[2] == "1"
    assert cells[3] == "API" and (cells[5].endswith("ms") or cells[5].endswith(" s"))
    shot(page, "runs")

    page.goto(served.url + f"/runs?workflow={demo_ids(served)['Parallel branches (demo)']}")
    page.get_by_text("Runs (2)").wait_for()
    page.goto(served.url + "/runs?status=completed")
    page.get_by_text("Runs (4)").wait_for()
    page.goto(served.url + "/runs?status=cancelled")
    page.get_by_test_id("no-runs").wait_for()
    page.goto(served.url + "/runs?source=batch")
    page.get_by_test_id("no-runs").wait_for()

    page.goto(served.url + "/runs")
    page.get_by_test_id("filter-source").click()
    page.get_by_role("option", name="API", exact=True).click()
    page.wait_for_url("**/runs?source=api")
    page.get_by_text("Runs (4)").wait_for()
    assert not page.errors


def test_a_trace_shows_node_outputs_and_hostile_text_stays_text(page, served, runs):
    page.goto(served.url + "/runs")
    page.get_by_test_id(f"run-{runs['hostile']}").click()
    page.wait_for_url(f"**/runs/{runs['hostile']}")
    page.get_by_test_id("run-status").get_by_text("completed").wait_for()
    output = page.get_by_test_id("run-output")
    output.get_by_text("在呢。你说的是：" + HOSTILE).wait_for()
    reply = page.get_by_test_id("node-reply")
    reply.get_by_test_id("node-outputs").get_by_text("在呢。你说的是：" + HOSTILE).wait_for()
    reply.get_by_text("completed").wait_for()
    page.get_by_test_id("node-in").get_by_text(HOSTILE).first.wait_for()
    page.get_by_test_id("node-out").get_by_text("在呢。你说的是：" + HOSTILE).first.wait_for()
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src=x]").count() == 0 and page.locator("script", has_text="__xss").count() == 0
    assert not page.errors


def test_an_llm_trace_shows_provider_model_and_tokens(page, served, runs):
    page.goto(served.url + f"/runs/{runs['llm']}")
    llm = page.get_by_test_id("node-llm")
    llm.get_by_text("Provider: openai").wait_for()
    llm.get_by_text("Model:").wait_for()
    llm.get_by_text("Tokens:").wait_for()
    llm.get_by_test_id("node-outputs").get_by_text("Hello model").first.wait_for()
    cost = llm.get_by_text("Cost: $")
    cost.wait_for()  # the node's estimate, and the run's total above: the one priced call
    assert page.get_by_test_id("run-cost").inner_text() == cost.inner_text().removeprefix("Cost: ")
    shot(page, "run-trace")
    assert not page.errors


def test_an_unknown_run_says_so(page, served):
    page.goto(served.url + "/runs/" + "0" * 32)
    page.get_by_test_id("run-not-found").wait_for()


def test_runs_are_paged(page, served, runs):
    ids, key = demo_ids(served), demo_key(served)
    with httpx.Client(timeout=30) as client:
        for i in range(21):
            r = client.post(
                f"{served.url}/v1/api/workflow/run/{ids['Hello (demo)']}",
                headers={"X-API-KEY": key},
                json={"input": {"输入": f"run {i}"}},
            )
            assert r.status_code == 200
    page.goto(served.url + "/runs")
    page.get_by_text("Runs (25)").wait_for()
    assert page.get_by_test_id("runs").locator("tbody tr").count() == 20
    page.get_by_test_id("pages").get_by_role("button", name="2").click()
    page.wait_for_url("**/runs?page=2")
    page.get_by_text("Runs (25)").wait_for()
    rows = page.get_by_test_id("runs").locator("tbody tr")
    rows.first.wait_for()
    assert rows.count() == 5
    page.get_by_test_id(f"run-{runs['hostile']}").wait_for()  # the oldest run is on the last page
    assert not page.errors


MEDIA = {
    "format": "flowai/1",
    "name": "Media echo",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "label": "开始",
            "config": {
                "fields": [
                    {"name": "pic", "type": "image", "required": True},
                    {"name": "voice", "type": "audio", "required": True},
                ]
            },
        },
        {"id": "out_pic", "type": "output", "label": "图", "config": {"value": "{{in.pic}}", "name": "pic"}},
        {"id": "out_voice", "type": "output", "label": "声", "config": {"value": "{{in.voice}}", "name": "voice"}},
    ],
    "edges": [
        {"source": "in", "source_port": "pic", "target": "out_pic", "target_port": "value"},
        {"source": "in", "source_port": "voice", "target": "out_voice", "target_port": "value"},
    ],
}


def test_media_values_show_as_image_and_audio(page, served, tmp_path):
    path = tmp_path / "media.json"
    path.write_text(__import__("json").dumps(MEDIA), encoding="utf-8")
    wf_id = flowai(served.home, "workflow", "import", str(path), "--publish").stdout.split()[-1]
    pic, voice = "http://127.0.0.1:9/cat", "http://127.0.0.1:9/voice.mp3"  # nothing listens: no network
    r = httpx.post(
        f"{served.url}/v1/api/workflow/run/{wf_id}",
        headers={"X-API-KEY": demo_key(served)},
        json={"input": {"pic": pic, "voice": voice}},
        timeout=30,
    )
    assert r.json()["output"] == {"pic": pic, "voice": voice}
    page.goto(served.url + "/runs/" + r.headers["X-Run-Id"])
    node = page.get_by_test_id("node-in")
    node.locator(f'img[src="{pic}"]').wait_for(state="attached")  # by the port's type, not the URL's look
    node.locator(f'audio[controls][src="{voice}"]').wait_for(state="attached")
    page.get_by_test_id("node-out_voice").locator(f'audio[src="{voice}"]').first.wait_for(state="attached")
    assert not page.errors
