"""``python run.py serve`` as a real process: two uvicorn workers on a free loopback port answer a check,
both serve, and SIGTERM stops all of them cleanly. And the ``serve`` and ``admin api-key`` commands'
options and messages."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from api_support import make_key
from cli_support import run_cli
from conftest import tg_fresh_db

ROOT = Path(__file__).resolve().parents[3]
SCAM = "【某某人寿】尊敬的客户，您的保单收益过低，可提前退保转购我司内部理财产品，年化10%保本保息，详询13912345678"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, timeout=5) as c:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the server exited early"
            try:
                if c.get(base + "/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
    raise AssertionError("the server did not become ready")


@pytest.mark.slow
def test_serve_with_two_workers_checks_and_stops_on_sigterm(tg_seeded_db: Path, tmp_path: Path) -> None:
    db = tg_fresh_db(tg_seeded_db, tmp_path / "serve.db")
    key = make_key(db, "subprocess", "check")
    port = free_port()
    env = dict(os.environ, BOT_DB_PATH=str(db), NO_PROXY="127.0.0.1,localhost", PYTHONIOENCODING="utf-8")
    log = (tmp_path / "serve.log").open("w+b")
    proc = subprocess.Popen([sys.executable, "run.py", "serve", "--port", str(port), "--workers", "2"], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        with httpx.Client(trust_env=False, timeout=30, headers={"X-API-Key": key}) as c:
            r = c.post(base + "/v1/check", json={"text": SCAM})
            assert r.status_code == 200 and r.json()["risk"] == "high"
            # both workers answer: each logs its own lines under its own process id
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(_worker_pids(tmp_path / "serve.log")) < 2:
                with httpx.Client(trust_env=False, timeout=30, headers={"X-API-Key": key}) as fresh:
                    assert fresh.post(base + "/v1/check", json={"text": "退保理财"}).status_code == 200
        assert len(_worker_pids(tmp_path / "serve.log")) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        log.close()
    text = (tmp_path / "serve.log").read_text("utf-8", "replace")
    assert code == 0, text
    assert text.count("Application shutdown complete") == 2 and "Traceback" not in text
    assert "保单收益" not in text  # no message text in the log
    with pytest.raises(httpx.TransportError):
        httpx.get(base + "/healthz", timeout=2, trust_env=False)


def _worker_pids(log: Path) -> set[str]:
    import re

    return set(re.findall(r"policyguard\.api\[(\d+)\]: POST /v1/check 200", log.read_text("utf-8", "replace")))


def test_serve_refuses_bad_options(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert run_cli(["serve", "--port", "0"], db).returncode == 2
    assert run_cli(["serve", "--port", "70000"], db).returncode == 2
    ran = run_cli(["serve", "--workers", "0"], db)
    assert ran.returncode == 2 and "--workers" in ran.stderr
    assert run_cli(["serve", "--port", "abc"], db).returncode == 2
    assert not db.exists()  # nothing was opened


def test_api_key_create_list_revoke(tmp_path: Path) -> None:
    db = tmp_path / "keys.db"
    made = run_cli(["admin", "api-key", "create", "insurer-app", "--scopes", "check,lookup"], db)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("pg_") and len(key) > 40 and "\n" not in key  # the key alone on stdout
    assert "只显示这一次" in made.stderr
    stored = b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())
    assert key.encode() not in stored  # only its hash is stored
    listed = run_cli(["admin", "api-key", "list"], db).stdout
    assert "insurer-app" in listed and key[:10] + "…" in listed and key not in listed and "check,lookup" in listed
    assert run_cli(["admin", "api-key", "create", "insurer-app", "--scopes", "check"], db).returncode == 1
    for bad in (["bad name", "--scopes", "check"], ["x", "--scopes", "check,delete"], ["x", "--scopes", ""]):
        ran = run_cli(["admin", "api-key", "create", *bad], db)
        assert ran.returncode == 1 and ran.stderr.startswith("错误："), bad
    assert run_cli(["admin", "api-key", "revoke", "insurer-app"], db).returncode == 0
    again = run_cli(["admin", "api-key", "revoke", "insurer-app"], db)
    assert again.returncode == 1 and "已于" in again.stderr
    assert run_cli(["admin", "api-key", "revoke", "nobody"], db).returncode == 1
    assert run_cli(["admin", "api-key", "create", "no-scopes"], db).returncode == 2  # usage
    assert run_cli(["admin", "api-key", "revoke"], db).returncode == 2
    assert run_cli(["admin", "api-key", "rename", "x"], db).returncode == 2
    assert "已撤销" in run_cli(["admin", "api-key", "list"], db).stdout
    history = run_cli(["admin", "history", "--target", "apikey:insurer-app"], db).stdout
    assert "api-key-create" in history and "api-key-revoke" in history
