"""The ``reports`` table (users' reports, redacted, one row per distinct content) and
``report_reporters`` (who reported it: salted hashes, one row per reporter)."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from bot.store.schema import PENDING, REPORT_AUTHORS, REPORT_REPORTERS, REPORTS


def filed_since(db: sqlite_utils.Database, who: str, since: str) -> int:
    """How many reports a reporter filed since ``since`` (their daily cap)."""
    return int(list(db.query("select count(*) n from report_reporters where reporter_hash = ? and created_at >= ?",
                             [who, since]))[0]["n"])


def by_dedup_key(db: sqlite_utils.Database, dedup: str) -> dict[str, Any] | None:
    rows = list(db.query("select * from reports where dedup_key = ?", [dedup]))
    return rows[0] if rows else None


def pending_texts_after(db: sqlite_utils.Database, after_id: int) -> list[dict[str, Any]]:
    """Pending text reports with an id above ``after_id``, oldest first (what the near-duplicate index
    has not seen yet)."""
    return list(db.query("select id, text from reports where kind = 'text' and status = ? and id > ? order by id",
                         [PENDING, int(after_id)]))


def has_reporter(db: sqlite_utils.Database, rid: int, who: str) -> bool:
    return bool(list(db.query("select 1 from report_reporters where report_id = ? and reporter_hash = ?", [rid, who])))


def add_reporter(db: sqlite_utils.Database, rid: int, who: str, stamp: str) -> None:
    db[REPORT_REPORTERS].insert({"report_id": rid, "reporter_hash": who, "created_at": stamp})


def add_author(db: sqlite_utils.Database, rid: int, author: str, stamp: str) -> None:
    """Record whose message a report holds (a salted hash), when someone else reported it."""
    db.execute(f"insert or ignore into {REPORT_AUTHORS} (report_id, author_hash, created_at) values (?, ?, ?)",
               [int(rid), author, stamp])


def authored_by(db: sqlite_utils.Database, author: str) -> list[int]:
    """The reports holding messages this (hashed) author wrote, filed by others."""
    return [int(r["report_id"]) for r in db.query(f"select report_id from {REPORT_AUTHORS} where author_hash = ?",
                                                   [author])]


def insert(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    return int(db[REPORTS].insert(row).last_pk)


def update(db: sqlite_utils.Database, rid: int, values: dict[str, Any]) -> None:
    db[REPORTS].update(rid, values)


def get(db: sqlite_utils.Database, rid: int) -> dict[str, Any] | None:
    rows = list(db.query("select * from reports where id = ?", [rid]))
    return dict(rows[0]) if rows else None


def pending(db: sqlite_utils.Database, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """The review queue: most-reported first, then oldest."""
    return [dict(r) for r in db.query(
        "select * from reports where status = ? order by count desc, id limit ? offset ?",
        [PENDING, max(1, int(limit)), max(0, int(offset))])]


def pending_count(db: sqlite_utils.Database) -> int:
    return int(list(db.query("select count(*) n from reports where status = ?", [PENDING]))[0]["n"])


def of_reporter(db: sqlite_utils.Database, who: str, limit: int) -> list[dict[str, Any]]:
    """A reporter's reports, newest first, with when they reported each (``reported_at``)."""
    return [dict(r) for r in db.query(
        "select r.id, r.kind, r.text, r.number, r.scam_type, r.status, r.count, r.outcome, r.created_at, "
        "r.reviewed_at, rr.created_at reported_at from report_reporters rr join reports r on r.id = rr.report_id "
        "where rr.reporter_hash = ? order by rr.created_at desc, r.id desc limit ?", [who, max(1, int(limit))])]
