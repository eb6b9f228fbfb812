"""``POST /auth/login``: a username and password for a bearer token (JWT, expiring)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from flowai.access.auth import TOKEN_TTL, issue_token
from flowai.access.users import Account as User  # the signed-in account
from flowai.errors import AuthError

from .common import current_user, ok, platform_of

router = APIRouter(tags=["auth"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


@router.post("/auth/login")
def login(body: Login, request: Request):
    platform = platform_of(request)
    user = platform.users.sign_in(username=body.username, password=body.password)
    if user is None:
        raise AuthError("Wrong username or password.")
    token = issue_token(platform.settings.secret_key, User.of(user).id)
    return ok(
        {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": TOKEN_TTL,
            "user": {"id": user.id, "username": user.username, "is_admin": user.is_admin},
        }
    )


@router.get("/auth/me")
def me(user: User = Depends(current_user)):
    return ok({"id": user.id, "username": user.username, "is_admin": user.is_admin, "language": user.language})
