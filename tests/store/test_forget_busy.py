"""/forgetme while another program holds the database (issue 15, item 2): it never waits long on a
reader or a writer, and the deleted text is gone from the file and the WAL when the reply says so —
or the reply says it will be, and it is once the other program lets go."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from conftest import tg_fresh_db

from bot.admin import reports
from bot.config import Settings, open_engine
from bot.store import privacy


def marker_in_files(db: Path, marker: str) -> list[str]:
    files = [db, Path(f"{db}-wal")]
    return [p.name for p in files if p.exists() and marker.encode() in p.read_bytes()]


@pytest.fixture
def setup(tmp_path: Path, tg_seeded_db: Path):
    db = tg_fresh_db(tg_seeded_db, tmp_path / "pg.db")
    engine = open_engine(Settings(db_path=str(db)))
    marker = f"PGMARK{uuid.uuid4().hex[:12]}"
    res = reports.submit_report(engine, 1, text=f"冒充监管部门说保单要升级，需要交保证金{marker}到指定账户，否则保单作废")
    assert res.ok and marker_in_files(db, marker)
    yield engine, db, marker
    engine.close()


def test_forget_with_no_other_reader_erases_at_once(setup):
    engine, db, marker = setup
    res = privacy.forget_user(engine.store, 1)
    assert res.reports_deleted == 1 and res.complete and "稍后" not in res.message()
    assert marker_in_files(db, marker) == []


def test_a_reader_holding_the_database_does_not_stall_forgetme(setup):
    engine, db, marker = setup
    reader = sqlite3.connect(db)
    reader.execute("begin")
    reader.execute("select count(*) from reports").fetchone()  # a read snapshot, as Datasette holds one
    try:
        t = time.monotonic()
        res = privacy.forget_user(engine.store, 1)
        assert time.monotonic() - t < 3.0
        assert res.reports_deleted == 1 and not res.complete
        assert "稍后" in res.message()  # honest: the file still holds traces for now
        assert privacy.erase_traces(engine.store) is False  # still held
    finally:
        reader.rollback()
        reader.close()
    assert privacy.erase_traces(engine.store) is True
    assert marker_in_files(db, marker) == []


def test_a_writer_holding_the_lock_defers_forgetme_instead_of_waiting(setup):
    engine, db, marker = setup
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("begin immediate")
    try:
        t = time.monotonic()
        res = privacy.forget_user(engine.store, 1)
        assert time.monotonic() - t < 3.0
        assert res.deferred and not res.complete and res.total == 0
        assert "稍后" in res.message() and "没有" not in res.message()
    finally:
        writer.execute("rollback")
        writer.close()
    res = privacy.forget_user(engine.store, 1)
    assert res.reports_deleted == 1 and res.complete
    assert marker_in_files(db, marker) == []


def test_the_running_bot_answers_forgetme_at_once_and_finishes_when_the_reader_goes(tg_bot, botapi, monkeypatch):
    from bot.faces.tg import handlers

    monkeypatch.setattr(handlers, "FORGET_RETRY_EVERY", 0.5)
    marker = f"PGMARK{uuid.uuid4().hex[:12]}"
    me = 6401
    botapi.message(me, f"/report 冒充监管部门说保单要升级，需要交保证金{marker}到指定账户，否则保单作废")
    assert "感谢举报" in botapi.wait_replies(me, 1, timeout=20)[0].plain
    reader = sqlite3.connect(tg_bot.db_path)
    reader.execute("begin")
    reader.execute("select count(*) from reports").fetchone()
    try:
        t = time.monotonic()
        botapi.message(me, "/forgetme")
        done = botapi.wait_replies(me, 2, timeout=20)[1].plain
        assert time.monotonic() - t < 5.0, "forgetme waited on the reader"
        assert done.startswith("🗑") and "举报 1 条" in done and "稍后" in done, done
        botapi.message(6402, "/lookup 95519")  # the bot is not stalled meanwhile
        botapi.wait_replies(6402, 1, timeout=5)
    finally:
        reader.rollback()
        reader.close()
    deadline = time.monotonic() + 15
    while marker_in_files(tg_bot.db_path, marker):
        assert time.monotonic() < deadline, "the WAL still holds the deleted text"
        time.sleep(0.2)
