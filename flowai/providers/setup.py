"""``flowai setup``'s steps that are not talking to a person: which providers have credentials, the
``.env`` file (written with mode 0600, listed in ``.gitignore``), connection tests, and which task
each provider serves once set up.

    rows = status(platform.credentials)                   # [(spec, credential), ...] in catalog order
    save_env(Path(".env"), {"REPLICATE_API_TOKEN": "r8_..."})
    checks = await test_all(platform.provider_admin, [name for name, ok in ...])
    table = served(platform.provider_admin.priorities(), {n for n, (ok, _) in checks.items() if ok})
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from dotenv import set_key

from .catalog import CATALOG, ProviderSpec
from .credentials import Credential, Credentials


def status(credentials: Credentials) -> list[tuple[ProviderSpec, Credential]]:
    return [(spec, credentials.get(spec.name)) for spec in CATALOG.values()]


def variables(spec: ProviderSpec) -> list[str]:
    """The variables a person is asked for: the documented key name, then required options."""
    return [spec.key_env[0], *spec.option_env.values()]


def save_env(path: Path, values: dict[str, str]) -> None:
    """Set ``values`` in the dotenv file at ``path`` (other lines kept), readable by its owner only."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    os.chmod(path, 0o600)
    for name, value in values.items():
        set_key(path, name, value)
    os.chmod(path, 0o600)


def ignore_env(folder: Path, name: str = ".env") -> bool:
    """List ``name`` in ``folder/.gitignore`` when the folder is a git work tree or has a .gitignore.
    True when the file was changed."""
    ignore = folder / ".gitignore"
    if not ignore.exists() and not (folder / ".git").exists():
        return False
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    if name in (line.strip() for line in lines):
        return False
    ignore.write_text("\n".join([*lines, name]) + "\n", encoding="utf-8")
    return True


async def test_all(admin, names: list[str]) -> dict[str, tuple[bool, str]]:
    """Each provider's connection test, all at once (``ProviderAdmin.test_connection`` never raises)."""
    results = await asyncio.gather(*(admin.test_connection(n) for n in names))
    return dict(zip(names, results))


def served(priorities: dict[str, list[str]], working: set[str]) -> dict[str, list[str]]:
    """Per task, the working providers that serve it, in priority order."""
    return {task: [n for n in names if n in working] for task, names in priorities.items()}


def missing_hint(priorities: list[str]) -> str:
    """What to set for a task nobody serves: its providers' key variables, in priority order."""
    return ", ".join(CATALOG[n].key_env[0] for n in priorities if n in CATALOG)
