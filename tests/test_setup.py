"""``flowai setup`` (issue 15, item 8) against fake providers on 127.0.0.1: keys checked, asked for in a
terminal or taken from the environment, ``.env`` written with mode 0600, connections tested, and the
tasks each working provider serves printed."""

from __future__ import annotations

import stat
import sys

import pexpect
from dotenv import dotenv_values

from tests.fakes.flaky_openai import flaky
from tests.fakes.replicate_server import TOKEN, fake_replicate
from tests.proc import flowai, flowai_env


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_non_interactive_takes_the_environment_writes_env_and_tests_each_provider(tmp_path, fake_replicate, flaky):
    (tmp_path / ".git").mkdir()
    fake_openai = flaky()
    env = {
        "REPLICATE_API_TOKEN": TOKEN,
        "REPLICATE_BASE_URL": fake_replicate.url,
        "OPENAI_API_KEY": fake_openai.api_key,
        "OPENAI_BASE_URL": fake_openai.url,
        "GROQ_API_KEY": "gsk_wrong",
        "GROQ_BASE_URL": fake_openai.url,
    }
    proc = flowai(tmp_path, "setup", "--non-interactive", check=False, **env)
    out = proc.stdout
    assert proc.returncode == 1, out  # groq's key is refused
    assert "+ replicate" in out and "- anthropic" in out and "ANTHROPIC_API_KEY" in out
    assert "ok   replicate    Replicate account fake-user" in out
    assert "ok   openai" in out and "FAIL groq" in out and "401" in out
    assert "  text        openai\n" in out  # groq failed its test: not listed
    assert "  image       replicate\n" in out
    assert "  stt         nobody: set ASSEMBLYAI_API_KEY, GLADIA_API_KEY, HUGGINGFACE_API_KEY" in out
    values = dotenv_values(tmp_path / ".env")
    assert values["REPLICATE_API_TOKEN"] == TOKEN and values["OPENAI_API_KEY"] == fake_openai.api_key
    assert "GROQ_API_KEY" in values and "REPLICATE_BASE_URL" not in values
    assert mode(tmp_path / ".env") == 0o600
    assert ".env" in (tmp_path / ".gitignore").read_text().splitlines()
    assert TOKEN not in out  # keys are never printed


def test_nothing_configured_says_what_to_set(tmp_path):
    proc = flowai(tmp_path, "setup", "--non-interactive", check=False)
    assert proc.returncode == 1 and "No provider is configured" in proc.stdout
    assert not (tmp_path / ".env").exists()


def test_in_a_terminal_it_asks_for_missing_keys_without_echoing_them(tmp_path, fake_replicate):
    (tmp_path / ".env").write_text("KEEP_ME=1\n")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "flowai.cli", "setup"],
        env=flowai_env(tmp_path, REPLICATE_BASE_URL=fake_replicate.url),
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=60,
    )
    try:
        child.expect(r"Enter keys for which providers\?")
        child.sendline("replicate")
        child.expect("REPLICATE_API_KEY for Replicate")
        child.sendline(TOKEN)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    out = child.before
    assert TOKEN not in out
    assert "ok   replicate    Replicate account fake-user" in out and "  image       replicate" in out
    values = dotenv_values(tmp_path / ".env")
    assert values == {"KEEP_ME": "1", "REPLICATE_API_KEY": TOKEN}
    assert mode(tmp_path / ".env") == 0o600 and child.exitstatus == 0
