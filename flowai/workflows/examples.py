"""The example workflows: seeded by ``flowai serve --demo`` (``flowai.demo``) and offered as
templates by "New from template" (``flowai.workflows.starters``). Their ids, names and behaviour
are relied on by the README and the tests."""

from __future__ import annotations

from .builder import Graph, field

_TEXT_IN = field("输入", required=True, max_length=2000)

HELLO = (
    Graph("Hello (demo)", "Input -> template -> output. Needs no provider key.")
    .input(_TEXT_IN, label="开始", at=(0, 0))
    .template("reply", "在呢。你说的是：$开始.输入", "回复", at=(300, 0))
    .output("{{reply.text}}", label="结束", at=(600, 0))
    .edge("in", "reply")
    .edge("reply", "out", "text", "value")
    .doc
)

PARALLEL = (
    Graph("Parallel branches (demo)", "Two branches run side by side and a template joins them. Needs no provider key.")
    .input(_TEXT_IN, field("name", default="friend"), label="开始", at=(0, 100))
    .template("greet", "Hello, {{in.name}}!", "Greeting", at=(300, 0))
    .template("echo", "You said: {{in.输入}}", "Echo", at=(300, 200))
    .template("join", "{{greet.text}} {{echo.text}}", "Join", at=(600, 100))
    .output("{{join.text}}", label="结束", at=(900, 100))
    .edge("in", "greet")
    .edge("in", "echo")
    .edge("greet", "join")
    .edge("echo", "join")
    .edge("join", "out", "text", "value")
    .doc
)

LLM_CHAT = (
    Graph("LLM chat", "Input -> LLM -> output. Needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server).")
    .input(_TEXT_IN, label="开始", at=(0, 0))
    .node(
        "llm",
        "llm",
        "LLM1",
        at=(300, 0),
        provider="auto",
        model="",
        system="Be brief.",
        prompt="{{in.输入}}",
        temperature=0.7,
    )  # fmt: skip
    .output("{{llm.text}}", label="结束", at=(600, 0))
    .edge("in", "llm", "输入", "prompt")
    .edge("llm", "out", "text", "value")
    .doc
)

IMAGE = (
    Graph(
        "Image from text",
        "Input -> image -> output (a stored image URL). Needs an image provider key "
        "(STABILITY_API_KEY, REPLICATE_API_KEY, ...).",
    )
    .input(field("描述", required=True, max_length=1000), label="开始", at=(0, 0))
    .node("img", "image", "画图", at=(300, 0), provider="auto", prompt="{{in.描述}}", aspect_ratio="1:1")
    .output("{{img.image}}", label="结束", at=(600, 0))
    .edge("in", "img")
    .edge("img", "out", "image", "value")
    .doc
)

SPEECH = (
    Graph(
        "Text to speech",
        "Input -> TTS -> output (a stored audio URL). Needs a TTS provider key "
        "(ELEVENLABS_API_KEY, or PLAYHT_API_KEY + PLAYHT_USER_ID).",
    )
    .input(field("文本", required=True, max_length=2000), label="开始", at=(0, 0))
    .node("tts", "tts", "朗读", at=(300, 0), provider="auto", text="{{in.文本}}", format="mp3")
    .output("{{tts.audio}}", label="结束", at=(600, 0))
    .edge("in", "tts")
    .edge("tts", "out", "audio", "value")
    .doc
)

ROUTE = (
    Graph("Route by type (demo)", "A condition picks one branch (FlowAI's 条件判断). Needs no provider key.")
    .input(field("userType", required=True, max_length=100), label="输入", at=(0, 100))
    .node(
        "cond",
        "condition",
        "条件判断",
        at=(300, 100),
        value="$输入.userType",
        cases=[{"operator": "equals", "value": "vip"}, {"operator": "starts_with", "value": "new"}],
    )
    .template("vip", "Welcome back, valued member.", "VIP", at=(600, 0))
    .template("new", "Welcome! Here is how to start.", "New", at=(600, 120))
    .template("other", "Hello.", "Other", at=(600, 240))
    .template("join", "{{vip.text}}{{new.text}}{{other.text}}", "回复", at=(900, 100))
    .output("{{join.text}}", label="结束", at=(1200, 100))
    .chain("in", "cond")
    .edge("cond", "vip", "case_1")
    .edge("cond", "new", "case_2")
    .edge("cond", "other", "else")
    .chain("vip", "join")
    .chain("new", "join")
    .chain("other", "join")
    .edge("join", "out", "text", "value")
    .doc
)

EXAMPLES = [HELLO, PARALLEL, LLM_CHAT, ROUTE, IMAGE, SPEECH]
