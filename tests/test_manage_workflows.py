"""Management API, workflows (docs/management-api.md) over real HTTP: envelope, paging, versions, scoping."""

from __future__ import annotations

import copy

import httpx

from flowai.access.auth import issue_token
from flowai.demo import HELLO, PARALLEL
from tests.hashing_support import cheap_password_hashing  # noqa: F401 (autouse fixture)
from tests.manage_client import client, data, error, login, other_account, signed_in

ITEM_KEYS = {
    "id",
    "name",
    "description",
    "latest_version",
    "published_version",
    "draft_base",
    "created_at",
    "updated_at",
}


def doc(name: str = "Hello", reply: str = "在呢。你说的是：$开始.输入") -> dict:
    d = copy.deepcopy(HELLO)
    d["name"] = name
    d["nodes"][1]["config"]["template"] = reply
    return d


def create(c: httpx.Client, body: dict | None = None, **kw) -> dict:
    return data(c.post("/workflows", json=body if body is not None else doc(), **kw), 201)


# --- sign-in, docs --------------------------------------------------------------------------


def test_every_route_needs_a_valid_bearer_token(api):
    c = signed_in(api)
    wf = create(c)["id"]
    expired = issue_token(api.platform.settings.secret_key, api.owner_id, ttl=-10)
    forged = issue_token("another-secret", api.owner_id)
    calls = [
        ("GET", "/workflows"),
        ("POST", "/workflows"),
        ("GET", f"/workflows/{wf}"),
        ("PUT", f"/workflows/{wf}"),
        ("DELETE", f"/workflows/{wf}"),
        ("GET", f"/workflows/{wf}/versions"),
        ("GET", f"/workflows/{wf}/versions/1"),
        ("POST", f"/workflows/{wf}/publish"),
        ("GET", f"/workflows/{wf}/export"),
        ("POST", "/workflows/import"),
    ]
    for token in (None, "not-a-jwt", expired, forged):
        anon = client(api, token)
        for method, path in calls:
            # an unparseable body too: authentication comes before the body is read
            r = anon.request(method, path, content=b"{not json", headers={"Content-Type": "application/json"})
            body = error(r, 401, 40101)
            assert body["message"]
    assert data(c.get(f"/workflows/{wf}"))["latest_version"] == 1  # nothing was changed or deleted


def test_openapi_lists_the_routes_and_docs_answer(api):
    r = httpx.get(f"{api.url}/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path, methods in {
        "/workflows": {"get", "post"},
        "/workflows/{workflow_id}": {"get", "put", "delete"},
        "/workflows/{workflow_id}/versions": {"get"},
        "/workflows/{workflow_id}/versions/{number}": {"get"},
        "/workflows/{workflow_id}/publish": {"post"},
        "/workflows/{workflow_id}/export": {"get"},
        "/workflows/import": {"post"},
        "/keys": {"get", "post"},
        "/keys/{key_id}": {"delete"},
        "/files": {"get", "post"},
        "/files/{file_id}": {"get", "delete"},
    }.items():
        assert methods <= set(paths[path]), (path, set(paths[path]))
    save = paths["/workflows/{workflow_id}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"document", "base_version", "message"} <= set(save["properties"])
    assert "multipart/form-data" in paths["/files"]["post"]["requestBody"]["content"]
    docs = httpx.get(f"{api.url}/api/v1/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


# --- create, list, read --------------------------------------------------------------------


def test_create_answers_201_with_the_workflow_and_version(api):
    c = signed_in(api)
    r = c.post("/workflows", json=doc("First"))
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["code", "message", "data"] and body["code"] == 0 and body["message"] == "success"
    created = data(r, 201)
    assert ITEM_KEYS <= set(created)
    assert created["name"] == "First" and created["latest_version"] == 1 and created["draft_base"] == 1
    assert created["published_version"] is None
    assert created["version"]["number"] == 1 and created["version"]["published"] is False
    assert created["created_at"].endswith("Z")
    # the wrapped form, with a message, published at once
    wrapped = create(c, {"document": doc("Second"), "message": "first cut", "publish": True})
    assert wrapped["published_version"] == 1 and wrapped["version"]["message"] == "first cut"
    # a bare document may carry "publish" too
    assert create(c, {**doc("Third"), "publish": True})["published_version"] == 1


def test_list_is_paged_and_scoped_to_the_owner(api):
    c = signed_in(api)
    made = [create(c, doc(f"wf{i}"))["id"] for i in range(3)]
    page1 = data(c.get("/workflows", params={"page_size": 2}))
    assert page1["total"] == 3 and page1["page"] == 1 and page1["page_size"] == 2 and len(page1["items"]) == 2
    assert set(page1["items"][0]) == ITEM_KEYS  # no documents in lists
    page2 = data(c.get("/workflows", params={"page": 2, "page_size": 2}))
    assert len(page2["items"]) == 1
    assert {i["id"] for i in page1["items"] + page2["items"]} == set(made)
    default = data(c.get("/workflows"))
    assert default["page"] == 1 and default["page_size"] == 20 and default["total"] == 3
    error(c.get("/workflows", params={"page": 0}), 400, 40001)
    error(c.get("/workflows", params={"page_size": "many"}), 400, 40001)
    assert data(other_account(api).get("/workflows")) == {"items": [], "total": 0, "page": 1, "page_size": 20}


def test_get_has_the_draft_document(api):
    c = signed_in(api)
    wf = create(c)["id"]
    got = data(c.get(f"/workflows/{wf}"))
    assert set(got) == ITEM_KEYS | {"document"}
    assert got["document"]["format"] == "flowai/1" and got["document"]["nodes"][0]["label"] == "开始"
    error(c.get("/workflows/" + "0" * 32), 404, 40402)


# --- save: versions, conflicts, invalid graphs ----------------------------------------------------


def test_save_makes_a_new_immutable_version(api):
    c = signed_in(api)
    wf = create(c)["id"]
    saved = data(
        c.put(f"/workflows/{wf}", json={"document": doc("Renamed", "v2"), "base_version": 1, "message": "second"})
    )
    assert saved["latest_version"] == 2 and saved["name"] == "Renamed" and saved["version"]["number"] == 2
    assert saved["version"]["message"] == "second"
    v1 = data(c.get(f"/workflows/{wf}/versions/1"))
    assert v1["document"]["nodes"][1]["config"]["template"] == "在呢。你说的是：$开始.输入"  # unchanged
    assert data(c.get(f"/workflows/{wf}"))["document"]["nodes"][1]["config"]["template"] == "v2"


def test_stale_save_answers_409_with_the_current_version(api):
    c = signed_in(api)
    wf = create(c)["id"]
    data(c.put(f"/workflows/{wf}", json={"document": doc(reply="by Ann"), "base_version": 1}))
    body = error(c.put(f"/workflows/{wf}", json={"document": doc(reply="by Bob"), "base_version": 1}), 409, 40901)
    assert body["detail"] == {"current_version": 2}
    got = data(c.get(f"/workflows/{wf}"))
    assert got["latest_version"] == 2 and got["document"]["nodes"][1]["config"]["template"] == "by Ann"


def test_invalid_graph_answers_located_issues_and_stores_nothing(api):
    c = signed_in(api)
    wf = create(c)["id"]
    bad = doc()
    bad["nodes"][1]["type"] = "no_such_node"
    bad["edges"].append({"source": "out", "target": "ghost"})
    body = error(c.put(f"/workflows/{wf}", json={"document": bad, "base_version": 1}), 400, 40001)
    issues = body["detail"]
    assert isinstance(issues, list) and len(issues) >= 2
    assert all(set(i) == {"message", "node", "edge", "field"} for i in issues)
    assert any(i["node"] == "reply" and i["field"] == "type" for i in issues)
    assert "no_such_node" in body["message"]
    versions = data(c.get(f"/workflows/{wf}/versions"))
    assert versions["total"] == 1
    assert data(c.get(f"/workflows/{wf}"))["latest_version"] == 1
    # creating or importing an invalid graph stores no workflow
    error(c.post("/workflows", json=bad), 400, 40001)
    error(c.post("/workflows/import", json=bad), 400, 40001)
    assert data(c.get("/workflows"))["total"] == 1


def test_bodies_refuse_unknown_and_protected_fields(api):
    c = signed_in(api)
    wf = create(c)["id"]
    other_id = api.platform.users.create(username="victim", password="victim-passphrase").id
    for body in (
        {"document": doc(), "owner_id": other_id},
        {"document": doc(), "id": "x" * 32},
        {**doc(), "owner_id": other_id},
        {**doc(), "created_at": "2020-01-01"},
    ):
        r = error(c.post("/workflows", json=body), 400, 40001)
        assert r["detail"]
    for body in (
        {"document": doc(), "base_version": 1, "owner_id": other_id},
        {"document": doc(), "base_version": 1, "published_version": 1},
        {"document": {**doc(), "id": wf}, "base_version": 1},
        {"document": doc()},  # base_version is required
        {"document": doc(), "base_version": "1"},
        {"document": "not an object", "base_version": 1},
    ):
        error(c.put(f"/workflows/{wf}", json=body), 400, 40001)
    error(c.post(f"/workflows/{wf}/publish", json={"version": 1, "owner_id": other_id}), 400, 40001)
    for raw in (b"[1, 2]", b"{not json", b"", b'"text"'):
        error(c.post("/workflows", content=raw, headers={"Content-Type": "application/json"}), 400, 40001)
    got = data(c.get(f"/workflows/{wf}"))
    assert got["latest_version"] == 1 and got["published_version"] is None
    assert data(c.get("/workflows"))["total"] == 1
    assert data(client(api, login(api, "victim", "victim-passphrase")).get("/workflows"))["total"] == 0


def test_oversized_body_answers_413(api):
    c = signed_in(api)
    big = doc()
    big["description"] = "x" * (api.platform.settings.max_body_bytes + 10)
    error(c.post("/workflows", json=big), 413, 40003)
    assert data(c.get("/workflows"))["total"] == 0


# --- versions, publish, export, import, delete ------------------------------------------------


def test_versions_are_paged_newest_first_without_documents(api):
    c = signed_in(api)
    wf = create(c)["id"]
    for i in range(2, 5):
        data(
            c.put(f"/workflows/{wf}", json={"document": doc(reply=f"v{i}"), "base_version": i - 1, "message": f"m{i}"})
        )
    page = data(c.get(f"/workflows/{wf}/versions", params={"page_size": 3}))
    assert page["total"] == 4 and [v["number"] for v in page["items"]] == [4, 3, 2]
    assert all("document" not in v for v in page["items"])
    assert set(page["items"][0]) == {"number", "message", "created_by", "created_at", "published_at", "published"}
    assert page["items"][0]["message"] == "m4" and page["items"][0]["created_by"] == api.owner_id
    assert [
        v["number"] for v in data(c.get(f"/workflows/{wf}/versions", params={"page": 2, "page_size": 3}))["items"]
    ] == [1]
    v3 = data(c.get(f"/workflows/{wf}/versions/3"))
    assert v3["number"] == 3 and v3["document"]["nodes"][1]["config"]["template"] == "v3"
    error(c.get(f"/workflows/{wf}/versions/9"), 404, 40402)
    error(c.get(f"/workflows/{wf}/versions/one"), 400, 40001)


def test_publish_the_draft_or_a_chosen_version(api):
    c = signed_in(api)
    wf = create(c)["id"]
    first = data(c.post(f"/workflows/{wf}/publish"))  # no body: the draft, unchanged since v1
    assert first["published_version"] == 1 and first["latest_version"] == 1 and first["version"]["published"]
    data(c.put(f"/workflows/{wf}", json={"document": doc(reply="v2"), "base_version": 1}))
    assert data(c.post(f"/workflows/{wf}/publish", json={}))["published_version"] == 2
    back = data(c.post(f"/workflows/{wf}/publish", json={"version": 1}))
    assert back["published_version"] == 1 and back["version"]["number"] == 1
    assert back["version"]["published_at"] is not None
    error(c.post(f"/workflows/{wf}/publish", json={"version": 7}), 404, 40402)
    error(c.post(f"/workflows/{wf}/publish", json={"version": 0}), 400, 40001)
    assert data(c.get(f"/workflows/{wf}"))["published_version"] == 1


def test_export_and_import_round_trip(api):
    c = signed_in(api)
    wf = create(c, doc("Exported"))["id"]
    data(c.put(f"/workflows/{wf}", json={"document": doc("Exported", "v2"), "base_version": 1}))
    draft = data(c.get(f"/workflows/{wf}/export"))
    assert draft["format"] == "flowai/1" and draft["nodes"][1]["config"]["template"] == "v2"
    v1 = data(c.get(f"/workflows/{wf}/export", params={"version": 1}))
    assert v1["format"] == "flowai/1" and v1["nodes"][1]["config"]["template"] == "在呢。你说的是：$开始.输入"
    error(c.get(f"/workflows/{wf}/export", params={"version": 5}), 404, 40402)

    imported = data(c.post("/workflows/import", json=v1), 201)
    assert imported["id"] != wf and imported["published_version"] is None and imported["name"] == "Exported"
    assert imported["version"]["message"] == "Imported"
    published = data(c.post("/workflows/import", params={"publish": "true"}, json=PARALLEL), 201)
    assert published["published_version"] == 1
    assert data(c.get(f"/workflows/{imported['id']}/export")) == v1
    # the imported, published workflow runs on the run API
    key = api.key()
    r = httpx.post(
        f"{api.url}/v1/api/workflow/run/{published['id']}",
        headers={"X-API-KEY": key},
        json={"input": {"输入": "hi", "name": "Ann"}},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["output"] == "Hello, Ann! You said: hi"


def test_delete_removes_the_workflow(api):
    c = signed_in(api)
    wf = create(c)["id"]
    keep = create(c, doc("keep"))["id"]
    assert data(c.delete(f"/workflows/{wf}")) == {"id": wf, "deleted": True}
    error(c.get(f"/workflows/{wf}"), 404, 40402)
    error(c.get(f"/workflows/{wf}/versions"), 404, 40402)
    error(c.delete(f"/workflows/{wf}"), 404, 40402)
    assert [i["id"] for i in data(c.get("/workflows"))["items"]] == [keep]


# --- another account ------------------------------------------------------------------------


def test_another_accounts_workflow_answers_40301_and_is_untouched(api):
    c = signed_in(api)
    wf = create(c, {"document": doc(), "publish": True})["id"]
    mallory = other_account(api)
    attempts = [
        ("GET", f"/workflows/{wf}", None),
        ("PUT", f"/workflows/{wf}", {"document": doc(reply="pwned"), "base_version": 1}),
        ("DELETE", f"/workflows/{wf}", None),
        ("GET", f"/workflows/{wf}/versions", None),
        ("GET", f"/workflows/{wf}/versions/1", None),
        ("POST", f"/workflows/{wf}/publish", {}),
        ("GET", f"/workflows/{wf}/export", None),
    ]
    for method, path, body in attempts:
        r = error(mallory.request(method, path, json=body), 403, 40301)
        assert "在呢" not in r["message"] and "document" not in r
        error(mallory.request(method, path.replace(wf, "f" * 32), json=body), 404, 40402)
    got = data(c.get(f"/workflows/{wf}"))
    assert got["latest_version"] == 1 and got["document"]["nodes"][1]["config"]["template"] != "pwned"
