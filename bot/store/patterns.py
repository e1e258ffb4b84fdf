"""The ``patterns`` table: scam scripts, their lifecycle status, and their hit and 误报 counters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlite_utils

from bot.store.schema import ACTIVE, IN_USE, PATTERNS, PATTERNS_VERSION, RETIRED


def active(db: sqlite_utils.Database) -> Iterable[dict[str, Any]]:
    """What the engine's script index is built from."""
    return db.query("select id, scam_type, text, norm, terms from patterns where status = ?", [ACTIVE])


def version(db: sqlite_utils.Database) -> str | None:
    """Which state of the scripts this database holds: the change token the triggers renew on every change
    of an indexed column (``schema.m003_patterns_change_counter``), and the number of active scripts. None
    when there is no token (then the engine caches nothing)."""
    rows = list(db.query("select value from meta where key = ?", [PATTERNS_VERSION]))
    if not rows:
        return None
    n = db.execute("select count(*) from patterns where status = ?", [ACTIVE]).fetchone()[0]
    return f"{rows[0]['value']}:{n}"


def get(db: sqlite_utils.Database, pid: int | str) -> dict[str, Any] | None:
    rows = list(db.query("select * from patterns where id = ?", [pid]))
    return rows[0] if rows else None


def status(db: sqlite_utils.Database, pid: int | str) -> str | None:
    rows = list(db.query("select status from patterns where id = ?", [pid]))
    return rows[0]["status"] if rows else None


def active_with_norm(db: sqlite_utils.Database, norm: str) -> int | None:
    """The id of an active script with this normalized text (a duplicate), if any."""
    rows = list(db.query("select id from patterns where norm = ? and status = ?", [norm, ACTIVE]))
    return rows[0]["id"] if rows else None


def norms(db: sqlite_utils.Database) -> set[str]:
    """The normalized text of every script (any status): what an import skips as already present."""
    return {r["norm"] for r in db.query("select norm from patterns where norm is not null")}


def insert(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return int(db[PATTERNS].insert(row).last_pk)


def insert_many(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    if rows:
        db[PATTERNS].insert_all(rows, batch_size=500)


def update(db: sqlite_utils.Database, pid: int, values: dict[str, Any]) -> None:
    db[PATTERNS].update(pid, values)


def add_hits(db: sqlite_utils.Database, pids: list[int]) -> None:
    db.conn.executemany("update patterns set hits = coalesce(hits, 0) + 1 where id = ?", [(p,) for p in pids])


def add_false_positives(db: sqlite_utils.Database, pids: list[int]) -> None:
    db.conn.executemany("update patterns set false_positives = coalesce(false_positives, 0) + 1 where id = ?",
                        [(p,) for p in pids])


def at_false_positives(db: sqlite_utils.Database, pids: list[int], count: int) -> list[dict[str, Any]]:
    """Those of ``pids`` that are active and have exactly ``count`` 误报 (they have just reached it)."""
    if not pids:
        return []
    marks = ",".join("?" * len(pids))
    return [dict(r) for r in db.query(
        f"select id, scam_type, text, hits, false_positives from patterns where id in ({marks}) "
        "and status = ? and false_positives = ?", [*pids, ACTIVE, count])]


def noisy(db: sqlite_utils.Database, threshold: int) -> list[dict[str, Any]]:
    """Active scripts with at least ``threshold`` 误报, noisiest first."""
    return [dict(r) for r in db.query(
        "select id, scam_type, text, hits, false_positives, created_by, created_at from patterns "
        "where status = ? and false_positives >= ? order by false_positives desc, id", [ACTIVE, int(threshold)])]


def retire_batch(db: sqlite_utils.Database, batch: int, stamp: str) -> list[int]:
    """Retire the scripts an import created; their ids."""
    pids = [r["id"] for r in db.query("select id from patterns where batch = ? and status != ?", [batch, RETIRED])]
    db.execute("update patterns set status = ?, updated_at = ? where batch = ? and status != ?",
               [RETIRED, stamp, batch, RETIRED])
    return pids


def in_use(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    """Active and pending scripts in a stable order that does not depend on row ids (type, text)."""
    marks = ",".join("?" * len(IN_USE))
    return db.query(f"select scam_type, text, note, status from patterns where status in ({marks}) "
                    "order by scam_type, text, id", list(IN_USE))


def count_active(db: sqlite_utils.Database) -> int:
    return int(list(db.query("select count(*) n from patterns where status = ?", [ACTIVE]))[0]["n"] or 0)

