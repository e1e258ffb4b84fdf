"""A database that can't be written (issue 15, item 7): a read-only file or folder, or a full disk.
``check`` still answers; the bot still gives verdicts — the statistics write is skipped (no feedback
buttons, since there is no check to refer to) with one clear warning in the log, not one per message."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TgRunningBot, tg_fresh_db

from bot import conversation
from bot.config import Settings, open_engine

ROOT = Path(__file__).resolve().parents[2]
SCAM = ("【保单服务中心】尊敬的客户，您的保单收益过低，现可办理退保转入我司内部理财产品，年化10%保本保息，"
        "详询13912345678")


def _chattr(flag: str, *paths: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True).returncode == 0


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` and its files unwritable, for root too (the immutable attribute) where possible."""
    files = [p for p in folder.iterdir()]
    for p in files:
        p.chmod(0o444)
    folder.chmod(0o555)
    immutable = _chattr("+i", *files, folder)
    try:
        probe = folder / "probe"
        try:
            probe.write_text("x")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("can't make a folder read-only here")
        yield
    finally:
        if immutable:
            _chattr("-i", *files, folder)
        folder.chmod(stat.S_IRWXU)
        for p in files:
            p.chmod(0o644)


@pytest.fixture
def ro_db(tmp_path: Path, tg_seeded_db: Path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = tg_fresh_db(tg_seeded_db, folder / "pg.db")
    with read_only(folder):
        yield db


def test_check_works_on_a_read_only_database(ro_db: Path):
    env = {**os.environ, "BOT_DB_PATH": str(ro_db)}
    proc = subprocess.run([sys.executable, "run.py", "check", "--short", SCAM], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(("🔴", "🟠")), proc.stdout[:200]
    lookup = subprocess.run([sys.executable, "run.py", "lookup", "95519"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert lookup.returncode == 0 and lookup.stdout.startswith("✅"), lookup.stderr


def test_a_read_only_database_gives_verdicts_with_one_warning(ro_db: Path, caplog):
    caplog.set_level(logging.WARNING)
    engine = open_engine(Settings(db_path=str(ro_db)))
    try:
        for _ in range(3):
            reply = conversation.check_message(engine, SCAM, face="telegram")
            assert reply.kind == "verdict" and reply.verdict.risk in ("high", "medium")
            assert reply.check_id is None and reply.buttons == []  # nothing to vote on
        warnings = [r for r in caplog.records if "statistics not saved" in r.getMessage()]
        assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    finally:
        engine.close()


def _fill(con: sqlite3.Connection) -> None:
    """Make the database "full" for this connection: cap its size, then use up every free page."""
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.execute(f"PRAGMA max_page_count = {pages + 2}")
    with contextlib.suppress(sqlite3.OperationalError):
        for _ in range(10_000):
            con.execute("insert into checks (at, day, risk, score, pattern_ids, scam_types, face) "
                        "values ('x', 'x', 'low', 0, '[]', '[]', ?)", ["x" * 2000])
            con.commit()
    with pytest.raises(sqlite3.OperationalError, match="full"):
        con.execute("insert into checks (at, day, face) values ('x', 'x', ?)", ["x" * 2000])
    con.rollback()


def test_a_full_disk_gives_verdicts_through_the_running_bot(tg_bot: TgRunningBot, botapi, caplog):
    caplog.set_level(logging.WARNING, logger="bot")
    svc = tg_bot.app.bot_data["services"]
    svc.worker._executor.submit(lambda: _fill(tg_bot.engine.store.conn)).result(30)
    for i in range(2):
        botapi.message(4242, SCAM)
        reply = botapi.wait_replies(4242, i + 1, timeout=20)[i]
        assert reply.plain.startswith(("🔴", "🟠")), reply.plain[:80]
        assert reply.buttons == []
    warnings = [r for r in caplog.records if "statistics not saved" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
