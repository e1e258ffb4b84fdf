"""Settings (issue 15, item 14): BOT_ADMIN_IDS in every way people write a list, a clear start-up error
naming a bad entry, a malformed token refused at once, the webhook listening on 127.0.0.1 by default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, token_problem

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("raw, ids", [
    ("1001,1002", {1001, 1002}), ("1001 1002", {1001, 1002}), ("+1001", {1001}), ("1001, +1002 ;1003", {1001, 1002, 1003}),
    ("  ", set()), ("", set()), ("1001,,1002,", {1001, 1002}), ("1001\t1002\n", {1001, 1002}),
])
def test_admin_ids_accept_commas_spaces_and_plus(raw, ids):
    assert Settings.from_env({"BOT_ADMIN_IDS": raw}).admin_ids == frozenset(ids)


@pytest.mark.parametrize("raw, bad", [("1001,--5", "--5"), ("1001,x", "x"), ("1001 -5", "-5"), ("12a", "12a"),
                                      ("+", "+"), ("1" * 25, "1" * 25)])
def test_a_bad_admin_id_is_a_clear_error_naming_it(raw, bad):
    with pytest.raises(SettingsError) as e:
        Settings.from_env({"BOT_ADMIN_IDS": raw})
    assert "BOT_ADMIN_IDS" in str(e.value) and f"「{bad}」" in str(e.value)


def test_the_webhook_listens_on_loopback_unless_told_otherwise():
    assert Settings.from_env({}).webhook_listen == "127.0.0.1"
    assert Settings.from_env({"BOT_WEBHOOK_LISTEN": "0.0.0.0"}).webhook_listen == "0.0.0.0"


@pytest.mark.parametrize("token", ["123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "1:abc", "123:A-b_c"])
def test_well_formed_tokens_pass(token):
    assert token_problem(token) is None


@pytest.mark.parametrize("token", ["abc", "123456", ":abc", "123:", "12 3:abc", "123:ab c", "123:abc\n", "x1:abc",
                                   "123:ab/c", "123:" + "a" * 300])
def test_malformed_tokens_are_named(token):
    assert token_problem(token)


def _run(env_extra: dict[str, str], tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update({"BOT_DB_PATH": str(tmp_path / "pg.db"), "NO_PROXY": "127.0.0.1,localhost", **env_extra})
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_run_py_refuses_a_malformed_token_at_once(tmp_path):
    proc = _run({"TELEGRAM_BOT_TOKEN": "not a token"}, tmp_path)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0], proc.stderr
    assert "not a token" not in proc.stderr  # never echo a token, even a wrong one
    assert not (tmp_path / "pg.db").exists()  # refused before anything was opened


def test_a_bad_admin_id_stops_every_command_with_one_line(tmp_path):
    proc = _run({"BOT_ADMIN_IDS": "1001,--5"}, tmp_path, "lookup", "95519")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "ValueError" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "BOT_ADMIN_IDS" in lines[0] and "「--5」" in lines[0], proc.stderr


def test_telegram_unreachable_is_one_line_without_a_traceback(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = _run({"TELEGRAM_BOT_TOKEN": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789",
                 "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot"}, tmp_path)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert len(lines) == 1 and "Bot API" in lines[0], proc.stderr[-3000:]
