"""The UI's Tailwind CSS is built ahead of time (ui/static/tailwind.css, scripts/build_css.sh), not
compiled in the browser by NiceGUI's Tailwind runtime, which restyled the whole page after every
DOM change: about a quarter of Chromium's CPU on a page load, and the editor's long tasks."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from pathlib import Path

import httpx

from tests.browser import ServedApp

ROOT = Path(__file__).resolve().parent.parent
CSS = ROOT / "ui" / "static" / "tailwind.css"


def _css_classes():
    spec = importlib.util.spec_from_file_location("css_classes", ROOT / "scripts" / "css_classes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_prebuilt_css_is_built_from_the_classes_the_ui_uses():
    css_classes = _css_classes()
    used = css_classes.classes_used()
    assert {"w-full", "text-sm", "font-mono"} <= used
    assert css_classes.stamp_of(CSS) == css_classes.digest(used), (
        "ui/static/tailwind.css is older than the classes the UI uses: run scripts/build_css.sh"
    )
    text = CSS.read_text(encoding="utf-8")
    for name in ("w-full", "text-sm", "font-mono", "gap-2", "items-center"):
        assert re.search(rf"\.{name}[{{:,]", text), name


def test_pages_link_the_prebuilt_css_and_load_no_tailwind_runtime(tmp_path):
    app = ServedApp.start(tmp_path)
    try:
        page = httpx.get(app.url + "/login", timeout=30)
        assert page.status_code == 200
        assert "tailwindcss.min.js" not in page.text and "text/tailwindcss" not in page.text
        href = re.search(r'<link rel="stylesheet" href="(/_flowai/tailwind-[0-9a-f]{12}\.css)">', page.text)
        assert href, "the page does not link ui/static/tailwind.css"
        assert href[1] == f"/_flowai/tailwind-{hashlib.sha256(CSS.read_bytes()).hexdigest()[:12]}.css"
        css = httpx.get(app.url + href[1], timeout=30)
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert css.content == CSS.read_bytes()
        assert "max-age=31536000" in css.headers["cache-control"]  # the URL changes with the content
    finally:
        app.stop()
