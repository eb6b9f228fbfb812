"""The CSS classes the UI's Python code names in ``.classes(...)`` calls, and a stamp of them in
ui/static/tailwind.css, so a test can tell when the prebuilt CSS is older than the code.

    python3 scripts/css_classes.py --stamp ui/static/tailwind.css   # scripts/build_css.sh does this
    python3 scripts/css_classes.py --check ui/static/tailwind.css   # exit 1 if the stamp is stale

The stamp covers the string literals of ``.classes()`` calls (including f-string parts and both
sides of a conditional); Tailwind's own scanner, which the build runs, reads every file, so a class
kept in a variable elsewhere is built too, it only does not move the stamp.
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP = re.compile(r"/\* classes: ([0-9a-f]{64}) \*/")


def classes_used(root: Path = ROOT / "ui") -> set[str]:
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "classes":
                for arg in [*call.args, *(k.value for k in call.keywords)]:
                    for node in ast.walk(arg):
                        if isinstance(node, ast.Constant) and isinstance(node.value, str):
                            found.update(node.value.split())
    return found


def digest(classes: set[str]) -> str:
    return hashlib.sha256("\n".join(sorted(classes)).encode()).hexdigest()


def stamp_of(css: Path) -> str | None:
    m = STAMP.search(css.read_text(encoding="utf-8")[:200])
    return m[1] if m else None


def main(argv: list[str]) -> int:
    action, css = argv[0], Path(argv[1])
    if action == "--stamp":
        text = STAMP.sub("", css.read_text(encoding="utf-8")).lstrip("\n")
        css.write_text(f"/* classes: {digest(classes_used())} */\n{text}", encoding="utf-8")
        return 0
    if stamp_of(css) != digest(classes_used()):
        print(f"{css} is older than the classes the UI uses: run scripts/build_css.sh", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
