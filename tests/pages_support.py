"""Helpers for the page tests of tests/test_ui_pages_*.py: editor (draft) runs made in the served
app's own database, as the editor's Run tab makes them (version 0, source ``editor``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from flowai.platform import Platform
from flowai.runs.service import Mode, Principal, Target
from flowai.settings import Settings


def served_platform(home: Path, env: dict[str, str] | None = None) -> Platform:
    """A platform on the served app's SQLite file (its secret only signs sessions, unused here)."""
    return Platform(
        Settings(
            home=home,
            database_url=f"sqlite:///{home / 'flowai.db'}",
            secret_key="pages-test",
            disconnect_grace=0.0,
            env=env or {},
        )
    )


async def draft_run(
    platform: Platform, workflow_id: str, document: dict, run_input: dict, *, cancel_after: float = 0
) -> str:
    """Run ``document`` as the editor runs an unsaved canvas; ``cancel_after``: press Stop after that
    many seconds. Returns the run id once it is recorded. (One event loop for all of a platform's
    runs: its HTTP client belongs to the loop it first ran in.)"""
    owner = platform.users.acting_admin().id
    graph = platform.workflows.validate(document)
    handle = platform.run_service.start_checked(
        Principal(owner), Target(workflow_id, 0, graph), graph.check_input(run_input), mode=Mode.LOCAL, source="editor"
    )
    if cancel_after:
        await asyncio.sleep(cancel_after)
        handle.cancel()
    await handle.wait()
    await platform.recorder.flush()
    return handle.id


def switch_language(page, language: str) -> None:
    """Switch the UI language from the header, and wait for the page to come back in it (it reloads)."""
    page.get_by_test_id("language").click()
    page.get_by_role("option", name=language).click()
    lang = "zh-CN" if language == "简体中文" else "en-US"
    # (mid-reload there is a moment with no document element at all)
    page.wait_for_function(f"document.documentElement?.lang === '{lang}'")
    page.wait_for_load_state()
