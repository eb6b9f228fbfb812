"""Outbound HTTP: the shared client (``httpclient``), the SSRF address check (``netcheck``) and
the checked, pinned client that HTTP nodes, media URLs and callbacks use (``web``).

May import ``flowai.errors`` only; never ``storage``.
"""
