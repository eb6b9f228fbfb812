"""``hosted``: run a view's handler inside the page's stable host element.

A handler started from a list that it refreshes (the versions) must not create its dialogs or
notes in a slot that the refresh deleted; the views that open dialogs keep the page's hidden
host element as ``self.host`` and decorate those handlers.
"""

from __future__ import annotations

import functools


def hosted(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.host:
            return method(self, *args, **kwargs)

    return wrapper
