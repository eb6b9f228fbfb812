"""Workflows and the graph: the ``flowai/1`` document (parsing, validation, compilation),
templates, version diffs, the workflow store and the starter graphs.

May import ``flowai.errors``, ``flowai.ports``, ``nodes`` and ``storage``; never ``flowai.runs``,
``flowai.api`` or ``ui``.
"""
