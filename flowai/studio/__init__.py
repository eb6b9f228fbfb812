"""The video-studio projects of ``/api/v1/workflow`` (docs/studio-api.md): a thin layer over the
novel-to-video template (flowai.workflows.novel_video) and the run service.

A project is a background run of its own copy of the template; its script, assets, storyboard,
animatic, video and edit are views over that run's node outputs by stage (``views.py``); editing
and regenerating start the run service's regenerate of the affected node (``service.py``). The
project rows live behind ``store.ProjectStore`` (storage.studio_store implements it).

May import: errors, settings, texts, runs, workflows (never storage or nodes).
"""

from .service import Studio
from .store import ProjectStore

__all__ = ["ProjectStore", "Studio"]
