"""``python run.py`` itself, as a subprocess, against the Bot API emulator: it serves, stops gracefully
on SIGINT/SIGTERM with exit status 0, and never prints the token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tg_fresh_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE: Path | None = None


@pytest.fixture(autouse=True)
def _seeded(tg_seeded_db: Path) -> None:
    global TEMPLATE
    TEMPLATE = tg_seeded_db
SCAM = ("【保单服务中心】尊敬的客户，您的保单收益过低，现可办理退保转入我司内部理财产品，年化10%保本保息，"
        "详询13912345678")


def _env(botapi, tmp_path: Path, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    if TEMPLATE is not None and not (tmp_path / "pg.db").exists():
        tg_fresh_db(TEMPLATE, tmp_path / "pg.db")
    env.update({"TELEGRAM_BOT_TOKEN": token or botapi.token, "TELEGRAM_BASE_URL": botapi.base_url,
                "BOT_DB_PATH": str(tmp_path / "pg.db"), "BOT_ADMIN_IDS": "777",
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"})
    return env


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_py_serves_then_stops_gracefully(botapi, tmp_path, sig):
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=_env(botapi, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        botapi.wait_for(lambda: botapi.get_updates_calls > 0 or proc.poll() is not None, 60, "run.py to poll")
        assert proc.poll() is None, proc.communicate()
        botapi.message(42, SCAM)
        [reply] = botapi.wait_replies(42, 1, timeout=30)
        assert reply.plain.startswith(("🔴", "🟠"))
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    assert botapi.token not in out + err
    assert botapi.token.split(":")[1] not in out + err
    assert "13912345678" not in out + err and "保单服务中心" not in out + err  # no message text in the logs
    assert "ready" in err  # the start-up line
    assert botapi.pending_updates() == 0  # the last update was confirmed on the way out


def test_run_py_with_a_refused_token_says_so_in_one_line(botapi, tmp_path):
    token = "999:refused-token-0123456789"
    proc = subprocess.run([sys.executable, "run.py"], cwd=ROOT, env=_env(botapi, tmp_path, token),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0], proc.stderr
    assert token.split(":")[1] not in proc.stdout + proc.stderr


def test_run_py_without_a_token_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    proc = subprocess.run([sys.executable, "run.py"], cwd=ROOT, env={**env, "BOT_DB_PATH": str(tmp_path / "x.db")},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in proc.stderr and "chat" in proc.stderr
