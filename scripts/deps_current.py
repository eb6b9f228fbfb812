"""Exit 0 when ``pip install -e '.[test]'`` would change nothing, so scripts/test.sh can skip it.

That is: this checkout is the editable install of ``flowai`` (pip's ``direct_url.json`` names it),
installed from this very ``pyproject.toml`` (its hash is stamped in the git directory after each
install, see ``--stamp``), and every dependency and test extra is installed at a version the
requirement accepts. Anything else (a fresh clone or machine, an edited pyproject.toml, a missing or
too-old package) exits 1 and the script installs.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _stamp_path() -> Path | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--git-path", "flowai-test-deps"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return None
    return (ROOT / out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + sys.executable.encode()).hexdigest()


def _editable_here() -> bool:
    for dist in metadata.distributions(name="flowai"):
        raw = dist.read_text("direct_url.json")
        if raw:
            info = json.loads(raw)
            if info.get("dir_info", {}).get("editable") and info.get("url") == ROOT.as_uri():
                return True
    return False


def _satisfied(requirement: str) -> bool:
    req = Requirement(requirement)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        return True
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        return False
    return req.specifier.contains(version, prereleases=True)


def current() -> bool:
    stamp = _stamp_path()
    if stamp is None or not stamp.is_file() or stamp.read_text().strip() != _fingerprint():
        return False
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    return _editable_here() and all(_satisfied(r.split(";")[0].split("#")[0].strip()) for r in wanted)


if __name__ == "__main__":
    if sys.argv[1:] == ["--stamp"]:
        stamp = _stamp_path()
        if stamp is not None:
            stamp.write_text(_fingerprint() + "\n")
        sys.exit(0)
    sys.exit(0 if current() else 1)
