"""The management API's OpenAPI document, made exact: FastAPI's generated schema, post-processed.

FastAPI documents the success answer and a 422 the API never sends. ``install(app, registry, routes)``
replaces the app's ``openapi()`` with one that

- wraps every success answer in the envelope ``{"code": 0, "message": "success", "data": ...}``;
- documents every error status a route answers, each with the error envelope and its codes
  (docs/management-api.md): 400 where a route takes parameters or a body, 401 where it needs sign-in,
  403/404 where it names a resource (or checks one named in its body), 409 where saving can conflict, 413
  where a body is bounded, 500 everywhere; 429 answers carry ``Retry-After``;
- gives the workflow routes the ``flowai/1`` document as a JSON Schema (``flowai.workflows.schema``);
- gives the video-studio routes the design document's request and response examples
  (``flowai.api.studio_examples``).

The route facts no generated schema can know (which body routes check resources named in the body,
which can conflict, which answer a code of their own) are the small ``EXTRA`` and ``MORE_CODES`` tables
below.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from flowai.api.studio_examples import EXAMPLES
from flowai.workflows.schema import (
    Registry,  # the node types the flowai/1 schema is built from
    document_schema,
)

REF = "#/components/schemas/"

ERRORS: dict[int, tuple[str, list[int]]] = {
    400: ("Invalid request (body not JSON, a parameter or field invalid or unknown)", [40001]),
    401: ("Not signed in: the bearer token is missing, invalid or expired", [40101]),
    403: ("The resource belongs to another account, or the route needs an admin", [40301]),
    404: ("No such resource", [40401, 40402]),
    409: ("The draft moved since the version this save was based on (current version in detail)", [40901]),
    413: ("The body or upload is over the size limit", [40003]),
    429: ("A limit was reached; retry after Retry-After seconds", [42901, 42902]),
    500: ("Internal error (never a stack trace)", [50001, 50003, 50004]),
}

# (method, path) -> statuses beyond the ones read from the route's shape
EXTRA: dict[tuple[str, str], set[int]] = {
    ("post", "/keys"): {403, 404},  # the workflows a key is scoped to
    ("post", "/runs"): {403, 404},  # the workflow to run
    ("post", "/batches"): {403, 404},
    ("put", "/workflows/{workflow_id}"): {409},
    ("post", "/auth/login"): {401},  # wrong username or password
    # the video-studio API: a stage task names its project (workflow_id) in the body or the query
    **{
        ("post", f"/workflow/{stage}"): {403, 404}
        for stage in ("script", "assets", "storyboard", "animatic", "video", "edit")
    },
    ("get", "/workflow/assets"): {400, 403, 404},
    ("post", "/workflow/script/upload"): {400, 413},
}

# (method, path) -> {status: codes} beyond ERRORS
MORE_CODES: dict[tuple[str, str], dict[int, list[int]]] = {  # an unsupported format
    ("post", "/files"): {400: [40002]},
    ("post", "/workflow/script/upload"): {400: [40002]},
    ("post", "/workflow/assets/{asset_id}/upload"): {400: [40002]},
}

# routes whose body is a flowai/1 document: where in the body it sits
DOCUMENT_BODIES = {("post", "/workflows/import"): None, ("put", "/workflows/{workflow_id}"): "document"}


def install(app: FastAPI, registry: Registry, routes: list[APIRoute]) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = exact(schema, routes, registry)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def exact(schema: dict, routes: list[APIRoute], registry: Registry) -> dict:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    document, defs = document_schema(registry, REF)
    components.update(defs)
    components["Document"] = document
    components["Error"] = ERROR
    bounded = _keys(r for r in routes if "requestBody" in (r.openapi_extra or {}))  # json_body, upload: bounded
    admin = _keys(r for r in routes if _depends_on(r.dependant, "admin_user"))
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            _document_body(op, (method, path), document)
            _document_answers(op, _statuses(op, (method, path), bounded, admin), MORE_CODES.get((method, path), {}))
            _examples(op, EXAMPLES.get((method, path), {}))
    return schema


def _keys(routes) -> set[tuple[str, str]]:
    return {(method.lower(), route.path) for route in routes for method in route.methods}


def _depends_on(dependant, name: str) -> bool:
    return any(getattr(d.call, "__name__", "") == name or _depends_on(d, name) for d in dependant.dependencies)


def _statuses(op: dict, key: tuple[str, str], bounded: set, admin: set) -> set[int]:
    statuses = {500} | EXTRA.get(key, set())
    if key in admin:
        statuses.add(403)
    if op.get("parameters") or op.get("requestBody"):
        statuses.add(400)
    if op.get("security"):
        statuses.add(401)
    if any(p.get("in") == "path" for p in op.get("parameters", [])):
        statuses |= {403, 404}
    if key in bounded:
        statuses.add(413)
    if 401 in statuses:  # repeated failed authentications from one address are throttled (flowai.api.lockout)
        statuses.add(429)
    return statuses


def _document_body(op: dict, key: tuple[str, str], document: dict) -> None:
    if key == ("post", "/workflows"):
        created = op["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0]
        created["properties"]["document"] = {"$ref": REF + "Document"}
        bare = copy.deepcopy(document)
        bare["properties"].update({k: created["properties"][k] for k in ("message", "publish")})
        bare["description"] = 'A flowai/1 document itself, optionally with "publish" and "message".'
        op["requestBody"]["content"]["application/json"]["schema"]["oneOf"][1] = bare
    elif key in DOCUMENT_BODIES:
        body = op["requestBody"]["content"]["application/json"]
        where = DOCUMENT_BODIES[key]
        if where is None:
            body["schema"] = {"$ref": REF + "Document"}
        else:
            body["schema"]["properties"][where] = {"$ref": REF + "Document"}


def _document_answers(op: dict, statuses: set[int], more: dict[int, list[int]]) -> None:
    responses = op.setdefault("responses", {})
    responses.pop("422", None)
    for status, success in list(responses.items()):
        if status.startswith("2"):
            content = success.setdefault("content", {}).setdefault("application/json", {})
            data = content.get("schema") or {}
            content["schema"] = _success(data)
    for status in sorted(statuses):
        description, codes = ERRORS[status]
        codes = codes + more.get(status, [])
        answer: dict[str, Any] = {
            "description": description,
            "content": {
                "application/json": {
                    "schema": {"allOf": [{"$ref": REF + "Error"}], "properties": {"code": {"enum": codes}}}
                }
            },
        }
        if status == 429:
            answer["headers"] = {"Retry-After": {"description": "Seconds", "schema": {"type": "integer"}}}
        responses[str(status)] = answer


def _examples(op: dict, examples: dict[str, Any]) -> None:
    """The request body's example and the success answer's (the whole envelope)."""
    if "request" in examples:
        op["requestBody"]["content"]["application/json"]["example"] = copy.deepcopy(examples["request"])
    if "response" in examples:
        success = next(answer for status, answer in op["responses"].items() if status.startswith("2"))
        success["content"]["application/json"]["example"] = copy.deepcopy(examples["response"])


def _success(data: dict) -> dict:
    return {
        "type": "object",
        "required": ["code", "message", "data"],
        "properties": {"code": {"const": 0}, "message": {"const": "success"}, "data": copy.deepcopy(data)},
    }


ERROR = {
    "type": "object",
    "title": "Error",
    "description": "The error envelope: an error code, an English sentence, and details where there are.",
    "required": ["code", "message", "data", "detail"],
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "data": {"type": "null"},
        "detail": {"description": "Located problems, the current version on a conflict, … or null"},
    },
}
