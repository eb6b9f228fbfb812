"""Runs and the engine: the async engine and its events, the run manager (client and background
runs; pause, resume, cancel; the fan-out of events to followers), the run service every entrance
starts and finds runs through (``service.py``), regenerating a node, history and progress, the
SSE encoding, idempotency, callbacks and batches.

May import ``flowai.workflows``, ``flowai.net``, ``flowai.errors``, ``nodes`` and ``storage``;
never ``flowai.api`` or ``ui``. The engine itself imports neither ``storage`` nor ``nodes``.
"""
