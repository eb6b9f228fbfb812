"""Each published workflow's own OpenAPI document: ``GET /v1/api/workflow/run/{workflow_id}/openapi.json``.

As Dify's per-app API reference: the run request's ``input`` is described by the published version's
input node (each field's type, whether it is required, its ``max_length``, default and description),
and every answer of docs/run-api.md is documented: 200 JSON, 200 ``text/event-stream`` (``"stream": true``),
202 (``"async": true``) and each error row with its code. The run's status and events routes are in it
too. Reading it takes the same ``X-API-KEY`` that may run the workflow, with the run API's answers:
401 ``40101`` without a valid key, 404 ``40401`` for a workflow that is not the key owner's or not
published, 403 ``40301`` for a key scoped to other workflows. Reading it does not count against the
key's rate limit.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowai.errors import FlowAIError, ForbiddenError, NotFoundError
from flowai.workflows.graph import InputConfig, InputField  # the input node's fields, as compiled graphs carry them

from .http import JSON, error_response

PATH = "/v1/api/workflow/run/{workflow_id}/openapi.json"
RUNS = "/v1/api/workflow/runs/{run_id}"

ERRORS: dict[int, tuple[str, list[int]]] = {
    400: (
        "Body not JSON, `input` missing or not an object, a required field missing, wrong type, over "
        "max_length, unknown field",
        [40001],
    ),
    401: ("X-API-KEY missing, unknown or revoked", [40101]),
    403: ("The key is scoped to other workflows of the same account", [40301]),
    404: ("No such workflow, never published, or owned by another account", [40401]),
    413: ("Body over the size limit", [40003]),
    422: ("The Idempotency-Key was used before with another workflow, version, input or callback_url", [40001]),
    429: ("The key's rate limit is exceeded (42901) or the workflow's daily budget is spent (42902)", [42901, 42902]),
    500: ("A node failed, or anything else (never a stack trace)", [50001]),
    502: ("Every provider able to serve a node failed", [50002]),
}


async def workflow_openapi(request: Request) -> Response:
    platform = request.app.state.platform
    workflow_id = request.path_params["workflow_id"]
    try:
        key = platform.keys.authenticate(request.headers.get("x-api-key"))
        published = platform.workflows.published(workflow_id)
        if published is None or published[0] != key.owner_id or published[1] is None:
            raise NotFoundError(f"Workflow {workflow_id} was not found or is not published.")
        if not key.allows(workflow_id):
            raise ForbiddenError("This API key is not allowed to run this workflow.")
        graph = platform.workflows.compiled(workflow_id, published[1])
    except FlowAIError as exc:
        return error_response(exc)
    return JSON(document(workflow_id, published[1], graph.doc.name, graph.doc.description, graph.input_node.config))


def document(workflow_id: str, version: int, name: str, description: str, inputs: InputConfig) -> dict[str, Any]:
    """The OpenAPI 3.1 document of one published workflow (``version`` is the published one)."""
    run_path = f"/v1/api/workflow/run/{workflow_id}"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{name} — FlowAI run API",
            "version": str(version),
            "description": (description + "\n\n" if description else "")
            + f"Runs the published version ({version}) of workflow `{workflow_id}`. Send the key in the "
            "`X-API-KEY` header. The body is read as JSON whatever its Content-Type says.",
        },
        "security": [{"apiKey": []}],
        "paths": {
            run_path: {"post": _run_operation(version, inputs)},
            RUNS: {"get": _status_operation()},
            RUNS + "/events": {"get": _events_operation()},
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"}},
            "schemas": {"Input": input_schema(inputs), "Error": ERROR},
        },
    }


def input_schema(inputs: InputConfig) -> dict[str, Any]:
    """The ``input`` object as ``check_input`` accepts it."""
    required = [f.name for f in inputs.fields if f.required and f.default is None]
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.name: _field(f, f.name in required) for f in inputs.fields},
    }
    if required:
        schema["required"] = required
    return schema


def _field(f: InputField, required: bool) -> dict[str, Any]:
    if f.type in ("string", "image", "audio", "video", "document", "model3d", "file"):
        schema: dict[str, Any] = {"type": "string", "pattern": "^[^\\u0000]*$"}
        if f.max_length is not None:
            schema["maxLength"] = f.max_length
        if f.type != "string":
            schema["description"] = f"A URL of the {f.type} (an uploaded file's /files/… URL, or http(s))"
    elif f.type in ("number", "integer", "boolean"):
        schema = {"type": f.type}
    else:  # json: any value; max_length bounds its serialised size
        schema = {}
        if f.max_length is not None:
            schema["description"] = f"Any JSON value of at most {f.max_length} bytes once serialised"
    if not required and schema:  # null stands for "not given" (the default is used)
        schema = {"anyOf": [schema, {"type": "null"}]}
    if f.description:
        schema["description"] = f.description + (f" ({schema['description']})" if "description" in schema else "")
    if f.default is not None:
        schema["default"] = f.default
    return schema


def _run_operation(version: int, inputs: InputConfig) -> dict[str, Any]:
    body = {
        "type": "object",
        "additionalProperties": False,
        "required": ["input"],
        "properties": {
            "input": {"$ref": "#/components/schemas/Input"},
            "stream": {"type": "boolean", "default": False, "description": "Answer text/event-stream"},
            "version": {
                "type": "integer",
                "minimum": 1,
                "maximum": version,
                "default": version,
                "description": "Run this published-or-older version",
            },
            "detail": {"type": "boolean", "default": False, "description": "Add run_id and per-node usage"},
            "async": {"type": "boolean", "default": False, "description": "Answer 202 with the run id at once"},
            "callback_url": {
                "anyOf": [
                    {"type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://", "maxLength": 2000},
                    {"const": ""},
                    {"type": "null"},
                ],
                "description": "Receives the final result as a POST signed with the key's signing secret "
                "(X-FlowAI-Signature). It must resolve to a public address unless the instance allows private "
                'ones. "" or null: none.',
            },
        },
        "not": {
            "required": ["async", "stream"],
            "properties": {"async": {"const": True}, "stream": {"const": True}},
            "description": "async and stream exclude each other",
        },
    }
    output = {
        "type": "object",
        "required": ["output", "total_time"],
        "properties": {
            "output": {"description": "The output node's value; with several output nodes, an object by name"},
            "total_time": {"type": "number", "description": "Seconds"},
            "run_id": {"type": "string", "description": "With detail"},
            "usage": {"type": "object", "description": "With detail: per node provider, model, usage, cost"},
        },
    }
    return {
        "summary": "Run the workflow",
        "operationId": "run",
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 200},
                "description": "A retried request with the same key answers for the first run",
            }
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": {
                "description": "The output (JSON), or with stream: true the run's events (docs/run-api.md)",
                "headers": RUN_ID,
                "content": {
                    "application/json": {"schema": output},
                    "text/event-stream": {"schema": EVENT, "description": "With stream: true (docs/run-api.md)"},
                },
            },
            "202": {
                "description": "async: true: the run was queued",
                "headers": RUN_ID,
                "content": {"application/json": {"schema": ACCEPTED}},
            },
            **_errors(400, 401, 403, 404, 413, 422, 429, 500, 502),
        },
    }


def _status_operation() -> dict[str, Any]:
    return {
        "summary": "Where a run stands (an async run's result)",
        "operationId": "run_status",
        "parameters": [RUN_ID_PARAM],
        "responses": {
            "200": {
                "description": "The run's status, and its output or error once it has ended",
                "headers": RUN_ID,
                "content": {"application/json": {"schema": STATUS}},
            },
            **_errors(401, 404, 429, 500),
        },
    }


def _events_operation() -> dict[str, Any]:
    return {
        "summary": "A run's events: replayed after Last-Event-ID, then live",
        "operationId": "run_events",
        "parameters": [
            RUN_ID_PARAM,
            {
                "name": "Last-Event-ID",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "pattern": "^\\s*[0-9]*\\s*$"},
                "description": "The last event id received (0 or empty: from the start)",
            },
        ],
        "responses": {
            "200": {
                "description": "text/event-stream, as the run's stream",
                "headers": RUN_ID,
                "content": {"text/event-stream": {"schema": EVENT}},
            },
            **_errors(400, 401, 404, 429, 500),
        },
    }


def _errors(*statuses: int) -> dict[str, Any]:
    answers = {}
    for status in statuses:
        description, codes = ERRORS[status]
        answer: dict[str, Any] = {
            "description": description,
            "content": {
                "application/json": {
                    "schema": {
                        "allOf": [{"$ref": "#/components/schemas/Error"}],
                        "properties": {"code": {"enum": codes}},
                    }
                }
            },
        }
        if status == 429:
            answer["headers"] = {"Retry-After": {"description": "Seconds", "schema": {"type": "integer"}}}
        answers[str(status)] = answer
    return answers


RUN_ID = {"X-Run-Id": {"description": "The run's id", "schema": {"type": "string"}}}
RUN_ID_PARAM = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}}
ACCEPTED = {
    "type": "object",
    "required": ["run_id", "status"],
    "properties": {"run_id": {"type": "string"}, "status": {"type": "string"}},
}
STATUS = {
    "type": "object",
    "required": ["run_id", "status", "output", "total_time", "error"],
    "properties": {
        "run_id": {"type": "string"},
        "status": {"enum": ["pending", "running", "paused", "completed", "failed", "cancelled"]},
        "output": {},
        "total_time": {"type": ["number", "null"]},
        "error": {"type": ["object", "null"]},
    },
}


def _event(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": name},
            "id": {"type": "string", "pattern": "^[0-9]+$", "description": "The event's sequence number in the run"},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": data},
        },
    }


NODE = {"type": ["string", "null"]}
EVENT = {
    "description": "One server-sent event; `: ping` comments keep the connection open",
    "oneOf": [
        _event(
            "msg",
            {
                "type": "object",
                "required": ["Node", "Msg", "Type", "Data"],
                "properties": {
                    "Node": NODE,
                    "Msg": {"type": "string"},
                    "Type": {"enum": ["start", "start_node", "finish_node"]},
                    "Data": {},
                },
            },
        ),
        _event(
            "stream",
            {
                "type": "object",
                "required": ["Content", "Node", "Reasoning"],
                "properties": {"Content": NODE, "Node": NODE, "Reasoning": NODE},
            },
        ),
        _event(
            "output",
            {"type": "object", "required": ["output", "total_time"], "properties": {"total_time": {"type": "number"}}},
        ),
        _event(
            "error",
            {
                "type": "object",
                "required": ["Node", "code", "message"],
                "properties": {"Node": NODE, "code": {"type": "integer"}, "message": {"type": "string"}},
            },
        ),
    ],
}
ERROR = {
    "type": "object",
    "title": "Error",
    "required": ["code", "message", "detail"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string", "description": "An English sentence"},
        "detail": {"description": "Per-field problems, or null"},
    },
}

routes = [Route(PATH, workflow_openapi, methods=["GET"])]
