"""``flowai batch``: one local run per JSONL line, a bounded number at a time, with a progress bar.

A line that is not valid JSON or not valid input fails alone; the others go on. Results go to
``OUT/results.jsonl`` (one line per input, in input order) and each output to
``OUT/outputs/<line>.json``; without ``--out`` the results are printed as JSONL.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from flowai.errors import FlowAIError
from flowai.runs.service import Mode, Principal, RunService, Target


async def run_batch(
    runs: RunService,
    principal: Principal,
    target: Target,
    *,
    lines: list[str],
    concurrency: int = 8,
    out: Path | None = None,
) -> dict[str, int]:
    items = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    slots = asyncio.Semaphore(max(1, concurrency))
    results: dict[int, dict[str, Any]] = {}
    with tqdm(total=len(items), unit="run", desc="batch", file=sys.stderr, disable=None) as bar:

        async def one(number: int, line: str) -> None:
            async with slots:
                results[number] = await _run_line(runs, principal, target, number, line)
            bar.update(1)
            bar.set_postfix(failed=sum(r["status"] != "completed" for r in results.values()))

        await asyncio.gather(*(one(n, line) for n, line in items))
    ordered = [results[n] for n, _ in items]
    _write(ordered, out)
    failed = sum(r["status"] != "completed" for r in ordered)
    return {"completed": len(ordered) - failed, "failed": failed}


async def _run_line(runs: RunService, principal: Principal, target: Target, number: int, line: str) -> dict[str, Any]:
    try:
        run_input = target.graph.check_input(json.loads(line))
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
        return {"line": number, "run_id": handle.id, "status": "completed", "output": handle.output}
    error = handle.error.body() if handle.error else {"code": 50001, "message": "The run was cancelled."}
    return {"line": number, "run_id": handle.id, "status": handle.status, "error": error}


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
