"""``flowai batch``: one local run per JSONL line, a bounded number at a time, with a progress bar.

A line that is not valid JSON or not valid input fails alone; the others go on. Results go to
``OUT/results.jsonl`` (one line per input, in input order) and each output to
``OUT/outputs/<line>.json``; without ``--out`` the results are printed as JSONL.

Files a run produced are copied out the moment it finishes (``flowai.runs.outputs``): to the line's own
``output_path`` when it has one (a key beside the input fields, taken out of the input unless the
workflow has a field of that name), else into ``OUT`` named by ``name_template`` (``{index}`` is the
line number). ``on_saved(path)`` is told of each file written; a result lists them as ``files``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from flowai.errors import FlowAIError, InputError
from flowai.runs.service import Mode, Principal, RunService, Target

from .outputs import save_outputs

OUTPUT_PATH = "output_path"


async def run_batch(
    runs: RunService,
    principal: Principal,
    target: Target,
    *,
    files: Any = None,
    lines: list[str],
    concurrency: int = 8,
    out: Path | None = None,
    name_template: str | None = None,
    on_saved: Callable[[Path], Any] | None = None,
) -> dict[str, int]:
    """``files``: the platform's file store, to copy each run's files out (``--out``, ``output_path``)."""
    saving = {"files": files, "out": out, "template": name_template, "on_saved": on_saved}
    items = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    slots = asyncio.Semaphore(max(1, concurrency))
    results: dict[int, dict[str, Any]] = {}
    with tqdm(total=len(items), unit="run", desc="batch", file=sys.stderr, disable=None) as bar:

        async def one(number: int, line: str) -> None:
            async with slots:
                results[number] = await _run_line(runs, principal, target, number, line, saving)
            bar.update(1)
            bar.set_postfix(failed=sum(r["status"] != "completed" for r in results.values()))

        await asyncio.gather(*(one(n, line) for n, line in items))
    ordered = [results[n] for n, _ in items]
    _write(ordered, out)
    failed = sum(r["status"] != "completed" for r in ordered)
    return {"completed": len(ordered) - failed, "failed": failed}


async def _run_line(
    runs: RunService, principal: Principal, target: Target, number: int, line: str, saving: dict
) -> dict[str, Any]:
    try:
        given = json.loads(line)
        output_path = None
        fields = {f.name for f in target.graph.input_config.fields}
        if isinstance(given, dict) and OUTPUT_PATH in given and OUTPUT_PATH not in fields:
            output_path = given.pop(OUTPUT_PATH)
            if not isinstance(output_path, str) or not output_path.strip():
                raise InputError(f"Line {number}: 'output_path' must be a file or folder path.")
        run_input = target.graph.check_input(given)
    except ValueError as exc:
        return {
            "line": number,
            "run_id": None,
            "status": "failed",
            "error": {"code": 40001, "message": f"Line {number} is not valid JSON: {exc}"},
        }
    except FlowAIError as exc:
        return {"line": number, "run_id": None, "status": "failed", "error": exc.body()}
    handle = runs.start_checked(principal, target, run_input, mode=Mode.LOCAL, source="batch")
    await handle.wait()
    if handle.status == "completed":
        result = {"line": number, "run_id": handle.id, "status": "completed", "output": handle.output}
        destination = output_path or saving["out"]
        if destination is not None:
            try:
                paths = await asyncio.to_thread(
                    save_outputs,
                    saving["files"],
                    handle.output,
                    destination if output_path else os.path.join(destination, ""),
                    template=None if output_path else saving["template"],
                    index=number,
                    run_input=run_input,
                    run_id=handle.id,
                )
            except FlowAIError as exc:
                return {**result, "status": "failed", "error": exc.body()}
            except ValueError as exc:  # a name template that cannot be filled
                return {**result, "status": "failed", "error": InputError(str(exc)).body()}
            result["files"] = [str(p) for p in paths]
            for p in paths:
                if saving["on_saved"] is not None:
                    saving["on_saved"](p)
        return result
    error = handle.error.body() if handle.error else {"code": 50001, "message": "The run was cancelled."}
    return {"line": number, "run_id": handle.id, "status": handle.status, "error": error}


def announce(path: Path, *, to_stdout: bool) -> None:
    """Print a file written by a batch above its progress bar."""
    tqdm.write(str(path), file=sys.stdout if to_stdout else sys.stderr)


def _write(results: list[dict], out: Path | None) -> None:
    lines = [json.dumps(r, ensure_ascii=False) for r in results]
    if out is None:
        print("\n".join(lines))
        return
    (out / "outputs").mkdir(parents=True, exist_ok=True)
    (out / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for r in results:
        if r["status"] == "completed":
            (out / "outputs" / f"{r['line']}.json").write_text(
                json.dumps(r["output"], ensure_ascii=False), encoding="utf-8"
            )
