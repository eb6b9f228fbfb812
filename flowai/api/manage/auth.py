"""Sign-in for the management API: ``POST /auth/login`` (a username and password for a bearer
token, a JWT that expires), ``POST /auth/logout`` (revokes every token of the account: sign out
everywhere), ``POST /auth/password`` (change it; earlier tokens stop working) and ``GET /auth/me``.

Wrong passwords are throttled per account name (``flowai.access.throttle``; the per-address
count happens for every 401 in ``flowai.api.lockout``).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from flowai.access.auth import TOKEN_TTL, issue_token
from flowai.access.users import Account as User  # the signed-in account
from flowai.errors import AuthError
from flowai.texts import Text

from .common import current_user, ok, platform_of

router = APIRouter(tags=["auth"])


class Login(BaseModel):
    username: Text = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


def _token_answer(platform, user: User) -> dict:
    return {
        "access_token": issue_token(platform.settings.secret_key, user.id, version=user.token_version),
        "token_type": "bearer",
        "expires_in": TOKEN_TTL,
        "user": {"id": user.id, "username": user.username, "is_admin": user.is_admin},
    }


@router.post("/auth/login")
async def login(body: Login, request: Request):
    platform = platform_of(request)
    await platform.throttle.check("account", body.username)
    # (the password hash is slow on purpose: it runs in a thread, the loop serves other requests)
    user = await asyncio.to_thread(platform.users.sign_in, username=body.username, password=body.password)
    if user is None:
        await platform.throttle.failed("account", body.username, what="passwords")
        raise AuthError("Wrong username or password.")
    return ok(_token_answer(platform, User.of(user)))


@router.post("/auth/logout")
def logout(request: Request, user: User = Depends(current_user)):
    platform_of(request).users.revoke_tokens(user.id)
    return ok({"revoked": True})


@router.post("/auth/password")
async def change_password(body: PasswordChange, request: Request, user: User = Depends(current_user)):
    platform = platform_of(request)
    await platform.throttle.check("account", user.username)
    try:
        changed = await asyncio.to_thread(
            platform.users.change_password, user.id, current=body.current_password, new=body.new_password
        )
    except AuthError:
        await platform.throttle.failed("account", user.username, what="passwords")
        raise
    return ok(_token_answer(platform, User.of(changed)))


@router.get("/auth/me")
def me(user: User = Depends(current_user)):
    return ok({"id": user.id, "username": user.username, "is_admin": user.is_admin, "language": user.language})
