"""Media: uploaded files typed by their bytes (``files``), and the media values of runs, stored
and loaded (``store``).

May import ``flowai.net``, ``flowai.errors`` and ``storage``.
"""
