"""The leak_counts table (migration m003, bot/store/leaks.py): counts only, per insurer, month and item."""

from __future__ import annotations

from bot.config import Settings, open_engine
from bot.store import leaks


def test_counts_only_per_insurer_month_item(tmp_path):
    e = open_engine(Settings(db_path=str(tmp_path / "pg.db")))
    try:
        cols = [r["name"] for r in e.store.query("pragma table_info(leak_counts)")]
        assert cols == ["insurer", "month", "item", "count"]
        leaks.add(e.store, "ping-an", "name", "2026-01")
        leaks.add(e.store, "ping-an", "name", "2026-01")
        leaks.add(e.store, "ping-an", "name", "2026-02")
        leaks.add(e.store, "cpic", "address")
        assert leaks.counts(e.store, "2026-01") == [{"insurer": "ping-an", "month": "2026-01", "item": "name", "count": 2}]
        assert len(leaks.counts(e.store)) == 3
        assert leaks.counts(e.store, leaks.this_month())[0]["insurer"] == "cpic"
    finally:
        e.close()
