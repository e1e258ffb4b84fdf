"""The ``numbers`` table: the registry of reported scam numbers, keyed by the normalized number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlite_utils

from bot.store.db import chunks
from bot.store.schema import ACTIVE, IN_USE, NUMBERS, RETIRED

#: The columns of a bulk-imported row, in the order :func:`insert_imported` takes them.
IMPORT_COLUMNS = ("number", "scam_type", "note", "reports", "first_reported", "last_reported", "status", "source",
                  "created_by", "created_at", "updated_at", "batch")
#: The columns :func:`update_imported` sets, in order, followed by the number.
MERGE_COLUMNS = ("scam_type", "note", "reports", "first_reported", "last_reported", "updated_at")


def reported(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    """The active registry row of a number key: an index read on the primary key (every lookup)."""
    rows = list(db.query("select * from numbers where number = ? and status = ?", [key, ACTIVE]))
    return rows[0] if rows else None


def get(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    """The row of a number key, whatever its status."""
    rows = list(db.query("select * from numbers where number = ?", [key]))
    return rows[0] if rows else None


def get_many(db: sqlite_utils.Database, keys: list[str]) -> dict[str, dict[str, Any]]:
    """key → row for those of ``keys`` that are stored."""
    found: dict[str, dict[str, Any]] = {}
    for part, marks in chunks(keys):
        found.update((r["number"], r) for r in db.query(f"select * from numbers where number in ({marks})", part))
    return found


def insert(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    db[NUMBERS].insert(row)


def update(db: sqlite_utils.Database, key: str, values: dict[str, Any]) -> None:
    db[NUMBERS].update(key, values)


def insert_imported(db: sqlite_utils.Database, rows: list[tuple[Any, ...]]) -> None:
    """New rows of a bulk import, as tuples in :data:`IMPORT_COLUMNS` order (executemany: a million
    rows in seconds)."""
    db.conn.executemany(f"insert into numbers ({', '.join(IMPORT_COLUMNS)}) values "
                        f"({', '.join('?' * len(IMPORT_COLUMNS))})", rows)


def update_imported(db: sqlite_utils.Database, rows: list[tuple[Any, ...]]) -> None:
    """Merged rows of a bulk import, as tuples in :data:`MERGE_COLUMNS` order followed by the key."""
    db.conn.executemany(f"update numbers set {', '.join(c + ' = ?' for c in MERGE_COLUMNS)} where number = ?", rows)


def add_hits(db: sqlite_utils.Database, keys: list[str]) -> None:
    db.conn.executemany("update numbers set hits = coalesce(hits, 0) + 1 where number = ?", [(k,) for k in keys])


def add_false_positives(db: sqlite_utils.Database, keys: list[str]) -> None:
    db.conn.executemany("update numbers set false_positives = coalesce(false_positives, 0) + 1 where number = ?",
                        [(k,) for k in keys])


def retire_batch(db: sqlite_utils.Database, batch: int, stamp: str) -> int:
    """Retire the numbers an import created; how many."""
    return db.execute("update numbers set status = ?, updated_at = ? where batch = ? and status != ?",
                      [RETIRED, stamp, batch, RETIRED]).rowcount


def in_use(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    """Active and pending numbers, by key (streamed: there may be a million)."""
    marks = ",".join("?" * len(IN_USE))
    return db.query("select number, scam_type, note, reports, first_reported, last_reported, status "
                    f"from numbers where status in ({marks}) order by number", list(IN_USE))


def count_active(db: sqlite_utils.Database) -> int:
    return int(list(db.query("select count(*) n from numbers where status = ?", [ACTIVE]))[0]["n"] or 0)
