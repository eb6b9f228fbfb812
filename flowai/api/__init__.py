"""The HTTP tier: the published run API (and, later, the management API). No NiceGUI here."""
