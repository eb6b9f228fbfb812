"""Helpers for the editor's browser tests: a served app with its browser, signed-in tabs, workflows
in the served app's database, canvas gestures.

with served_editor(home, openai_env(fake)) as app:   # a module's app; ``app.browser``, ``app.home``
    with editor_tab(app) as page:                    # a signed-in tab; its script errors fail the test
        ...
wf_id = make_workflow(app_home, document)
open_editor(page, app, wf_id)
drop(page, "llm", 400, 300)                      # drag from the palette onto the canvas
connect(page, "input_1", "input", "llm_1", "prompt")
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect

from flowai.workflows.store import Workflows
from nodes import default_registry
from storage import queries
from storage.db import make_engine, session
from tests.browser import ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.fakes.openai_server import FakeOpenAI
from tests.pages_support import switch_language


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """A fake OpenAI on 127.0.0.1 (``fake.url`` is its ``/v1``)."""
    fake = FakeOpenAI()
    with ThreadServer(fake.app) as server:
        fake.url = f"{server.url}/v1"
        yield fake


def openai_env(fake: FakeOpenAI) -> dict[str, str]:
    return {"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.url}


@contextmanager
def served_editor(home: Path, env: dict[str, str] | None = None) -> Iterator[ServedApp]:
    """``flowai serve`` on ``home`` with its admin made, and one Chromium for the module's tabs."""
    app = ServedApp.start(home, env=env)
    app.home = home
    try:
        with chromium() as browser:
            admin_page(browser, app).context.close()  # the first visit creates the admin account
            app.browser = browser
            yield app
    finally:
        app.stop()


@contextmanager
def editor_tab(app: ServedApp, *, check_errors: bool = True, timeout_ms: int | None = 20_000) -> Iterator:
    """A signed-in tab of ``app``'s browser; its script errors in ``page.errors`` (with
    ``check_errors``, any of them fails the test once it is done)."""
    page = admin_page(app.browser, app)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    if timeout_ms is not None:
        page.set_default_timeout(timeout_ms)
    page.errors = errors
    try:
        yield page
        if check_errors:
            assert not errors, errors
    finally:
        page.context.close()


def workflows(home: Path) -> Workflows:
    """The served app's workflows, reached through its SQLite file (as the CLI does)."""
    return Workflows(make_engine(f"sqlite:///{home / 'flowai.db'}"), default_registry())


def admin_id(wfs: Workflows) -> int:
    with session(wfs.db) as s:
        return queries.first_admin(s).id


def make_workflow(home: Path, document: dict, *, publish: bool = False) -> str:
    wfs = workflows(home)
    wf, _ = wfs.create(owner_id=admin_id(wfs), document=document, publish=publish)
    wfs.db.dispose()
    return wf.id


def open_editor(page, app, wf_id: str, *, language: str | None = None) -> None:
    """The editor of ``wf_id``, once its canvas is drawn; ``language``: then switched to it from the
    header (the editor reloads in it)."""
    page.goto(f"{app.url}/workflows/{wf_id}")
    page.wait_for_selector('[data-testid="canvas"][data-ready="true"]', timeout=20_000)
    if language is not None:
        switch_language(page, language)
        page.wait_for_selector('[data-testid="canvas"][data-ready="true"]', timeout=20_000)


def node(page, node_id: str):
    return page.locator(f'[data-testid="node-{node_id}"]')


def select(page, node_id: str) -> None:
    """Click a node and wait until the settings panel shows it."""
    node(page, node_id).locator(".fa-head").click()
    page.get_by_test_id("node-id").filter(has_text=f"ID: {node_id}").wait_for()


def handle(page, node_id: str, port: str, kind: str):
    """An input (``target``) or output (``source``) port handle."""
    return page.locator(f'.vue-flow__handle.{kind}[data-nodeid="{node_id}"][data-handleid="{port}"]')


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, locator
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def steady_centre(page, locator) -> tuple[float, float]:
    """``centre``, once it is the same two frames running (not while the node is redrawn)."""
    at = centre(locator)
    for _ in range(10):
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        now = centre(locator)
        if abs(now[0] - at[0]) < 1 and abs(now[1] - at[1]) < 1:
            return now
        at = now
    return at


def connect(page, source: str, source_port: str, target: str, target_port: str) -> None:
    """Drag a wire from a source port to a target port, aiming at the target where it is when the
    pointer gets there, as a person's eyes would (a node may shift while its checks come back)."""
    sx, sy = steady_centre(page, handle(page, source, source_port, "source"))
    tx, ty = centre(handle(page, target, target_port, "target"))
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=6)
    for _ in range(3):
        tx, ty = centre(handle(page, target, target_port, "target"))
        page.mouse.move(tx, ty, steps=12)
        now = centre(handle(page, target, target_port, "target"))
        if abs(now[0] - tx) < 2 and abs(now[1] - ty) < 2:
            break
    page.mouse.up()


def drop(page, node_type: str, x: float, y: float) -> None:
    """Drag a node type from the palette to (x, y) inside the canvas."""
    page.drag_and_drop(
        f'[data-testid="palette-{node_type}"]', '[data-testid="canvas"]', target_position={"x": x, "y": y}
    )


def edges(page):
    return page.locator(".vue-flow__edge")


def notification(page, text: str):
    return page.locator(".q-notification", has_text=text)


def on_wire(path, at: float = 0.25) -> tuple[float, float]:
    """A point on a wire's path, ``at`` of its length from the source, in page coordinates (the
    middle of a wire may lie under a frame, or under the wire's own tag)."""
    x, y = path.evaluate(
        "(el, at) => { const p = el.getPointAtLength(el.getTotalLength() * at), m = el.getScreenCTM();"
        " return [p.x * m.a + p.y * m.c + m.e, p.x * m.b + p.y * m.d + m.f]; }",
        at,
    )
    return float(x), float(y)


def insert_on_edge(page, wire) -> None:
    """Click a wire (it shows its "+" while selected), click the "+", and see the node picker open
    (a click landing while the canvas fits its view or redraws is lost, as a person's would be:
    they try again)."""
    path, plus = wire.locator(".vue-flow__edge-path"), page.locator('[data-role="edge-plus"]')
    picker = page.get_by_test_id("node-picker")
    for at in (0.5, 0.3, 0.7, 0.4, 0.6, 0.5):  # a point of the wire no node or tag covers
        page.keyboard.press("Escape")
        page.mouse.move(5, 5)
        page.mouse.click(*on_wire(path, at), delay=50)
        try:
            expect(wire).to_have_class(re.compile(r"\bselected\b"), timeout=2_000)
            expect(plus).to_be_visible(timeout=3_000)
            page.mouse.click(*centre(plus))
            expect(picker).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            continue
    shot(page, "insert-on-edge-not-opened")  # what the clicks met, for whoever reads the failure
    expect(picker).to_be_visible()


def connect_wired(page, source: str, source_port: str, target: str, target_port: str) -> None:
    """``connect``, again if the wire did not appear (a drag landing while the canvas redraws is
    lost, as a person's would be): for a connection that must be made."""
    wire = page.locator(f'.vue-flow__edge[data-id="{source}:{source_port}->{target}:{target_port}"]')
    for _ in range(3):
        connect(page, source, source_port, target, target_port)
        try:
            expect(wire).to_have_count(1, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(wire).to_have_count(1)


def connect_refused(page, source: str, source_port: str, target: str, target_port: str, reason: str) -> None:
    """``connect`` a connection the editor must refuse, and see ``reason`` in its toast: the drag
    again if no toast came (a drag landing while the canvas redraws is lost, as a person's would be)."""
    for _ in range(3):
        connect(page, source, source_port, target, target_port)
        try:
            expect(notification(page, reason)).to_be_visible(timeout=4_000)
            return
        except AssertionError:
            continue
    expect(notification(page, reason)).to_be_visible()


def select_edge(page, wire) -> None:
    """Click a wire until it is selected (a click landing while the canvas redraws is lost)."""
    path = wire.locator(".vue-flow__edge-path")
    for _ in range(5):
        page.mouse.click(*centre(path))
        try:
            expect(wire).to_have_class(re.compile(r"\bselected\b"), timeout=3_000)
            return
        except AssertionError:
            continue
    expect(wire).to_have_class(re.compile(r"\bselected\b"))
