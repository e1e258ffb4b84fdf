"""``python run.py admin leaks [--month YYYY-MM] [--csv FILE] [--min-count N]``: the leak answers per
insurer and month, cells below the minimum hidden (also in the CSV), bad options refused clearly."""

from __future__ import annotations

import csv

import pytest
from cli_support import run_cli
from conftest import tg_fresh_db

from bot.config import Settings, open_engine
from bot.store import leaks


@pytest.fixture(scope="module")
def db(tmp_path_factory, tg_seeded_db):
    path = tg_fresh_db(tg_seeded_db, tmp_path_factory.mktemp("leaks-cli") / "pg.db")
    e = open_engine(Settings(db_path=str(path)))
    try:
        for _ in range(8):
            leaks.add(e.store, "china-life", "payment", "2026-10")
        for _ in range(2):
            leaks.add(e.store, "china-life", "name", "2026-10")
        for _ in range(5):
            leaks.add(e.store, "ping-an", "policy_no", "2026-11")
    finally:
        e.close()
    return path


def test_table_per_insurer_with_small_cells_hidden(db):
    ran = run_cli(["admin", "leaks"], db)
    assert ran.returncode == 0, ran.stderr
    out = ran.stdout
    assert "中国人寿" in out and "中国平安" in out
    assert "2026-10：姓名 <5" in out and "缴费金额或日期 8" in out and "保单号 5" in out
    assert "10" not in out.replace("2026-10", "")  # no totals (8 + 2 would let the hidden 2 be worked out)


def test_one_month_and_csv(db, tmp_path):
    path = tmp_path / "leaks.csv"
    ran = run_cli(["admin", "leaks", "--month", "2026-11", "--csv", path], db)
    assert ran.returncode == 0 and "中国人寿" not in ran.stdout and "中国平安" in ran.stdout
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [(r["insurer_id"], r["month"], r["policy_no"], r["name"]) for r in rows] == [("ping-an", "2026-11", "5", "<5")]


def test_min_count_and_bad_options(db, tmp_path):
    assert "姓名 2" in run_cli(["admin", "leaks", "--min-count", "2"], db).stdout
    bad = run_cli(["admin", "leaks", "--month", "2026/10"], db)
    assert bad.returncode == 1 and "YYYY-MM" in bad.stderr and not bad.stdout
    assert run_cli(["admin", "leaks", "--min-count", "0"], db).returncode == 1
    unwritable = run_cli(["admin", "leaks", "--csv", tmp_path / "no" / "such" / "dir.csv"], db)
    assert unwritable.returncode == 1 and "无法写入" in unwritable.stderr
    assert "没有用户回答过" in run_cli(["admin", "leaks", "--month", "2001-01"], db).stdout
