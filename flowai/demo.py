"""Example workflows that need no provider key, seeded by ``flowai serve --demo``."""

from __future__ import annotations

from flowai.platform import Platform

HELLO = {
    "format": "flowai/1",
    "name": "Hello (demo)",
    "description": "Input -> template -> output. Needs no provider key.",
    "nodes": [
        {"id": "in", "type": "input", "label": "开始", "position": {"x": 0, "y": 0},
         "config": {"fields": [{"name": "输入", "type": "string", "required": True, "max_length": 2000}]}},
        {"id": "reply", "type": "template", "label": "回复", "position": {"x": 300, "y": 0},
         "config": {"template": "在呢。你说的是：$开始.输入"}},
        {"id": "out", "type": "output", "label": "结束", "position": {"x": 600, "y": 0},
         "config": {"value": "{{reply.text}}"}},
    ],
    "edges": [
        {"source": "in", "target": "reply"},
        {"source": "reply", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}

PARALLEL = {
    "format": "flowai/1",
    "name": "Parallel branches (demo)",
    "description": "Two branches run side by side and a template joins them. Needs no provider key.",
    "nodes": [
        {"id": "in", "type": "input", "label": "开始", "position": {"x": 0, "y": 100},
         "config": {"fields": [{"name": "输入", "type": "string", "required": True, "max_length": 2000},
                               {"name": "name", "type": "string", "default": "friend"}]}},
        {"id": "greet", "type": "template", "label": "Greeting", "position": {"x": 300, "y": 0},
         "config": {"template": "Hello, {{in.name}}!"}},
        {"id": "echo", "type": "template", "label": "Echo", "position": {"x": 300, "y": 200},
         "config": {"template": "You said: {{in.输入}}"}},
        {"id": "join", "type": "template", "label": "Join", "position": {"x": 600, "y": 100},
         "config": {"template": "{{greet.text}} {{echo.text}}"}},
        {"id": "out", "type": "output", "label": "结束", "position": {"x": 900, "y": 100},
         "config": {"value": "{{join.text}}"}},
    ],
    "edges": [
        {"source": "in", "target": "greet"},
        {"source": "in", "target": "echo"},
        {"source": "greet", "target": "join"},
        {"source": "echo", "target": "join"},
        {"source": "join", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}

LLM_CHAT = {
    "format": "flowai/1",
    "name": "LLM chat",
    "description": "Input -> LLM -> output. Needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server).",
    "nodes": [
        {"id": "in", "type": "input", "label": "开始", "position": {"x": 0, "y": 0},
         "config": {"fields": [{"name": "输入", "type": "string", "required": True, "max_length": 2000}]}},
        {"id": "llm", "type": "llm", "label": "LLM1", "position": {"x": 300, "y": 0},
         "config": {"provider": "auto", "model": "", "system": "Be brief.", "prompt": "{{in.输入}}",
                    "temperature": 0.7}},
        {"id": "out", "type": "output", "label": "结束", "position": {"x": 600, "y": 0},
         "config": {"value": "{{llm.text}}"}},
    ],
    "edges": [
        {"source": "in", "source_port": "输入", "target": "llm", "target_port": "prompt"},
        {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}

EXAMPLES = [HELLO, PARALLEL, LLM_CHAT]


def seed(platform: Platform, owner_id: int) -> tuple[list[tuple[str, str]], str]:
    """Seed (once) and publish the examples; revoke old demo keys and make a new one.

    Returns ``([(workflow id, name)], demo key secret)``.
    """
    existing = {wf.name: wf.id for wf in platform.workflows.list(owner_id=owner_id, limit=1000)[0]}
    seeded = []
    for doc in EXAMPLES:
        wf_id = existing.get(doc["name"])
        if wf_id is None:
            wf, _ = platform.workflows.create(owner_id=owner_id, document=doc, message="Demo example", publish=True)
            wf_id = wf.id
        seeded.append((wf_id, doc["name"]))
    for key in platform.keys.list(owner_id=owner_id):
        if key.name == "demo" and key.revoked_at is None:
            platform.keys.revoke(owner_id=owner_id, key_id=key.id)
    secret, _ = platform.keys.create(owner_id=owner_id, name="demo")
    return seeded, secret
