"""Faults (issue 6): every admin change is one transaction; SIGKILL in the middle of a bulk import leaves
the database consistent with all or none of it; the bot's engine and a CLI import write at the same
time without "database is locked"; ``admin backup`` makes an online copy that restores; the bot
survives dropped connections and rate limits without losing an admin change or a report."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import TG_ADMIN_ID, TgRunningBot, tables_digest, tg_fresh_db

from bot import admin
from bot.admin import reports
from bot.config import Settings, open_engine
from bot.pipeline.engine import Engine
from bot.store import audit as audit_rows

ROOT = Path(__file__).resolve().parents[2]
INSURERS = ["中国人寿", "平安人寿", "太平洋保险", "新华保险", "泰康人寿", "人保寿险", "太平人寿", "阳光保险"]
NEW_SCRIPT = "恭喜您的保单被抽中参加周年庆回馈，可免费领取一台按摩椅，只需先支付三百八十元运费到我们的收款码即可包邮到家"


def write_bulk(path: Path, numbers: int, scripts: int, prefix: str = "138") -> Path:
    """A bulk import file: distinct valid mobile numbers and distinct scripts (fast to generate)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(scripts):
            ins = INSURERS[i % len(INSURERS)]
            fh.write(json.dumps({"type": "surrender_for_investment", "text":
                                 f"{ins}客服第{i}号专员通知您，保单收益过低，建议退保后转购年化{8 + i % 7}%的内部理财，"
                                 f"编号{i * 7919 % 100000:05d}，保本保息名额有限"}, ensure_ascii=False) + "\n")
        for i in range(numbers):
            fh.write(json.dumps({"number": f"+86{prefix}{i:08d}", "type": "fake_customer_service", "note": "bulk"}) + "\n")
    return path


def cli(args: list[str], db: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "BOT_DB_PATH": str(db), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "run.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def integrity(db: Path) -> str:
    con = sqlite3.connect(db, timeout=30)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def count(db: Path, sql: str) -> int:
    con = sqlite3.connect(db, timeout=30)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


# --- one transaction per admin change ------------------------------------------------------------------------


def _changes(engine: Engine) -> dict:
    """Each admin change, ready to run (the objects they act on exist)."""
    pid = admin.add_pattern(engine, "other_scam", NEW_SCRIPT, actor="t", force=True).id
    admin.add_number(engine, "13811110000", "other_scam", actor="t")
    rep = reports.submit_report(engine, 1, number="13811112222", text="冒充客服让我退保")
    rep2 = reports.submit_report(engine, 2, number="13811113333", text="冒充客服让我退保转理财")
    return {
        "add_pattern": lambda: admin.add_pattern(engine, "other_scam", NEW_SCRIPT + "，再送一箱鸡蛋", actor="t", force=True),
        "add_number": lambda: admin.add_number(engine, "13811119999", "other_scam", actor="t"),
        "del_pattern": lambda: admin.del_pattern(engine, pid, actor="t"),
        "del_number": lambda: admin.del_number(engine, "13811110000", actor="t"),
        "approve": lambda: reports.approve(engine, rep.report_id, "t", as_type="fake_customer_service"),
        "reject": lambda: reports.reject(engine, rep2.report_id, "t"),
        "undo": lambda: admin.undo_last(engine, "t"),
    }


def test_every_admin_change_is_one_transaction(engine: Engine, monkeypatch: pytest.MonkeyPatch):
    """The audit row is written last inside each change's transaction: make it fail, and the change's
    data writes before it must be rolled back too — nothing half-done is left."""
    changes = _changes(engine)

    def boom(*a, **k):
        raise RuntimeError("disk full (simulated)")

    db_path = Path(engine.db.conn.execute("PRAGMA database_list").fetchone()[2])
    for name, change in changes.items():
        before = tables_digest(db_path)
        with monkeypatch.context() as m:
            m.setattr(audit_rows, "insert", boom)  # the one write of every change's audit row
            with pytest.raises(RuntimeError):
                change()
        assert tables_digest(db_path) == before, name
        assert not engine.db.conn.in_transaction
    # and without the fault each of them goes through
    for name, change in changes.items():
        change()
        assert not engine.db.conn.in_transaction, name


# --- SIGKILL during a bulk import ---------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_during_bulk_import_leaves_all_or_nothing(tmp_path: Path, tg_seeded_db: Path):
    db = tg_fresh_db(tg_seeded_db, tmp_path / "pg.db")
    big = write_bulk(tmp_path / "big.jsonl", numbers=200_000, scripts=5_000)
    patterns0 = count(db, "select count(*) from patterns")
    outcomes = []
    # 1) after ~1 s, as the issue asks; 2) when the import's transaction is spilling pages into the WAL
    for when in ("1s", "mid-transaction"):
        wal = Path(f"{db}-wal")
        wal0 = wal.stat().st_size if wal.exists() else 0
        proc = cli(["admin", "import", str(big), "--force"], db)  # --force: no 5,000 mass-checks before the write
        deadline = time.monotonic() + 60
        if when == "1s":
            time.sleep(1.0)
        else:
            while proc.poll() is None and time.monotonic() < deadline:
                if wal.exists() and wal.stat().st_size > wal0 + 2_000_000:
                    break
                time.sleep(0.005)
        grew = wal.exists() and wal.stat().st_size > wal0 + 2_000_000
        alive = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        if when != "1s":
            assert grew and alive, "the kill missed the import's write transaction"
        assert integrity(db) == "ok"
        nums = count(db, "select count(*) from numbers where source = 'import'")
        scripts = count(db, "select count(*) from patterns") - patterns0
        audits = count(db, "select count(*) from audit where action = 'import'")
        assert (nums, scripts, audits) in ((0, 0, 0), (200_000, 5_000, 1)), (when, nums, scripts, audits)
        outcomes.append((when, "all" if nums else "none"))
        if nums:
            break
    print("SIGKILL outcomes:", outcomes)
    # the database is usable afterwards: a normal change goes through
    e = open_engine(Settings(db_path=str(db)))
    try:
        admin.add_number(e, "13911110000", "other_scam", actor="t")
        assert e.lookup("13911110000").status == "reported"
    finally:
        e.close()


# --- two writers -----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_bot_engine_and_cli_import_write_at_once(tmp_path: Path, tg_seeded_db: Path):
    """The bot's engine (the same Engine and admin functions its engine thread runs) adds numbers and a
    script in a loop while ``python run.py admin import`` writes a large file in another process: both
    finish, nothing is lost, no "database is locked"."""
    db = tg_fresh_db(tg_seeded_db, tmp_path / "pg.db")
    bulk = write_bulk(tmp_path / "bulk.jsonl", numbers=60_000, scripts=1_000, prefix="136")
    engine = open_engine(Settings(db_path=str(db)))
    added: list[str] = []
    scripts_added: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def bot_loop() -> None:
        i = 0
        try:
            while not stop.is_set() or i < 5:
                number = f"+86135{i:08d}"
                admin.add_number(engine, number, "fake_customer_service", actor=str(TG_ADMIN_ID))
                added.append(number)
                if i % 10 == 3:  # a script now and then (each runs its mass-check first, like the bot's)
                    admin.add_pattern(engine, "other_scam", f"{NEW_SCRIPT}，第{i}位幸运客户", actor=str(TG_ADMIN_ID),
                                      force=True)
                    scripts_added.append(i)
                i += 1
                time.sleep(0.01)
        except BaseException as e:  # reported by the assertion below
            errors.append(e)

    t = threading.Thread(target=bot_loop)
    t.start()
    try:
        proc = cli(["admin", "import", str(bulk), "--force"], db)  # the write is under test, not the mass-check
        out, err = proc.communicate(timeout=120)
    finally:
        stop.set()
        t.join(60)
    try:
        assert proc.returncode == 0, err[-1500:]
        assert "locked" not in err.lower() and not errors, (err[-500:], errors)
        assert len(added) >= 5 and scripts_added
        assert count(db, "select count(*) from patterns where text like '%幸运客户'") == len(scripts_added)
        assert count(db, "select count(*) from numbers where source = 'import'") == 60_000
        con = sqlite3.connect(db)
        present = {r[0] for r in con.execute("select number from numbers where number like '+86135%'")}
        con.close()
        assert present == set(added)
        assert integrity(db) == "ok"
        # the bot picks up the other process's scripts without a restart (its job queue calls this)
        assert admin.reload_if_changed(engine)
        v = engine.analyze("中国人寿客服第12号专员通知您，保单收益过低，建议退保后转购年化13%的内部理财，保本保息名额有限")
        assert v.is_scam
    finally:
        engine.close()


# --- backup ------------------------------------------------------------------------------------------------------


def test_online_backup_restores(tmp_path: Path, tg_seeded_db: Path):
    db = tg_fresh_db(tg_seeded_db, tmp_path / "pg.db")
    engine = open_engine(Settings(db_path=str(db)))
    admin.add_number(engine, "13922223333", "fake_regulator", actor="t")
    reports.submit_report(engine, 5, number="13922224444", text="冒充银保监会让我交保证金")
    writes = threading.Event()

    def keep_writing() -> None:  # the bot keeps working while the backup runs
        i = 0
        while not writes.is_set():
            admin.add_number(engine, f"+86133{i:08d}", "other_scam", actor="t")
            i += 1

    t = threading.Thread(target=keep_writing)
    t.start()
    try:
        proc = cli(["admin", "backup", str(tmp_path / "backup.db")], db)
        out, err = proc.communicate(timeout=60)
    finally:
        writes.set()
        t.join(30)
    assert proc.returncode == 0, err
    assert "已备份" in out
    backup = tmp_path / "backup.db"
    assert integrity(backup) == "ok"
    assert not Path(f"{backup}-wal").exists()  # one self-contained file
    for table in ("patterns", "audit", "reports", "meta"):
        if table == "audit":
            continue  # the writer adds audit rows during the backup
        assert count(backup, f"select count(*) from {table}") == count(db, f"select count(*) from {table}"), table
    # restore: the copy is a working database
    restored = tmp_path / "restored.db"
    restored.write_bytes(backup.read_bytes())
    env = {**os.environ, "BOT_DB_PATH": str(restored)}
    look = subprocess.run([sys.executable, "run.py", "lookup", "13922223333", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert json.loads(look.stdout)["status"] == "reported"
    # a backup never overwrites a file
    again = cli(["admin", "backup", str(backup)], db)
    _, err = again.communicate(timeout=60)
    assert again.returncode == 1 and "已存在" in err
    engine.close()


# --- Telegram API faults ------------------------------------------------------------------------------------------


def test_dropped_connections_and_429_lose_no_admin_change_or_report(tg_module_bot: TgRunningBot):
    api, db = tg_module_bot.api, tg_module_bot.db_path
    # the admin's reply is lost once at the network level: the pattern is stored (before the reply),
    # and the reply is retried
    api.drop("sendMessage")
    api.message(TG_ADMIN_ID, f"/addpattern other_scam | {NEW_SCRIPT}")
    reply = api.wait_replies(TG_ADMIN_ID, 1, timeout=20)[0]
    assert reply.plain.startswith("✅"), reply.plain
    assert api.faults_left("sendMessage") == 0
    assert count(db, f"select count(*) from patterns where text = '{NEW_SCRIPT}'") == 1
    # a report whose thanks hits 429 (retry_after): stored first, thanked after the wait
    api.fail("sendMessage", 429, retry_after=1)
    api.message(7001, "/report 13655550000 冒充客服让我退保")
    assert "感谢举报" in api.wait_replies(7001, 1, timeout=20)[0].plain
    # a report whose thanks is lost twice (the one retry fails too): the report is still stored
    api.drop("sendMessage", times=2)
    api.message(7002, "/report 13655550001 冒充客服让我退保")
    api.wait_for(lambda: api.faults_left("sendMessage") == 0, what="both drops")
    deadline = time.monotonic() + 10
    while count(db, "select count(*) from reports where number = '+8613655550001'") == 0:
        assert time.monotonic() < deadline, "the report was lost"
        time.sleep(0.1)
    # polling survives dropped connections, and the bot keeps serving
    api.drop("getUpdates", times=2)
    api.wait_for(lambda: api.faults_left("getUpdates") == 0, timeout=20, what="dropped polls")
    api.message(7003, "/lookup 95519")
    assert api.wait_replies(7003, 1, timeout=20)[0].plain.startswith("✅")
    assert tg_module_bot.alive and api.errors == []
