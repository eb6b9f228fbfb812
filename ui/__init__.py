"""NiceGUI pages. Depends on ``flowai``; nothing in ``flowai`` (but the CLI entry point) imports it."""
