"""Runs and the engine: the async engine and its events, the run manager (client and background
runs; pause, resume, cancel; the fan-out of events to followers), the run service every entrance
starts and finds runs through (``service.py``), regenerating a node, history and progress, the
SSE encoding, idempotency, callbacks, batches and saving a run's files to chosen paths.

May import ``flowai.workflows``, ``flowai.net``, ``flowai.errors``, ``flowai.client`` (its file
naming helpers), ``nodes`` and ``storage``;
never ``flowai.api`` or ``ui``. The engine itself imports neither ``storage`` nor ``nodes``.
"""
