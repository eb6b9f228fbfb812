"""Ready-to-run calls of a published workflow: curl (standard and streaming), Python (FlowAI's
client, or plain ``requests``), JavaScript.

Pure functions of (base URL, workflow id, input fields, key): the API page shows them and the
tests run them as they are.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

KEY_PLACEHOLDER = "<YOUR_API_KEY>"
SAMPLES = {
    "string": "在吗?",
    "number": 1,
    "integer": 1,
    "boolean": True,
    "json": {},
    "image": "https://example.com/image.png",
    "audio": "https://example.com/audio.mp3",
    "video": "https://example.com/video.mp4",
    "document": "https://example.com/novel.pdf",
    "model3d": "https://example.com/model.glb",
    "file": "https://example.com/file.pdf",
}


def sample_input(fields) -> dict[str, Any]:
    """An example ``input``: each field's default, else a sample value of its type."""
    return {f.name: f.default if f.default is not None else SAMPLES.get(f.type, "") for f in fields}


def run_url(base: str, workflow_id: str) -> str:
    return f"{base.rstrip('/')}/v1/api/workflow/run/{workflow_id}"


def _body(run_input: dict, stream: bool) -> dict:
    return {"stream": True, "input": run_input} if stream else {"input": run_input}


def curl(base: str, workflow_id: str, run_input: dict, key: str | None, *, stream: bool = False) -> str:
    """FlowAI's documented call (no Content-Type header: the server reads the body as JSON)."""
    body = json.dumps(_body(run_input, stream), ensure_ascii=False)
    flags = "curl -N -X POST" if stream else "curl -X POST"
    return (
        f"{flags} {shlex.quote(run_url(base, workflow_id))} \\\n"
        f"  -H {shlex.quote('X-API-KEY: ' + (key or KEY_PLACEHOLDER))} \\\n"
        f"  -d {shlex.quote(body)}"
    )


def python(base: str, workflow_id: str, run_input: dict, key: str | None, *, stream: bool = False) -> str:
    """The call with FlowAI's Python client (``flowai.client``, docs/client.md): retries, typed errors,
    and a dropped stream resumed from its last event."""
    args = f"{json.dumps(base.rstrip('/'))}, {json.dumps(key or KEY_PLACEHOLDER)}"
    call = f"{json.dumps(workflow_id)}, {_pyrepr(run_input)}"
    if not stream:
        return (
            "from flowai.client import FlowAI  # pip install flowai (the client needs only httpx)\n\n"
            f"with FlowAI({args}) as fai:\n"
            f"    result = fai.run({call})\n"
            "print(result.output)\n"
        )
    return (
        "import json\n\n"
        "from flowai.client import ErrorEvent, FlowAI, OutputEvent, StreamEvent\n\n"
        f"with FlowAI({args}) as fai:\n"
        f"    for event in fai.stream({call}):\n"
        "        if isinstance(event, StreamEvent):\n"
        '            print(event.content, end="", flush=True)\n'
        "        elif isinstance(event, OutputEvent):\n"
        '            print("\\n" + json.dumps({"output": event.output, "total_time": event.total_time}, '
        "ensure_ascii=False))\n"
        "        elif isinstance(event, ErrorEvent):\n"
        "            raise SystemExit(event.message)\n"
    )


def python_requests(base: str, workflow_id: str, run_input: dict, key: str | None, *, stream: bool = False) -> str:
    """The call with nothing but ``requests`` (what most Python users already have)."""
    head = ("import json\n\n" if stream else "") + (
        "import requests  # pip install requests\n\n"
        f"response = requests.post(\n"
        f"    {json.dumps(run_url(base, workflow_id))},\n"
        f'    headers={{"X-API-KEY": {json.dumps(key or KEY_PLACEHOLDER)}}},\n'
        f"    json={_pyrepr(_body(run_input, stream))},\n"
        f"    timeout=300,\n"
    )
    if not stream:
        return head + (
            ")\n"
            "body = response.json()\n"
            "if response.status_code != 200:\n"
            '    raise SystemExit(body.get("message") or response.text)\n'
            'print(body["output"])\n'
        )
    return head + (
        "    stream=True,\n"
        ")\n"
        "response.raise_for_status()\n"
        "event = None\n"
        "for line in response.iter_lines(decode_unicode=True):\n"
        '    if line.startswith("event: "):\n'
        "        event = line[7:]\n"
        '    elif line.startswith("data: "):\n'
        "        data = json.loads(line[6:])\n"
        '        if event == "stream":\n'
        '            print(data.get("Content") or "", end="", flush=True)\n'
        '        elif event == "output":\n'
        '            print("\\n" + json.dumps(data, ensure_ascii=False))\n'
        '        elif event == "error":\n'
        '            raise SystemExit(data.get("message"))\n'
    )


def javascript(base: str, workflow_id: str, run_input: dict, key: str | None, *, stream: bool = False) -> str:
    url = json.dumps(run_url(base, workflow_id))
    headers = json.dumps({"X-API-KEY": key or KEY_PLACEHOLDER, "Content-Type": "application/json"})
    body = json.dumps(_body(run_input, stream), ensure_ascii=False)
    call = (
        f"const res = await fetch({url}, {{\n"
        f'  method: "POST",\n  headers: {headers},\n'
        f"  body: JSON.stringify({body}),\n}});\n"
    )
    if not stream:
        return call + "const data = await res.json();\nconsole.log(data.output);\n"
    return call + (
        "// deltas are written as they come, on one line (console.log would start a line per delta)\n"
        "const write = (s) => (globalThis.process ? process.stdout.write(s) : (document.body.textContent += s));\n"
        "const reader = res.body.getReader();\n"
        "const decoder = new TextDecoder();\n"
        'let buffer = "";\n'
        "for (;;) {\n"
        "  const { done, value } = await reader.read();\n"
        "  if (done) break;\n"
        "  buffer += decoder.decode(value, { stream: true });\n"
        "  let end;\n"
        '  while ((end = buffer.indexOf("\\n\\n")) >= 0) {\n'
        "    const frame = buffer.slice(0, end);\n"
        "    buffer = buffer.slice(end + 2);\n"
        "    const event = (frame.match(/^event: (.*)$/m) || [])[1];\n"
        "    const data = (frame.match(/^data: (.*)$/m) || [])[1];\n"
        "    if (!data) continue;\n"
        "    const payload = JSON.parse(data);\n"
        '    if (event === "stream") write(payload.Content ?? "");\n'
        '    else if (event === "output") write("\\n" + JSON.stringify(payload) + "\\n");\n'
        '    else if (event === "error") throw new Error(payload.message);\n'
        "  }\n"
        "}\n"
    )


def _pyrepr(value: Any) -> str:
    """A Python literal of a JSON value (true/false/null spelled the Python way)."""
    return (
        repr(value)
        if not isinstance(value, dict)
        else "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_pyrepr(v)}" for k, v in value.items()) + "}"
    )
