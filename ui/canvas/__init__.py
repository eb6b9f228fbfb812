"""The canvas: Vue Flow (vendored under ``vendor/``) wrapped as one NiceGUI element."""

from .flow_canvas import FlowCanvas

__all__ = ["FlowCanvas"]
