"""``flowai template list`` and ``flowai template use NAME``: the template gallery on the command line."""

from __future__ import annotations

from flowai.gallery import TEMPLATES, Template, find, key_status


def short(model: str) -> str:
    return model.rsplit("/", 1)[-1]


def cost_text(template: Template) -> str:
    """``$0.24`` and, when some models have no published price (GPU time, per second), how many."""
    estimate = template.estimate()
    text = f"${estimate['usd']:.3f}".rstrip("0").rstrip(".") if estimate["usd"] else "$0"
    if estimate["unpriced"]:
        n = len(estimate["unpriced"])
        text += f" + {n} model{'s' if n > 1 else ''} without a published price"
    return text


def _platform():
    from flowai.platform import Platform
    from flowai.settings import Settings

    return Platform(Settings.from_env())


def _configured(platform) -> dict[str, bool]:
    providers = {p for t in TEMPLATES for p in t.providers}
    return {p: platform.credentials.get(p).configured for p in providers}


def cmd_template_list(args) -> int:
    configured = _configured(_platform())
    rows = [("NAME", "MAKES", "MODELS", "KEYS", "COST PER RUN")]
    for t in TEMPLATES:
        keys = key_status(t, configured)
        state = ", ".join(f"{k['env'][0]} {'set' if k['configured'] else 'missing'}" for k in keys)
        rows.append((t.name, t.produces[0], ", ".join(short(m) for m in t.models), state, cost_text(t)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip())
    return 0


def cmd_template_use(args) -> int:
    template = find(args.name)
    p = _platform()
    admin = p.users.acting_admin()
    wf, v = p.workflows.create(
        owner_id=admin.id,
        document=template.document(args.workflow_name),
        message=f"From the {template.name} template",
        publish=args.publish,
    )
    print(
        f"Created {wf.name!r} from template {template.name} as version {v.number}"
        + (" (published)" if args.publish else "")
    )
    missing = [k for k in key_status(template, _configured(p)) if not k["configured"]]
    for k in missing:
        print(f"note: it runs once {' or '.join(k['env'])} is set ({k['provider']})")
    print(wf.id)
    return 0


def add_parser(sub) -> None:
    """Adds ``template list`` and ``template use`` to the ``flowai`` command's subcommands."""
    tp = sub.add_parser("template", help="the template gallery: list templates, create a workflow from one")
    actions = tp.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="every template: what it makes, its models, whether its keys are set").set_defaults(
        func=cmd_template_list
    )
    use = actions.add_parser("use", help="create a workflow from a template; prints the new id last")
    use.add_argument("name", help="the template's name or id (ProductShoot, product_shoot)")
    use.add_argument("--name", dest="workflow_name", default=None, help="the workflow's name (default: the template's)")
    use.add_argument("--publish", action="store_true", help="publish it too")
    use.set_defaults(func=cmd_template_use)


__all__ = ["add_parser"]
