"""Accounts: claiming the instance, password sign-in, token revocation.

Claiming: while no admin account has a password, the instance is unclaimed and ``/login``
offers the set-up form, which needs the one-time set-up token ``flowai serve`` prints on its
console (kept in this process's memory only). Once any admin has a password the form is gone
for good. The CLI's own admin (created without a password) never makes an instance claimable
without that token.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy.engine import Engine
from sqlmodel import select

from flowai.access.auth import hash_password, verify_password
from flowai.errors import AuthError, InputError
from storage import queries
from storage.db import session
from storage.models import User

LANGUAGES = ("en", "zh")
THEMES = ("system", "light", "dark")  # the UI's colours: as the system says, or always light or dark
USERNAME = re.compile(r"^[\w.@-]{1,100}$")
MIN_PASSWORD = 10
# common passwords long enough to pass the length rule (lower-cased); a guesser tries these first
COMMON_PASSWORDS = frozenset(
    """password12 password123 password1234 password12345 passw0rd123 1234567890 0123456789 9876543210
    123456789a a123456789 1234567890a qwertyuiop qwertyuiop123 qwerty1234 qwerty12345 1q2w3e4r5t
    1qaz2wsx3edc zaq12wsxcde asdfghjkl1 iloveyou123 letmein123 welcome123 changeme123 adminadmin
    admin12345 admin123456 administrator football123 sunshine123 princess123 monkey12345 dragon12345
    secret1234 flowai1234 flowai12345 flowaiflowai abcdefghij abc1234567 trustno1234""".split()
)


def check_password(password: str | None, username: str = "") -> str:
    """The password, if it is long and uncommon enough; InputError otherwise."""
    if password is None or len(password) < MIN_PASSWORD:
        raise InputError(f"A password needs at least {MIN_PASSWORD} characters.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or lowered == username.lower() or len(set(password)) < 4:
        raise InputError("This password is too common or too easy to guess; choose another.")
    return password


@dataclass(frozen=True, slots=True)
class Account:
    """A signed-in account as request handlers see it: a stored user, whose id is always set."""

    id: int
    username: str
    is_admin: bool
    language: str
    token_version: int = 0  # bumped by sign-out-everywhere and password changes: older tokens stop working

    @classmethod
    def of(cls, user: User) -> Account:
        assert user.id is not None, "an account that was never stored"
        return cls(user.id, user.username, user.is_admin, user.language, user.token_version or 0)


class Users:
    def __init__(self, db: Engine):
        self.db = db
        self._setup_token: str | None = None

    def create(self, *, username: str, password: str | None, is_admin: bool = False) -> User:
        if not USERNAME.match(username or ""):
            raise InputError("A username is 1-100 letters, digits, '.', '@', '_' or '-'.")
        if password is not None:
            check_password(password, username)
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
        """True while the instance is unclaimed: no admin account has a password yet."""
        with session(self.db) as s:
            claimed = s.exec(select(User.id).where(User.is_admin == True, User.password_hash != None)).first()  # noqa: E711,E712
        return claimed is None

    def setup_token(self) -> str | None:
        """The one-time set-up token while the instance is unclaimed (made on first call, never
        stored), None once it is claimed. ``flowai serve`` prints it on its console."""
        if not self.needs_setup():
            self._setup_token = None
        elif self._setup_token is None:
            self._setup_token = secrets.token_urlsafe(18)
        return self._setup_token

    def setup_admin(self, *, username: str, password: str, token: str | None) -> User:
        """Claim the instance: create the admin account (or give the CLI's passwordless admin its
        name and password). Needs the set-up token; refused for good once any admin has a password."""
        expected = self._setup_token
        if not expected or not token or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise AuthError("Wrong set-up token; it is printed on the console where `flowai serve` runs.")
        if not USERNAME.match(username or ""):
            raise InputError("A username is 1-100 letters, digits, '.', '@', '_' or '-'.")
        check_password(password, username)
        with session(self.db) as s:
            if s.exec(select(User.id).where(User.is_admin == True, User.password_hash != None)).first():  # noqa: E711,E712
                raise InputError("This instance already has an admin account.")
            admin = queries.first_admin(s)
            taken = queries.get_user(s, username=username)
            if taken is not None and (admin is None or taken.id != admin.id):
                raise InputError(f"User {username!r} already exists.")
            if admin is None:
                admin = queries.create_user(s, username=username, password_hash=hash_password(password), is_admin=True)
            else:
                admin.username, admin.password_hash = username, hash_password(password)
                admin.token_version += 1
                s.add(admin)
            s.commit()
            s.refresh(admin)
        self._setup_token = None
        return admin

    def revoke_tokens(self, user_id: int) -> int:
        """Sign out everywhere: every token issued to the account so far stops working."""
        with session(self.db) as s:
            user = queries.get_user(s, user_id=user_id)
            if user is None:
                raise AuthError("No such account.")
            user.token_version += 1
            s.add(user)
            s.commit()
            return user.token_version

    def change_password(self, user_id: int, *, current: str, new: str) -> User:
        """Set a new password (the current one must be right); revokes every earlier token."""
        with session(self.db) as s:
            user = queries.get_user(s, user_id=user_id)
            if user is None or not verify_password(user.password_hash, current or ""):
                raise AuthError("The current password is wrong.")
            check_password(new, user.username)
            user.password_hash = hash_password(new)
            user.token_version += 1
            s.add(user)
            s.commit()
            s.refresh(user)
        return user

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

    def set_theme(self, user_id: int, theme: str) -> None:
        """Remember the UI theme of an account (``system``, ``light`` or ``dark``)."""
        if theme not in THEMES:
            raise InputError(f"Unsupported theme {theme!r}; use one of {', '.join(THEMES)}.")
        with session(self.db) as s:
            user = queries.get_user(s, user_id=user_id)
            if user is not None:
                user.theme = theme
                s.add(user)
                s.commit()


@cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")
