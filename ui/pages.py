"""Every page but the editor, registered at startup: sign-in, workflows, API management, runs,
providers, the video studio. Each lives in its own module; the shared frame is ``ui.layout``."""

from __future__ import annotations

from flowai.platform import Platform

from . import api_page, login_page, providers_page, runs_page, studio_page, workflows_page


def register(platform: Platform) -> None:
    for module in (login_page, workflows_page, studio_page, api_page, runs_page, providers_page):
        module.register(platform)
