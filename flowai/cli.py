"""The ``flowai`` command (DESIGN.md §6). It acts as the instance's first admin account."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from flowai.errors import FlowAIError, GraphError
from flowai.settings import Settings


def _platform():
    from flowai.platform import Platform

    return Platform(Settings.from_env())


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)


def cmd_serve(args) -> int:
    from ui.server import serve  # the CLI is the composition root: the only place flowai meets ui

    serve(Settings.from_env(), host=args.host, port=args.port, demo=args.demo)
    return 0


def cmd_api(args) -> int:
    import uvicorn

    uvicorn.run(
        "flowai.api.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )
    return 0


def cmd_workflow_import(args) -> int:
    p = _platform()
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    admin = p.users.acting_admin()
    wf, v = p.workflows.create(
        owner_id=admin.id, document=document, message=f"Imported from {Path(args.file).name}", publish=args.publish
    )
    print(f"Imported {wf.name!r} as version {v.number}" + (" (published)" if args.publish else ""))
    print(wf.id)
    return 0


def cmd_workflow_export(args) -> int:
    p = _platform()
    doc = p.workflows.export(owner_id=p.users.acting_admin().id, workflow_id=args.id, version=args.version)
    print(_dump(doc))
    return 0


def cmd_workflow_publish(args) -> int:
    p = _platform()
    number = p.workflows.publish(owner_id=p.users.acting_admin().id, workflow_id=args.id, version=args.version)
    print(f"Published version {number} of {args.id}")
    return 0


def cmd_key_create(args) -> int:
    p = _platform()
    workflows = [w.strip() for w in args.workflows.split(",") if w.strip()] if args.workflows else None
    admin = p.users.acting_admin()
    for wf_id in workflows or ():
        p.workflows.get(owner_id=admin.id, workflow_id=wf_id)
    secret, key = p.keys.create(owner_id=admin.id, name=args.name, rate_limit=args.rate_limit, workflows=workflows)
    limit = "unlimited" if key.rate_limit == 0 else f"{key.rate_limit} runs/minute"
    print(f"Created API key {key.name!r} ({key.prefix}…, {limit}).")
    print(f"Callback signing secret: {p.keys.signing_secret(key.id)}")
    print("The key is shown once:")
    print(secret)
    return 0


def cmd_user_create(args) -> int:
    p = _platform()
    user = p.users.create(username=args.username, password=args.password, is_admin=args.admin)
    print(f"Created user {user.username!r}" + (" (admin)" if user.is_admin else ""))
    return 0


def cmd_run(args) -> int:
    from flowai.runs.service import Mode, Principal
    from flowai.runs.sse import frame, payload

    try:
        run_input = json.loads(args.input)
    except ValueError as exc:
        print(f"error: --input is not valid JSON: {exc}", file=sys.stderr)
        return 2
    p = _platform()
    principal = Principal(p.users.acting_admin().id)
    target = p.run_service.target(principal, args.id, args.version)
    run_input = target.graph.check_input(run_input)  # before starting anything

    async def go() -> int:
        await p.startup()
        try:
            handle = p.run_service.start_checked(principal, target, run_input, mode=Mode.LOCAL, source="cli")
            if args.stream:
                async for seq, ev in handle.follow():
                    item = payload(ev)
                    if item:
                        sys.stdout.buffer.write(frame(seq, *item))
                        sys.stdout.flush()
            await handle.wait()
            if not args.stream:
                if handle.status == "completed":
                    print(
                        json.dumps(
                            {"output": handle.output, "total_time": handle.events[-1].total_time}, ensure_ascii=False
                        )
                    )
                elif handle.error is not None:
                    print(json.dumps(handle.error.body(), ensure_ascii=False))
            return 0 if handle.status == "completed" else 1
        finally:
            await p.shutdown()

    return asyncio.run(go())


def cmd_batch(args) -> int:
    from flowai.runs.batch import run_batch
    from flowai.runs.service import Principal

    p = _platform()
    principal = Principal(p.users.acting_admin().id)
    target = p.run_service.target(principal, args.id, args.version)
    try:
        lines = Path(args.inputs).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        print(f"error: cannot read {args.inputs}: {exc}", file=sys.stderr)
        return 2

    async def go() -> dict[str, int]:
        await p.startup()  # (the platform's run manager, recorder and HTTP pool live on this loop)
        try:
            return await run_batch(
                p.run_service,
                principal,
                target,
                lines=lines,
                concurrency=args.concurrency,
                out=Path(args.out) if args.out else None,
            )
        finally:
            await p.shutdown()

    summary = asyncio.run(go())
    print(
        f"{summary['completed']} completed, {summary['failed']} failed"
        + (f"; results in {args.out}/results.jsonl" if args.out else ""),
        file=sys.stderr,
    )
    return 0 if summary["failed"] == 0 else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flowai", description="FlowAI: visual AI workflows, published as APIs.")
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="UI and APIs in one process")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--demo", action="store_true", help="seed example workflows and print a demo API key")
    s.set_defaults(func=cmd_serve)

    a = sub.add_parser("api", help="the API tier alone (no UI)")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--port", type=int, default=8080)
    a.add_argument("--workers", type=int, default=1)
    a.set_defaults(func=cmd_api)

    w = sub.add_parser("workflow", help="import, export, publish workflows").add_subparsers(
        dest="action", required=True
    )
    wi = w.add_parser("import", help="import a flowai/1 file; prints the new id last")
    wi.add_argument("file")
    wi.add_argument("--publish", action="store_true")
    wi.set_defaults(func=cmd_workflow_import)
    we = w.add_parser("export", help="print a flowai/1 document")
    we.add_argument("id")
    we.add_argument("--version", type=int)
    we.set_defaults(func=cmd_workflow_export)
    wp = w.add_parser("publish", help="publish a version (default: save the draft and publish it)")
    wp.add_argument("id")
    wp.add_argument("--version", type=int)
    wp.set_defaults(func=cmd_workflow_publish)

    k = sub.add_parser("key", help="API keys").add_subparsers(dest="action", required=True)
    kc = k.add_parser("create", help="create an API key; prints the secret last")
    kc.add_argument("--name", required=True)
    kc.add_argument("--rate-limit", type=int, default=None, help="runs per minute, 0 = unlimited (default 600)")
    kc.add_argument("--workflows", help="comma-separated workflow ids this key may run")
    kc.set_defaults(func=cmd_key_create)

    r = sub.add_parser("run", help="run a workflow locally (no server needed)")
    r.add_argument("id")
    r.add_argument("--input", required=True, help="the input object as JSON")
    r.add_argument("--stream", action="store_true", help="print the SSE events as they happen")
    r.add_argument("--version", type=int)
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("batch", help="run a workflow once per line of a JSONL file of inputs")
    b.add_argument("id")
    b.add_argument("inputs", help="a file with one JSON input object per line")
    b.add_argument("--concurrency", type=int, default=8)
    b.add_argument("--out", help="folder for results.jsonl and outputs/<line>.json (default: results on stdout)")
    b.add_argument("--version", type=int)
    b.set_defaults(func=cmd_batch)

    u = sub.add_parser("user", help="accounts").add_subparsers(dest="action", required=True)
    uc = u.add_parser("create")
    uc.add_argument("--username", required=True)
    uc.add_argument("--password", required=True)
    uc.add_argument("--admin", action="store_true")
    uc.set_defaults(func=cmd_user_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GraphError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        for issue in exc.issues:
            print(f"  - {issue['message']}", file=sys.stderr)
        return 2
    except FlowAIError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
