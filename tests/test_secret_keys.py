"""Issue 12 #6 and security.md case 33: stored provider keys are encrypted with their own,
rotatable key (not the signing secret), rotation needs no restart, and FLOWAI_HOME, the database
and media files are readable by their owner only."""

from __future__ import annotations

import stat
import subprocess
import sys
from dataclasses import replace

from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import select

from flowai.platform import Platform
from flowai.providers.credentials import Credentials
from flowai.providers.keyring import KEYS_FILE
from storage.db import make_engine, session
from storage.models import ProviderCredential
from storage.provider_store import DbProviderStore
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.manage_client import signed_in
from tests.proc import flowai, flowai_env, flowai_process
from tests.router_kit import QUESTION, llm_doc, run, serving, with_config

UI_KEY = "sk-ui-stored-0123456789abcdef"


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _stored_token(settings) -> str:
    with session(make_engine(settings.database_url)) as s:
        return s.exec(select(ProviderCredential).where(ProviderCredential.name == "groq")).one().api_key


def test_case_33_stored_keys_rotate_without_downtime_and_never_appear_in_clear(flaky, settings):  # noqa: F811
    fake = flaky(api_key=UI_KEY)
    env = {"GROQ_BASE_URL": fake.url}  # the operator's base URL; the key is entered in the UI
    with serving(with_config(settings, env)) as api:
        admin = signed_in(api)
        assert admin.put("/providers/groq/credentials", json={"api_key": UI_KEY}).status_code == 200
        wf = api.publish(llm_doc())
        assert run(api, wf).json()["output"] == QUESTION

        key_file = settings.home / KEYS_FILE
        old_keys = key_file.read_text().split()
        assert len(old_keys) == 1 and _mode(key_file) == 0o600
        before = _stored_token(settings)
        assert Fernet(old_keys[0]).decrypt(before.encode()).decode() == UI_KEY
        assert settings.secret_key not in key_file.read_text()

        rotated = flowai_process(settings.home, "secrets", "rotate")  # another process, the server keeps running
        assert "Re-encrypted 1 stored value(s)" in rotated.stdout, rotated.stdout + rotated.stderr

        new_keys = key_file.read_text().split()
        assert len(new_keys) == 1 and new_keys != old_keys and _mode(key_file) == 0o600
        after = _stored_token(settings)
        assert Fernet(new_keys[0]).decrypt(after.encode()).decode() == UI_KEY
        try:
            Fernet(old_keys[0]).decrypt(after.encode())
            raise AssertionError("the old key still reads the rotated row")
        except InvalidToken:
            pass
        api.platform.credentials._cache = None  # what the 5 s cache would do anyway
        r = run(api, wf)  # the running server picked up the new key file: no restart
        assert r.status_code == 200 and r.json()["output"] == QUESTION, r.text
        listed = admin.get("/providers").text
        assert UI_KEY not in listed and "sk-…cdef" in listed
        api.platform.db.dispose()
        stored = b"".join(
            (settings.home / n).read_bytes() for n in ("flowai.db", "flowai.db-wal") if (settings.home / n).exists()
        )
    assert UI_KEY.encode() not in stored and fake.hits == 2


def test_rows_from_before_the_key_file_are_migrated_off_the_signing_secret(settings):
    store = DbProviderStore(make_engine(settings.database_url))
    legacy = Credentials(store, settings.secret_key, {})  # the old derivation
    legacy.set("openai", api_key=UI_KEY)
    old_token = _token(settings, "openai")

    platform = Platform(settings)  # start-up: a key file is made, the row re-encrypted under it
    assert platform.credentials.get("openai").api_key == UI_KEY
    new_token = _token(settings, "openai")
    assert new_token != old_token
    assert legacy._decrypt(new_token, "openai") is None  # the signing secret no longer reads it
    again = Platform(replace(settings, secret_key="a-new-signing-secret"))  # signing secret changed: still read
    assert again.credentials.get("openai").api_key == UI_KEY


def _token(settings, name: str) -> str:
    with session(make_engine(settings.database_url)) as s:
        return s.exec(select(ProviderCredential).where(ProviderCredential.name == name)).one().api_key


def test_home_database_and_media_are_readable_by_their_owner_only(tmp_path):
    home = tmp_path / "fresh-home"
    made = subprocess.run(
        [sys.executable, "-m", "flowai.cli", "user", "create", "--username", "ops", "--password", "long password 123"],
        env=flowai_env(home),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert _mode(home) == 0o700
    assert _mode(home / "flowai.db") == 0o600
    assert _mode(home / "secret.key") == 0o600 and _mode(home / KEYS_FILE) == 0o600
    for extra in ("flowai.db-wal", "flowai.db-shm"):
        if (home / extra).exists():
            assert _mode(home / extra) == 0o600, extra

    from flowai.settings import Settings

    settings = Settings(home=home, database_url=f"sqlite:///{home / 'flowai.db'}", secret_key="s", env={})
    platform = Platform(settings)
    owner = platform.users.acting_admin().id
    row = platform.files.save(owner_id=owner, name="a.txt", data=b"hello")
    assert _mode(settings.media_dir) == 0o700 and _mode(settings.media_dir / "uploads") == 0o700
    assert _mode(platform.files.path(row.id)) == 0o600
