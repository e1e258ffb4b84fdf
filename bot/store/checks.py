"""The ``checks`` log (one row per verdict shown: risk, score, pattern ids, scam types, face — never
text, never who) and the admins' statistics computed from it."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

import sqlite_utils

from bot.store import numbers, patterns
from bot.store.db import short_wait, today, write
from bot.store.schema import CHECKS

log = logging.getLogger(__name__)
#: How long the statistics write may wait for another writer (ms): a verdict must not wait on a count.
STATS_WAIT_MS = 200


def record(db: sqlite_utils.Database, row: dict[str, Any]) -> int | None:
    """Log one check (its own transaction); its id (the feedback buttons refer to it), or None when the
    database can't take it (read-only, full disk, another writer holding the lock): the statistics are
    never worth a verdict, so the write is skipped, with one warning per spell of failures."""
    try:
        with short_wait(db, STATS_WAIT_MS), write(db):
            rid = int(db[CHECKS].insert(row).last_pk)
    except sqlite3.OperationalError as e:
        why = str(e)
        if getattr(db, "stats_failing", None) is None:
            log.warning("statistics not saved (%s): verdicts go on without feedback buttons until the database "
                        "can be written again", why)
        db.stats_failing = why
        return None
    if getattr(db, "stats_failing", None) is not None:
        log.info("statistics are saved again")
        db.stats_failing = None
    return rid


def exists(db: sqlite_utils.Database, check_id: int) -> bool:
    return bool(list(db.query("select 1 from checks where id = ?", [int(check_id)])))


def pattern_ids(db: sqlite_utils.Database, check_id: int) -> list[Any]:
    """The ids of the scripts a check matched (empty when unknown or unreadable)."""
    rows = list(db.query("select pattern_ids from checks where id = ?", [int(check_id)]))
    try:
        return json.loads(rows[0]["pattern_ids"] or "[]") if rows else []
    except ValueError:
        return []


def stats(db: sqlite_utils.Database, since: str, top: int) -> dict[str, Any]:
    """Counts for the admins' statistics: totals, per day from ``since``, by risk, face and vote, the
    ``top`` most-matched scripts (with their 误报 votes), and the active scripts and numbers."""

    def one(sql: str, params: list[Any] | None = None) -> int:
        return int(list(db.query(sql, params or []))[0]["n"] or 0)

    per_day = {r["day"]: r["n"] for r in db.query(
        "select day, count(*) n from checks where day >= ? group by day order by day desc", [since])}
    return {
        "total": one("select count(*) n from checks"),
        "today": one("select count(*) n from checks where day = ?", [today()]),
        "per_day": per_day,
        "by_risk": {r["risk"]: r["n"] for r in db.query("select risk, count(*) n from checks group by risk")},
        "by_face": {r["face"]: r["n"] for r in db.query("select face, count(*) n from checks group by face")},
        "feedback": {r["vote"]: r["n"] for r in db.query("select vote, count(*) n from feedback group by vote")},
        "top_patterns": [dict(r) for r in db.query(
            """select p.value pid, count(*) n,
                      sum(exists(select 1 from feedback f where f.check_id = c.id and f.vote = 'fp')) fp,
                      (select scam_type from patterns where id = p.value) scam_type
               from checks c, json_each(c.pattern_ids) p
               group by p.value order by n desc, p.value limit ?""", [top])],
        "patterns": patterns.count_active(db),
        "numbers": numbers.count_active(db),
    }
