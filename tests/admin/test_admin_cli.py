"""`python run.py admin …` (``main`` in the test process, see tests/cli_support.py), with BOT_DB_PATH in
tmp_path."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from cli_support import Ran, run_cli

pytestmark = pytest.mark.slow  # each command builds an engine (~1 s)
GOOD = "保单养老金并轨专员通知：并轨后每月多领八百元，到指定网点签署并轨协议前先缴纳工本费"


def run(db: Path, *args: str, stdin: str = "") -> Ran:
    return run_cli(["admin", *args], db, stdin=stdin)


def q(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli") / "pg.db"


def test_dry_run_prints_the_report_and_changes_nothing(db):
    r = run(db, "add-pattern", "--type", "fake_customer_service", "--text", GOOD, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "试运行" in r.stdout and "已知正常消息" in r.stdout and "结论：✅ 可以上线" in r.stdout
    assert "Traceback" not in r.stderr
    assert q(db, "select count(*) from patterns where text = ?", (GOOD,)) == [(0,)]
    assert q(db, "select count(*) from audit") == [(0,)]


def test_generic_pattern_refused_then_forced_then_reverted(db):
    r = run(db, "add-pattern", "--type", "agent_surrender", "--text", "退保理财保本保息")
    assert r.returncode == 1
    assert "太笼统" in r.stderr and "已知正常消息" in r.stderr and "新增误报" in r.stderr
    assert q(db, "select count(*) from patterns where text = ?", ("退保理财保本保息",)) == [(0,)]
    r = run(db, "add-pattern", "--type", "agent_surrender", "--text", "退保理财保本保息", "--dry-run", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["refused"] is True

    r = run(db, "add-pattern", "--type", "fake_customer_service", "--text", GOOD)
    assert r.returncode == 0, r.stderr
    assert "已添加话术" in r.stdout
    (pid, status), = q(db, "select id, status from patterns where text = ?", (GOOD,))
    assert status == "active"
    (aid,), = q(db, "select id from audit where target = ?", (f"pattern:{pid}",))

    h = run(db, "history", "--limit", "5")
    assert h.returncode == 0 and f"#{aid}" in h.stdout and "添加话术" in h.stdout

    r = run(db, "revert", str(aid))
    assert r.returncode == 0, r.stderr
    assert q(db, "select status from patterns where id = ?", (pid,)) == [("retired",)]
    r = run(db, "revert", f"pattern:{pid}")  # the latest change of the pattern (the revert): redone
    assert r.returncode == 0, r.stderr
    assert q(db, "select status from patterns where id = ?", (pid,)) == [("active",)]
    r = run(db, "revert", "999999")
    assert r.returncode == 1 and "没有编号" in r.stderr


def test_report_queue_from_the_command_line(db):
    from bot.admin import reports
    from bot.config import Settings, open_engine

    e = open_engine(Settings(db_path=str(db)))
    try:
        a = reports.submit_report(e, 42, number="17033334444", text="自称人保客服，说我的车险理赔要先交加急费")
        b = reports.submit_report(e, 43, text="有人在群里发广告说专业代理退保，全额退回保费，只收三成服务费，先交一千定金")
    finally:
        e.close()
    r = run(db, "pending")
    assert r.returncode == 0 and f"#{a.report_id}" in r.stdout and f"#{b.report_id}" in r.stdout
    assert "17033334444" in r.stdout
    r = run(db, "approve", str(a.report_id), "--type", "fake_claim_fee")
    assert r.returncode == 0, r.stderr
    assert q(db, "select status, outcome from reports where id = ?", (a.report_id,)) == \
        [("approved", "number:+8617033334444")]
    assert q(db, "select status from numbers where number = '+8617033334444'") == [("active",)]
    r = run(db, "reject", str(b.report_id), "--reason", "只是广告")
    assert r.returncode == 0
    assert q(db, "select status, reason from reports where id = ?", (b.report_id,)) == [("rejected", "只是广告")]
    r = run(db, "approve", str(a.report_id))
    assert r.returncode == 1 and "已经通过" in r.stderr
    actions = {row[0] for row in q(db, "select action from audit")}
    assert {"approve_report", "reject_report", "add_number"} <= actions


def test_import_with_a_bad_row_and_round_trip(db, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "other_scam", "text": "刷单返利先垫付三百元，做完任务返还本金加佣金"}\n'
                   '{"number": "1", "type": "other_scam"}\n', encoding="utf-8")
    before = q(db, "select (select count(*) from patterns), (select count(*) from numbers), (select count(*) from audit)")
    r = run(db, "import", str(bad))
    assert r.returncode == 1
    assert "第 2 行" in r.stderr and "导入已取消" in r.stderr
    assert q(db, "select (select count(*) from patterns), (select count(*) from numbers), (select count(*) from audit)") \
        == before
    r = run(db, "import", str(bad), "--allow-errors")
    assert r.returncode == 0 and "话术 1 条" in r.stdout

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run(db, "export", str(a)).returncode == 0
    fresh = tmp_path / "fresh.db"
    r = run(fresh, "import", str(a))
    assert r.returncode == 0, r.stderr
    assert run(fresh, "export", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_usage_errors_are_clear(db):
    r = run(db, "add-pattern", "--type", "nope", "--text", GOOD)
    assert r.returncode == 1 and "未知的诈骗类型" in r.stderr and "Traceback" not in r.stderr
    r = run(db, "import", "/nonexistent/file.jsonl")
    assert r.returncode == 1 and "不存在" in r.stderr
    r = run(db, "noisy")
    assert r.returncode == 0
