"""The ``flowai`` command (README, CLI). It acts as the instance's first admin account."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from flowai import cli_template
from flowai.errors import FlowAIError, GraphError
from flowai.settings import Settings, SettingsError
from storage.schema import SchemaError


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

    settings = Settings.from_env()
    _check_schema(settings)  # here, not in each worker: one clear message, no traceback
    uvicorn.run(
        "flowai.api.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=int(settings.drain_seconds),  # SIGTERM: open requests and streams finish
    )
    return 0


def cmd_worker(args) -> int:
    """Execute background runs from the shared queue (PostgreSQL) until SIGTERM, then drain."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    p = _platform()
    if p.queue is None:
        print("error: `flowai worker` needs FLOWAI_DATABASE_URL=postgresql+psycopg://… (README: Running at scale).")
        return 2

    async def go() -> None:
        await p.startup()
        try:
            s = p.settings
            print(f"FlowAI worker ready: {s.max_concurrent_runs} runs at once, lease {s.worker_lease:g} s", flush=True)
            await p.work()
        finally:
            await p.shutdown()

    asyncio.run(go())
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
            if args.out and handle.status == "completed":
                _print_saved(p, handle, args, run_input)
            return 0 if handle.status == "completed" else 1
        finally:
            await p.shutdown()

    from flowai.providers.replicate import call_retries

    with call_retries(args.max_retries):
        return asyncio.run(go())


def _print_saved(p, handle, args, run_input) -> None:
    """``--out``: the run's files copied to the chosen path (or folder), each path printed."""
    from flowai.runs.outputs import save_outputs

    template = args.name_template or "{run_id}_{n}.{ext}"
    paths = save_outputs(p.files, handle.output, args.out, template=template, run_input=run_input, run_id=handle.id)
    for path in paths:
        print(path, flush=True)
    if not paths:
        print("note: the run's output holds no files; nothing was written to --out.", file=sys.stderr)


def cmd_batch(args) -> int:
    from flowai.runs.batch import announce, run_batch
    from flowai.runs.service import Principal

    p = _platform()
    principal = Principal(p.users.acting_admin().id)
    target = p.run_service.target(principal, args.id, args.version)
    try:
        lines = Path(args.inputs).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        print(f"error: cannot read {args.inputs}: {exc}", file=sys.stderr)
        return 2

    def saved(path: Path) -> None:  # each file as it is written; stdout when the results go to a file
        announce(path, to_stdout=bool(args.out))

    from flowai.providers.replicate import call_retries

    async def go() -> dict[str, int]:
        await p.startup()  # (the platform's run manager, recorder and HTTP pool live on this loop)
        try:
            return await run_batch(
                p.run_service,
                principal,
                target,
                files=p.files,
                lines=lines,
                concurrency=args.concurrency,
                out=Path(args.out) if args.out else None,
                name_template=args.name_template,
                on_saved=saved,
            )
        finally:
            await p.shutdown()

    with call_retries(args.max_retries):
        summary = asyncio.run(go())
    print(
        f"{summary['completed']} completed, {summary['failed']} failed"
        + (f"; results in {args.out}/results.jsonl" if args.out else ""),
        file=sys.stderr,
    )
    return 0 if summary["failed"] == 0 else 1


def cmd_setup(args) -> int:
    """Check every provider's credentials, ask for missing ones (in a terminal), write them to the
    env file (mode 0600), test each configured provider and print which tasks are served by whom."""
    import getpass
    import os

    from dotenv import load_dotenv

    from flowai.platform import Platform
    from flowai.providers import setup

    env_file = Path(args.env_file)
    load_dotenv(env_file, override=False)
    platform = Platform(Settings.from_env())
    rows = setup.status(platform.credentials)
    interactive = not args.non_interactive and sys.stdin.isatty()
    print("Providers (+ configured, - missing):")
    for i, (spec, cred) in enumerate(rows, start=1):
        mark, where = ("+", f" (from {cred.source})") if cred.configured else ("-", "")
        print(f"  {i:2} {mark} {spec.name:<12} {', '.join(spec.tasks):<18} {spec.hint()}{where}")
    values: dict[str, str] = {}
    if interactive:
        answer = input("Enter keys for which providers? (numbers or names, comma-separated; Enter: none) ")
        for spec in _chosen(answer, [spec for spec, _ in rows]):
            for n, var in enumerate(setup.variables(spec)):
                ask = getpass.getpass if n == 0 else input
                value = ask(f"  {var} for {spec.title} (Enter: skip): ").strip()
                if value:
                    values[var] = value
    else:  # the environment's keys are what there is: keep them in the env file
        known = set(_env_file_names(env_file))
        for spec, cred in rows:
            for var in (*spec.key_env, *spec.option_env.values()):
                if cred.source == "env" and os.environ.get(var) and var not in known:
                    values[var] = os.environ[var]
    if values:
        setup.save_env(env_file, values)
        os.environ.update(values)
        print(f"Wrote {', '.join(values)} to {env_file} (mode 0600).")
        if setup.ignore_env(env_file.resolve().parent, env_file.name):
            print(f"Listed {env_file.name} in .gitignore.")
        platform = Platform(Settings.from_env())
        rows = setup.status(platform.credentials)
    configured = [spec.name for spec, cred in rows if cred.configured]
    if not configured:
        print("No provider is configured: set one of the variables above (or run `flowai setup` in a terminal).")
        return 1

    async def check() -> dict[str, tuple[bool, str]]:
        try:
            return await setup.test_all(platform.provider_admin, configured)
        finally:
            await platform.http.aclose()

    checks = asyncio.run(check())
    print("Connection tests:")
    for name, (ok, message) in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name:<12} {message}")
    priorities = platform.provider_admin.priorities()
    table = setup.served(priorities, {n for n, (ok, _) in checks.items() if ok})
    print("Tasks served by (in priority order):")
    for task, names in table.items():
        print(f"  {task:<11} {', '.join(names) if names else 'nobody: set ' + setup.missing_hint(priorities[task])}")
    return 0 if all(ok for ok, _ in checks.values()) else 1


def _chosen(answer: str, specs: list) -> list:
    picked = []
    for word in (w.strip().lower() for w in answer.split(",")):
        if word.isdigit() and 1 <= int(word) <= len(specs):
            picked.append(specs[int(word) - 1])
        elif word:
            picked.extend(s for s in specs if s.name == word)
    return list({s.name: s for s in picked}.values())


def _env_file_names(path: Path) -> list[str]:
    from dotenv import dotenv_values

    return list(dotenv_values(path)) if path.exists() else []


def cmd_secrets_rotate(args) -> int:
    """A new encryption key for stored provider credentials: added first to the key file (the old
    one still reads meanwhile), every row re-encrypted under it, then the old keys dropped. With
    FLOWAI_ENCRYPTION_KEYS the operator lists the new key first; this re-encrypts under it."""
    from cryptography.fernet import Fernet

    from flowai.providers.keyring import Keyring, KeyringError, write_keys

    p = _platform()
    settings = p.settings
    try:
        keyring = Keyring.for_home(settings.home, settings.encryption_keys)
    except KeyringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if keyring.path is not None:
        old = keyring.keys
        write_keys(keyring.path, [Fernet.generate_key().decode(), *old])
    done, unreadable = p.credentials.rotate()
    if unreadable:
        print(f"error: {unreadable} stored value(s) could not be decrypted by any key; old keys kept.", file=sys.stderr)
        return 1
    if keyring.path is not None:
        write_keys(keyring.path, keyring.keys[:1])
        print(f"Re-encrypted {done} stored value(s) under a new key in {keyring.path}; the old key is gone.")
    else:
        print(
            f"Re-encrypted {done} stored value(s) under the first key of FLOWAI_ENCRYPTION_KEYS; "
            "the others can now be removed from it."
        )
    return 0


def _check_schema(settings: Settings) -> None:
    from storage import schema
    from storage.db import open_engine

    engine = open_engine(settings.database_url)
    try:
        schema.ensure(
            engine, migrate=engine.dialect.name == "sqlite" if settings.auto_migrate is None else settings.auto_migrate
        )
    finally:
        engine.dispose()


def cmd_db(args) -> int:
    """``flowai db upgrade | current | history``: the database schema's revision (alembic)."""
    from storage import schema
    from storage.db import open_engine

    if args.action == "history":
        for revision, revises, doc in schema.history():
            print(f"{revises or '<base>'} -> {revision}{' (head)' if revision == schema.head() else ''}: {doc}")
        return 0
    engine = open_engine(Settings.from_env().database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        if args.action == "current":
            found = schema.state(engine)
            print(f"{where}: {found.describe()}")
            return 0 if found.up_to_date else 1
        before, after, adopted = schema.upgrade(engine, args.revision)
    finally:
        engine.dispose()
    if before.legacy:
        print(f"Adopted a database made before migrations: stamped {schema.BASELINE}", end="")
        print(f" after adding {', '.join(adopted)}." if adopted else ".")
    start = schema.BASELINE if before.legacy else before.current
    if start == after.current:
        print(f"{where}: already {after.describe()}.")
    else:
        print(f"{where}: upgraded from {start or '<empty>'} to {after.current}.")
    return 0


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

    wk = sub.add_parser("worker", help="execute background runs from the shared PostgreSQL queue (scaled deployments)")
    wk.set_defaults(func=cmd_worker)

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
    r.add_argument("--out", help="copy the files the run produced to this path (or into this folder), print them")
    r.add_argument("--name-template", help="file names in an --out folder (default {run_id}_{n}.{ext})")
    r.add_argument("--max-retries", type=int, help="retries of each failed Replicate call (default 2)")
    r.set_defaults(func=cmd_run)

    b = sub.add_parser("batch", help="run a workflow once per line of a JSONL file of inputs")
    b.add_argument("id")
    b.add_argument("inputs", help="a file with one JSON input object per line")
    b.add_argument("--concurrency", type=int, default=8)
    b.add_argument(
        "--out",
        help="folder for results.jsonl, outputs/<line>.json and the files each run produced (default: results on "
        "stdout); a line may give its own 'output_path'",
    )
    b.add_argument(
        "--name-template",
        help="names of the files in --out: {index} (line number), {input.<field>}, {n}, {ext}, {run_id} "
        "(default {index:03d}_{n}.{ext})",
    )
    b.add_argument("--max-retries", type=int, help="retries of each failed Replicate call in the batch (default 2)")
    b.add_argument("--version", type=int)
    b.set_defaults(func=cmd_batch)

    st = sub.add_parser("setup", help="check provider keys, ask for missing ones, write .env, test the connections")
    st.add_argument("--non-interactive", action="store_true", help="ask nothing: take the keys from the environment")
    st.add_argument("--env-file", default=".env", help="the dotenv file to write (default ./.env)")
    st.set_defaults(func=cmd_setup)
    sec = sub.add_parser("secrets", help="encryption keys").add_subparsers(dest="action", required=True)
    sec.add_parser(
        "rotate", help="re-encrypt stored provider credentials under a new key; the old key reads until done"
    ).set_defaults(func=cmd_secrets_rotate)

    d = sub.add_parser("db", help="the database schema: upgrade, current revision, history").add_subparsers(
        dest="action", required=True
    )
    du = d.add_parser("upgrade", help="migrate the database (FLOWAI_DATABASE_URL) to this version's schema")
    du.add_argument("--revision", default="head", help="the revision to reach (default: head)")
    du.set_defaults(func=cmd_db)
    d.add_parser("current", help="the database's revision; exits 1 unless at head").set_defaults(func=cmd_db)
    d.add_parser("history", help="the migrations this version knows, newest first").set_defaults(func=cmd_db)

    cli_template.add_parser(sub)

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
    except (SettingsError, SchemaError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
