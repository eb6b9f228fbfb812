"""Example workflows that need no provider key, seeded by ``flowai serve --demo``."""

from __future__ import annotations

from flowai.platform import Platform

HELLO = {
    "format": "flowai/1",
    "name": "Hello (demo)",
    "description": "Input -> template -> output. Needs no provider key.",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "label": "开始",
            "position": {"x": 0, "y": 0},
            "config": {"fields": [{"name": "输入", "type": "string", "required": True, "max_length": 2000}]},
        },
        {
            "id": "reply",
            "type": "template",
            "label": "回复",
            "position": {"x": 300, "y": 0},
            "config": {"template": "在呢。你说的是：$开始.输入"},
        },
        {
            "id": "out",
            "type": "output",
            "label": "结束",
            "position": {"x": 600, "y": 0},
            "config": {"value": "{{reply.text}}"},
        },
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
        {
            "id": "in",
            "type": "input",
            "label": "开始",
            "position": {"x": 0, "y": 100},
            "config": {
                "fields": [
                    {"name": "输入", "type": "string", "required": True, "max_length": 2000},
                    {"name": "name", "type": "string", "default": "friend"},
                ]
            },
        },
        {
            "id": "greet",
            "type": "template",
            "label": "Greeting",
            "position": {"x": 300, "y": 0},
            "config": {"template": "Hello, {{in.name}}!"},
        },
        {
            "id": "echo",
            "type": "template",
            "label": "Echo",
            "position": {"x": 300, "y": 200},
            "config": {"template": "You said: {{in.输入}}"},
        },
        {
            "id": "join",
            "type": "template",
            "label": "Join",
            "position": {"x": 600, "y": 100},
            "config": {"template": "{{greet.text}} {{echo.text}}"},
        },
        {
            "id": "out",
            "type": "output",
            "label": "结束",
            "position": {"x": 900, "y": 100},
            "config": {"value": "{{join.text}}"},
        },
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
        {
            "id": "in",
            "type": "input",
            "label": "开始",
            "position": {"x": 0, "y": 0},
            "config": {"fields": [{"name": "输入", "type": "string", "required": True, "max_length": 2000}]},
        },
        {
            "id": "llm",
            "type": "llm",
            "label": "LLM1",
            "position": {"x": 300, "y": 0},
            "config": {
                "provider": "auto",
                "model": "",
                "system": "Be brief.",
                "prompt": "{{in.输入}}",
                "temperature": 0.7,
            },
        },
        {
            "id": "out",
            "type": "output",
            "label": "结束",
            "position": {"x": 600, "y": 0},
            "config": {"value": "{{llm.text}}"},
        },
    ],
    "edges": [
        {"source": "in", "source_port": "输入", "target": "llm", "target_port": "prompt"},
        {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}

IMAGE = {
    "format": "flowai/1",
    "name": "Image from text",
    "description": "Input -> image -> output (a stored image URL). Needs an image provider key "
    "(STABILITY_API_KEY, REPLICATE_API_KEY, ...).",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "label": "开始",
            "position": {"x": 0, "y": 0},
            "config": {"fields": [{"name": "描述", "type": "string", "required": True, "max_length": 1000}]},
        },
        {
            "id": "img",
            "type": "image",
            "label": "画图",
            "position": {"x": 300, "y": 0},
            "config": {"provider": "auto", "prompt": "{{in.描述}}", "aspect_ratio": "1:1"},
        },
        {
            "id": "out",
            "type": "output",
            "label": "结束",
            "position": {"x": 600, "y": 0},
            "config": {"value": "{{img.image}}"},
        },
    ],
    "edges": [
        {"source": "in", "target": "img"},
        {"source": "img", "source_port": "image", "target": "out", "target_port": "value"},
    ],
}

SPEECH = {
    "format": "flowai/1",
    "name": "Text to speech",
    "description": "Input -> TTS -> output (a stored audio URL). Needs a TTS provider key "
    "(ELEVENLABS_API_KEY, or PLAYHT_API_KEY + PLAYHT_USER_ID).",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "label": "开始",
            "position": {"x": 0, "y": 0},
            "config": {"fields": [{"name": "文本", "type": "string", "required": True, "max_length": 2000}]},
        },
        {
            "id": "tts",
            "type": "tts",
            "label": "朗读",
            "position": {"x": 300, "y": 0},
            "config": {"provider": "auto", "text": "{{in.文本}}", "format": "mp3"},
        },
        {
            "id": "out",
            "type": "output",
            "label": "结束",
            "position": {"x": 600, "y": 0},
            "config": {"value": "{{tts.audio}}"},
        },
    ],
    "edges": [
        {"source": "in", "target": "tts"},
        {"source": "tts", "source_port": "audio", "target": "out", "target_port": "value"},
    ],
}

ROUTE = {
    "format": "flowai/1",
    "name": "Route by type (demo)",
    "description": "A condition picks one branch (FlowAI's 条件判断). Needs no provider key.",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "label": "输入",
            "position": {"x": 0, "y": 100},
            "config": {"fields": [{"name": "userType", "type": "string", "required": True, "max_length": 100}]},
        },
        {
            "id": "cond",
            "type": "condition",
            "label": "条件判断",
            "position": {"x": 300, "y": 100},
            "config": {
                "value": "$输入.userType",
                "cases": [{"operator": "equals", "value": "vip"}, {"operator": "starts_with", "value": "new"}],
            },
        },
        {
            "id": "vip",
            "type": "template",
            "label": "VIP",
            "position": {"x": 600, "y": 0},
            "config": {"template": "Welcome back, valued member."},
        },
        {
            "id": "new",
            "type": "template",
            "label": "New",
            "position": {"x": 600, "y": 120},
            "config": {"template": "Welcome! Here is how to start."},
        },
        {
            "id": "other",
            "type": "template",
            "label": "Other",
            "position": {"x": 600, "y": 240},
            "config": {"template": "Hello."},
        },
        {
            "id": "join",
            "type": "template",
            "label": "回复",
            "position": {"x": 900, "y": 100},
            "config": {"template": "{{vip.text}}{{new.text}}{{other.text}}"},
        },
        {
            "id": "out",
            "type": "output",
            "label": "结束",
            "position": {"x": 1200, "y": 100},
            "config": {"value": "{{join.text}}"},
        },
    ],
    "edges": [
        {"source": "in", "target": "cond"},
        {"source": "cond", "source_port": "case_1", "target": "vip"},
        {"source": "cond", "source_port": "case_2", "target": "new"},
        {"source": "cond", "source_port": "else", "target": "other"},
        {"source": "vip", "target": "join"},
        {"source": "new", "target": "join"},
        {"source": "other", "target": "join"},
        {"source": "join", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}

EXAMPLES = [HELLO, PARALLEL, LLM_CHAT, ROUTE, IMAGE, SPEECH]


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
