"""Text every supported database can store: no NUL character (PostgreSQL's text columns refuse one,
SQLite keeps it). Names, labels, descriptions and messages are typed :data:`Text`, so a NUL is a
400 / 40001 at the door instead of a database error after half the work."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character (\\u0000)")
    return value


Text = Annotated[str, AfterValidator(no_nul)]
