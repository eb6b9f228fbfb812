"""``python -m bench [NAME ...]``: run the benchmarks (all by default), print a table with each
figure beside its target, and append the figures to bench/results.jsonl."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from bench import RESULTS, Figure, commit, machine, record, table

BENCHMARKS = {
    "engine": "bench.engine",
    "critical_path": "bench.critical_path",
    "throughput": "bench.throughput",
    "sustained": "bench.sustained",
    "streaming": "bench.streaming",
    "concurrent_streams": "bench.concurrent_streams",
    "editor": "bench.editor",
    "scale_pg": "bench.scale_pg",  # 1, 2 and 4 API processes on PostgreSQL (README: Running at scale)
}
DEFAULT_DURATION = {"throughput": 10.0, "sustained": 60.0, "scale_pg": 60.0}  # seconds of wrk load


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds of each wrk load (default: 10 for throughput, 60 for the sustained load and scale_pg)",
    )
    parser.add_argument("--no-record", action="store_true", help=f"do not append to {RESULTS.name}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    m = machine()
    print(f"FlowAI benchmarks at {commit()[:12]} on {m['nproc']} CPUs, {m['uname']}", flush=True)
    figures: list[Figure] = []
    for name in names:
        module = BENCHMARKS[name]
        if module is None:
            figures.append(Figure("editor", "canvas editor", None, "", text="n/a: canvas not built yet"))
            continue
        print(f"- {name} ...", end="", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(module)
            if name in DEFAULT_DURATION:
                got = mod.run(duration=args.duration or DEFAULT_DURATION[name])
            else:
                got = mod.run()
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            traceback.print_exc()
            got = [Figure(name, "failed", None, "", ok=False, note=f"{type(exc).__name__}: {exc}")]
        print(f" {time.perf_counter() - t0:.0f} s", flush=True)
        figures += got
    print()
    print(table(figures))
    if not args.no_record:
        record(figures)
        print(f"\nappended {len(figures)} figures to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
