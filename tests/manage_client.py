"""Signing in to the management API over HTTP, for tests: ``client = signed_in(api)``.

``signed_in(api)`` gives the fixture's admin a password (once), signs in at
``POST /api/v1/auth/login`` and returns an ``httpx.Client`` based at ``{api.url}/api/v1`` with
the bearer header. ``other_account(api)`` does the same for a second, non-admin account.
"""

from __future__ import annotations

import httpx

from storage import queries
from storage.db import session

PASSWORD = "correct horse battery"


def login(api, username: str, password: str) -> str:
    r = httpx.post(f"{api.url}/api/v1/auth/login", json={"username": username, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]["access_token"]


def client(api, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{api.url}/api/v1", headers=headers, timeout=30)


def signed_in(api) -> httpx.Client:
    """A client signed in as the fixture's admin (the owner of ``api.owner_id``)."""
    users = api.platform.users
    if users.needs_setup():
        users.setup_admin(username="admin", password=PASSWORD, token=users.setup_token())
    return client(api, login(api, "admin", PASSWORD))


def other_account(api, username: str = "mallory") -> httpx.Client:
    """A client signed in as a second account (created on first use)."""
    with session(api.platform.db) as s:
        exists = queries.get_user(s, username=username) is not None
    if not exists:
        api.platform.users.create(username=username, password=PASSWORD)
    return client(api, login(api, username, PASSWORD))


def data(r: httpx.Response, status: int = 200):
    """The envelope's ``data`` after checking the status and ``code: 0``."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == 0 and body["message"] == "success", body
    return body["data"]


def error(r: httpx.Response, status: int, code: int) -> dict:
    """The error envelope after checking status and code."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["data"] is None and isinstance(body["message"], str), body
    assert "Traceback" not in r.text
    return body
