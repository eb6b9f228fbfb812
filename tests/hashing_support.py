"""Cheaper Argon2id for test modules that sign in in every test but test nothing about password hashing.

``flowai.access.auth`` hashes passwords with argon2-cffi's default cost (64 MiB, 3 passes): ~0.25 s for
the admin's password and as much again for each sign-in, most of a short API test's time. Importing
``cheap_password_hashing`` (an autouse fixture) into a module swaps in a real Argon2id hasher with the
lowest cost for that module's tests: hashes are still made and verified, only faster. The cost itself
is the product's and is not what these modules test (every other module signs in at full cost).

Use: ``from tests.hashing_support import cheap_password_hashing  # noqa: F401 (autouse fixture)``.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from flowai.access import auth


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1))
