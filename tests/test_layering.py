"""Dependencies point one way: ui -> flowai -> nodes / storage. Read from the imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import httpx

from flowai.demo import HELLO
from tests.conftest import free_port
from tests.proc import Served, flowai

ROOT = Path(__file__).resolve().parent.parent


def imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_core_never_imports_the_ui():
    for path, names in imports("flowai").items():
        if path == "flowai/cli.py":  # the entry point composes the UI for `flowai serve`
            continue
        assert not names & {"ui", "nicegui"}, path


def test_nodes_and_storage_stay_below_the_core():
    for path, names in imports("nodes").items():
        assert not names & {"ui", "nicegui", "storage"}, path
    for path, names in imports("storage").items():
        assert not names & {"ui", "nicegui", "flowai", "nodes"}, path


# Which parts of ``flowai`` each part may import (besides itself). Top-level modules count as parts
# by their name (``errors``, ``ports``, ``settings``, ``services``, ``platform``, ``demo``, ``cli``).
LEAVES = {"errors", "ports", "settings", "stats", "mediatypes", "texts"}
ALLOWED = {
    "net": LEAVES,
    "access": LEAVES | {"storage"},
    "media": LEAVES | {"net", "storage", "providers"},
    "providers": LEAVES | {"net"},  # the database through flowai.providers.store's protocol only
    "workflows": LEAVES | {"nodes", "storage"},
    "gallery": LEAVES | {"workflows", "providers"},  # templates: documents, prices and key names
    "runs": LEAVES | {"net", "nodes", "storage", "workflows", "client"},
    "services": LEAVES | {"providers", "net"},
    "scale": LEAVES | {"runs", "workflows", "storage", "providers"},  # PostgreSQL-backed queue, counters, run fan-out
    "client": set(),  # the Python client of the run API: httpx only, nothing of the server
    # HTTP handlers are adapters over the services the platform composes: never storage or nodes
    "studio": LEAVES | {"runs", "workflows"},  # the video-studio projects: views over runs of a template
    "api": LEAVES | {"access", "media", "net", "platform", "providers", "runs", "studio", "workflows"},
}


def parts_imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        modules = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        for module in modules:
            head, _, rest = module.partition(".")
            if head == "flowai" and rest:
                found.add(rest.split(".")[0])
            elif head in ("storage", "nodes", "ui", "nicegui"):
                found.add(head)
    return found


def test_each_part_of_the_core_imports_only_what_its_docstring_allows():
    for part, allowed in ALLOWED.items():
        base = ROOT / "flowai" / part
        files = list(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        for path in files:
            extra = parts_imported(path) - allowed - {part}
            assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}"


def test_provider_clients_load_without_the_database():
    code = (
        "import sys, flowai.providers.families, flowai.providers.router, flowai.providers.admin; "
        "assert not {'storage', 'sqlmodel', 'flowai.media'} & set(sys.modules), 'storage or media imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def module_graph() -> dict[str, set[str]]:
    """Every module of the project and the project modules it imports, at any level (inside
    functions and ``if TYPE_CHECKING:`` blocks too), relative imports resolved."""
    modules = {}
    for package in ("flowai", "nodes", "storage", "ui"):
        for path in (ROOT / package).rglob("*.py"):
            if "vendor" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            modules[".".join(parts)] = (path, is_package)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here[: len(here) - node.level + 1] if node.level else []
                module = ".".join([*base, *(node.module.split(".") if node.module else [])])
                subs = [f"{module}.{a.name}" for a in node.names]
                # `from . import sub` imports the submodules only (the package is already loading)
                targets = subs if node.module is None and all(s in modules for s in subs) else [module, *subs]
            for target in targets:
                while target and target not in modules:  # `import a.b.c` -> the longest known prefix
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
        graph[name] = found
    return graph


def test_no_import_cycles():
    graph = module_graph()
    assert len(graph) > 100 and "flowai.runs.service" in graph["flowai.api.run_api"]
    cycles, state = [], {}  # state: 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep) :] + [dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles[:10])


def test_api_tier_runs_without_nicegui(tmp_path):
    code = "import sys, flowai.api.app, flowai.cli; assert 'nicegui' not in sys.modules, 'nicegui imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    path = tmp_path / "wf.json"
    path.write_text(__import__("json").dumps(HELLO))
    wf_id = flowai(tmp_path, "workflow", "import", str(path), "--publish").stdout.split()[-1]
    key = flowai(tmp_path, "key", "create", "--name", "k").stdout.split()[-1]
    api = Served(tmp_path, "api", port=free_port())
    try:
        api.wait_ready(path="/v1/api/nothing")
        r = httpx.post(
            f"{api.url}/v1/api/workflow/run/{wf_id}", headers={"X-API-KEY": key}, content='{"input":{"输入":"hi"}}'
        )
        assert r.json()["output"] == "在呢。你说的是：hi"
        assert httpx.get(api.url + "/login").status_code == 404  # no UI in the API tier
    finally:
        api.stop()


def test_the_embedded_default_starts_without_postgresqls_driver(tmp_path):
    """A platform on the SQLite default loads neither psycopg nor the job queue (a tenth of a second
    of every process start); tests/test_scale_*.py run the scaled deployment that needs them."""
    code = (
        "import sys; from pathlib import Path; from flowai.platform import Platform;"
        "from flowai.settings import Settings;"
        f"p = Platform(Settings(home=Path({str(tmp_path)!r}), database_url='sqlite:///' + {str(tmp_path / 'f.db')!r},"
        " secret_key='s', env={})); assert p.queue is None;"
        "assert not {'psycopg', 'psycopg_pool', 'procrastinate'} & set(sys.modules), 'PostgreSQL driver imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
