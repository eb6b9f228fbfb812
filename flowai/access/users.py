"""Accounts: the first admin, password sign-in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy.engine import Engine

from flowai.access.auth import hash_password, verify_password
from flowai.errors import InputError
from storage import queries
from storage.db import session
from storage.models import User

LANGUAGES = ("en", "zh")
USERNAME = re.compile(r"^[\w.@-]{1,100}$")


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in account as request handlers see it: a stored user, whose id is always set."""

    id: int
    username: str
    is_admin: bool
    language: str

    @classmethod
    def of(cls, user: User) -> Account:
        assert user.id is not None, "an account that was never stored"
        return cls(user.id, user.username, user.is_admin, user.language)


class Users:
    def __init__(self, db: Engine):
        self.db = db

    def create(self, *, username: str, password: str | None, is_admin: bool = False) -> User:
        if not USERNAME.match(username or ""):
            raise InputError("A username is 1-100 letters, digits, '.', '@', '_' or '-'.")
        if password is not None and len(password) < 8:
            raise InputError("A password needs at least 8 characters.")
        with session(self.db) as s:
            if queries.get_user(s, username=username):
                raise InputError(f"User {username!r} already exists.")
            user = queries.create_user(
                s, username=username, is_admin=is_admin, password_hash=hash_password(password) if password else None
            )
            s.commit()
            s.refresh(user)
        return user

    def acting_admin(self) -> User:
        """The instance's first admin, created (without a password) when there is none."""
        with session(self.db) as s:
            admin = queries.first_admin(s)
            if admin is None:
                admin = queries.create_user(s, username="admin", password_hash=None, is_admin=True)
                s.commit()
                s.refresh(admin)
        return admin

    def needs_setup(self) -> bool:
        """True while no account can sign in (a fresh instance, or only the CLI's admin)."""
        with session(self.db) as s:
            admin = queries.first_admin(s)
            return admin is None or admin.password_hash is None

    def setup_admin(self, *, username: str, password: str) -> User:
        """First visit: create the admin account (or give the CLI's admin its name and password)."""
        if len(password or "") < 8:
            raise InputError("A password needs at least 8 characters.")
        if not USERNAME.match(username or ""):
            raise InputError("A username is 1-100 letters, digits, '.', '@', '_' or '-'.")
        with session(self.db) as s:
            admin = queries.first_admin(s)
            if admin is not None and admin.password_hash is not None:
                raise InputError("This instance already has an admin account.")
            if admin is None:
                admin = queries.create_user(s, username=username, password_hash=hash_password(password), is_admin=True)
            else:
                admin.username, admin.password_hash = username, hash_password(password)
                s.add(admin)
            s.commit()
            s.refresh(admin)
        return admin

    def sign_in(self, *, username: str, password: str) -> User | None:
        with session(self.db) as s:
            user = queries.get_user(s, username=username)
        if user is None:
            verify_password(_dummy_hash(), password)  # same work whether or not the user exists
            return None
        return user if verify_password(user.password_hash, password) else None

    def get(self, user_id: int) -> User | None:
        with session(self.db) as s:
            return queries.get_user(s, user_id=user_id)

    def account(self, user_id: int) -> Account | None:
        user = self.get(user_id)
        return Account.of(user) if user is not None else None

    def set_language(self, user_id: int, language: str) -> None:
        """Remember the UI language of an account (``en`` or ``zh``)."""
        if language not in LANGUAGES:
            raise InputError(f"Unsupported language {language!r}; use one of {', '.join(LANGUAGES)}.")
        with session(self.db) as s:
            user = queries.get_user(s, user_id=user_id)
            if user is not None:
                user.language = language
                s.add(user)
                s.commit()


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
