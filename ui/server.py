"""``flowai serve``: the API routes on a parent app, NiceGUI mounted beside them.

The run API lives on the parent app so its requests never pass through NiceGUI's middleware
stack (measured by ``python -m bench``: ~9,000 vs ~1,500 requests/s on this kind of machine).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from nicegui import app as nicegui_app
from nicegui import ui

from flowai.api.app import exception_handlers, lifespan_for, mounts, routes
from flowai.api.lockout import Lockout
from flowai.demo import seed
from flowai.platform import Platform
from flowai.settings import Settings
from nodes import Registry

from . import editor, pages
from .hardening import RedactQueries, SecurityHeaders

TAILWIND_CSS = Path(__file__).parent / "static" / "tailwind.css"
# Seconds a page's server side waits for its browser to come back after the socket went quiet (a
# stalled tab, a network blip, a machine under load) before it is deleted. NiceGUI's default, 3 s,
# also sets how long an unanswered ping may wait (2 s): a browser busy for longer found its page gone
# when it reconnected and reloaded itself, losing what was typed and the click that followed. With
# 30 s a ping may wait 12 s, and a page comes back within half a minute as it was (NiceGUI replays
# the updates it missed). Closing a tab ends its page (and an editor test run's follower) that much later.
RECONNECT_TIMEOUT = 30.0
_css_linked = False


def prebuilt_css() -> None:
    """Serve ui/static/tailwind.css (built by scripts/build_css.sh from the classes the UI uses) and
    link it from every page, in place of NiceGUI's in-browser Tailwind compiler, which restyled the
    whole page after each DOM change: about a quarter of the browser's CPU on a page load, and the
    editor's long tasks. Its URL carries its content hash, so browsers may keep it for a year."""
    global _css_linked
    if _css_linked:
        return
    version = hashlib.sha256(TAILWIND_CSS.read_bytes()).hexdigest()[:12]  # hex digits only
    url = f"/_flowai/tailwind-{version}.css"
    nicegui_app.add_static_file(local_file=TAILWIND_CSS, url_path=url, max_cache_age=365 * 24 * 3600)
    ui.add_head_html(f'<link rel="stylesheet" href="/_flowai/tailwind-{version}.css">', shared=True)  # (hex only)
    _css_linked = True


def build_app(platform: Platform) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan_for(platform))
    app.router.routes.extend([*routes, *mounts(platform)])
    for exc, handler in exception_handlers.items():
        app.add_exception_handler(exc, handler)
    app.add_middleware(Lockout, throttle=platform.throttle)
    app.state.platform = platform
    pages.register(platform)
    editor.register(platform)
    secret = hmac.new(platform.settings.secret_key.encode(), b"nicegui-storage", hashlib.sha256).hexdigest()
    nicegui_app.add_middleware(SecurityHeaders)  # UI responses only: the API routes live on the parent app
    nicegui_log = logging.getLogger("nicegui")
    if not any(isinstance(f, RedactQueries) for f in nicegui_log.filters):
        nicegui_log.addFilter(RedactQueries())
    prebuilt_css()
    ui.run_with(
        app,
        title="FlowAI",
        storage_secret=secret,
        show_welcome_message=False,
        favicon="🌊",
        tailwind=False,
        reconnect_timeout=RECONNECT_TIMEOUT,
    )
    return app


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    demo: bool = False,
    registry: Registry | None = None,
) -> None:
    """Serve UI and APIs; ``registry``: the node types (default: ``nodes.default_registry()``)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line of ours says what a start-up migration did
    platform = Platform(settings, registry=registry)
    base = f"http://{host}:{port}"
    read = f" (read {', '.join(settings.env_files)})" if settings.env_files else ""
    print(f"FlowAI {settings.environment} environment{read}")
    if demo:
        admin = platform.users.acting_admin()
        seeded, secret = seed(platform, admin.id)
        print("FlowAI demo workflows (published):")
        for wf_id, name in seeded:
            print(f"  {wf_id}  {name}")
        print("\nDemo API key (shown once; revoked and replaced on the next --demo start):")
        print(f"  {secret}\n")
        print("Try it:")
        print(
            f"  curl -X POST {base}/v1/api/workflow/run/{seeded[0][0]} -H 'X-API-KEY: {secret}' "
            '-d \'{"input":{"输入":"在吗?"}}\'\n'
        )
    token = platform.users.setup_token()
    if token:  # Jupyter-style: claiming the instance needs what only the operator can see
        print(f"This instance has no admin yet. One-time set-up token: {token}")
        print(f"Open {base}/login in a browser and create the admin account with that token.")
    else:
        print(f"Open {base}/ in a browser to sign in.")
    sys.stdout.flush()
    uvicorn.run(build_app(platform), host=host, port=port, log_level="warning")
