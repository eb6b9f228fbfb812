"""The HTTP request node over the real run API: templated URL and body, FlowAI's body/status
outputs, parsed JSON, and SSRF refusals (loopback, metadata address, IPv6 loopback, a name
resolving to a private address, a redirect into the private network) unless an admin allows."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.conftest import ThreadServer, start_api
from tests.graphs import Graph

SEEN: list[dict] = []


async def echo(request: Request):
    body = await request.body()
    SEEN.append(
        {
            "method": request.method,
            "body": body.decode(),
            "type": request.headers.get("content-type"),
            "auth": request.headers.get("authorization"),
            "host": request.headers.get("host"),
        }
    )
    return JSONResponse({"uuid": "1234", "got": body.decode(), "q": request.query_params.get("q")})


async def teapot(request: Request):
    return Response("short and stout", status_code=418)


async def hop(request: Request):
    return RedirectResponse(request.query_params.get("to", "file:///etc/passwd"), status_code=302)


UPSTREAM = Starlette(
    routes=[Route("/echo", echo, methods=["GET", "POST"]), Route("/teapot", teapot), Route("/hop", hop)]
)


def http_flow(url: str, **config) -> dict:
    return (
        Graph()
        .input(q="string")
        .node("h", "http", "UUID", url=url, **config)
        .output({"body": "{{h.body}}", "status": "{{h.status}}", "uuid": "$UUID.json"})
        .edge("in", "h")
        .edge("h", "out")
        .doc
    )


@pytest.fixture
def upstream():
    SEEN.clear()
    with ThreadServer(UPSTREAM) as server:
        yield server


@pytest.fixture
def open_api(settings):
    server, handle = start_api(replace(settings, allow_private_urls=True))
    with server:
        yield handle


def run(api, doc: dict, q: str = "hi") -> httpx.Response:
    wf, key = api.publish(doc), api.key(rate_limit=0)
    return httpx.post(
        f"{api.url}/v1/api/workflow/run/{wf}", headers={"X-API-KEY": key}, json={"input": {"q": q}}, timeout=30
    )


def test_get_and_post_with_templates(open_api, upstream):
    r = run(open_api, http_flow(upstream.url + "/echo?q={{in.q}}"), q="你好")
    out = r.json()["output"]
    assert r.status_code == 200 and out["status"] == 200 and '"q":"你好"' in out["body"]
    r = run(
        open_api,
        http_flow(
            upstream.url + "/echo", method="POST", body='{"message": "{{in.q}}"}', headers={"Authorization": "Bearer t"}
        ),
        q='a "quoted" {{in.q}}',
    )
    assert r.status_code == 200, r.text
    assert SEEN[-1]["method"] == "POST" and SEEN[-1]["auth"] == "Bearer t"
    assert SEEN[-1]["body"] == '{"message": "a "quoted" {{in.q}}"}'  # user text is inserted, never re-rendered
    assert SEEN[-1]["type"].startswith("text/plain")  # that body is no longer valid JSON


def test_error_status_fails_the_node_unless_told_otherwise(open_api, upstream):
    r = run(open_api, http_flow(upstream.url + "/teapot"))
    assert r.status_code == 500 and "418" in r.json()["message"]
    r = run(open_api, http_flow(upstream.url + "/teapot", fail_on_error=False))
    assert r.json()["output"]["status"] == 418


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/echo",
        "http://localhost:{port}/echo",
        "http://[::1]:{port}/echo",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "file:///etc/passwd",
        "http://0177.0.0.1:{port}/echo",
    ],
)
def test_private_targets_are_refused_by_default(api, upstream, target):
    port = upstream.url.rsplit(":", 1)[1]
    r = run(api, http_flow(target.format(port=port)))
    assert r.status_code in (400, 500), r.text
    body = r.json()
    assert body["code"] in (40001, 50001) and (
        "private" in body["message"] or "http" in body["message"] or "valid URL" in body["message"]
    ), body
    assert not SEEN


def test_every_redirect_hop_is_checked_again(open_api, upstream):
    # Private targets are allowed here (the test server is on 127.0.0.1), so only the scheme check
    # can refuse: a redirect to file:// must not be followed. A public first hop redirecting to a
    # private address is refused by the same per-hop check (flowai/net/web.py).
    r = run(open_api, http_flow(upstream.url + "/hop"))
    assert r.status_code == 500 and "http:// or https://" in r.json()["message"], r.text
    r = run(open_api, http_flow(upstream.url + "/hop?to=/echo"))
    assert r.status_code == 200 and r.json()["output"]["uuid"]["uuid"] == "1234"


def test_credentials_do_not_follow_a_redirect_to_another_origin(open_api, upstream):
    # 127.0.0.1 and localhost are different origins of the same test server.
    other = upstream.url.replace("127.0.0.1", "localhost")
    r = run(open_api, http_flow(upstream.url + f"/hop?to={other}/echo", headers={"Authorization": "Bearer s3cret"}))
    assert r.status_code == 200, r.text
    assert SEEN[-1]["auth"] is None
    r = run(open_api, http_flow(upstream.url + "/hop?to=/echo", headers={"Authorization": "Bearer s3cret"}))
    assert SEEN[-1]["auth"] == "Bearer s3cret"  # same origin: kept


def test_the_connection_goes_to_the_address_the_check_approved(upstream, monkeypatch):
    """DNS rebinding: the name is resolved once, checked, and the connection made to that address
    (the name kept in the Host header), so a second, different answer is never used. Here
    loopback counts as public so the check passes and the pinning is observable."""
    import asyncio

    from flowai.net import netcheck
    from flowai.net.web import WebClient

    monkeypatch.setattr(netcheck, "_internal", lambda ip: False)
    port = upstream.url.rsplit(":", 1)[1]
    resolved = []
    real = netcheck.check_public_url

    async def spy(url, **kw):
        address = await real(url, **kw)
        resolved.append(address)
        return address

    monkeypatch.setattr("flowai.net.web.check_public_url", spy)

    async def go():
        async with httpx.AsyncClient() as client:
            return await WebClient(client).request("GET", f"http://localhost:{port}/echo?q=pinned")

    resp = asyncio.run(go())
    assert resp.status == 200 and b'"q":"pinned"' in resp.body
    assert resolved and resolved[0] in ("127.0.0.1", "::1")
    assert SEEN[-1]["host"] == f"localhost:{port}"  # the name travels in Host, the socket went to the address
