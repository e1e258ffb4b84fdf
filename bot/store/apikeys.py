"""The ``api_keys`` table (the HTTP API's keys: a SHA-256 of each, never the key) and ``api_usage``
(requests per key, per day, per endpoint: counts only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlite_utils

from bot.store.db import write
from bot.store.schema import API_KEYS


def create(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    """Insert a new key row (name, prefix, key_hash, scopes, created_by, created_at); its id."""
    with write(db):
        return int(db[API_KEYS].insert(row).last_pk)


def by_name(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("select * from api_keys where name = ?", [name]))
    return dict(rows[0]) if rows else None


def by_hash(db: sqlite_utils.Database, key_hash: str) -> dict[str, Any] | None:
    """The key row whose hash this is (revoked or not), by its unique index: one read per lookup."""
    rows = list(db.query("select id, name, scopes, revoked_at from api_keys where key_hash = ?", [key_hash]))
    return dict(rows[0]) if rows else None


def listing(db: sqlite_utils.Database, today: str, since: str) -> list[dict[str, Any]]:
    """Every key (never its hash), oldest first, with its requests today and since ``since``."""
    return [dict(r) for r in db.query(
        "select k.id, k.name, k.prefix, k.scopes, k.created_by, k.created_at, k.revoked_at, "
        "coalesce((select sum(requests) from api_usage u where u.key_name = k.name and u.day = ?), 0) today, "
        "coalesce((select sum(requests) from api_usage u where u.key_name = k.name and u.day >= ?), 0) recent "
        "from api_keys k order by k.id", [today, since])]


def revoke(db: sqlite_utils.Database, name: str, stamp: str) -> bool:
    """Mark a key revoked; False when there is no such key or it was revoked already."""
    with write(db):
        cur = db.execute("update api_keys set revoked_at = ? where name = ? and revoked_at is null", [stamp, name])
        return cur.rowcount > 0


def add_usage(db: sqlite_utils.Database, counts: Iterable[tuple[str, str, str, int]]) -> None:
    """Add request counts ``(key_name, day, endpoint, n)`` in one transaction (workers flush theirs
    every few seconds, so concurrent workers add up instead of overwriting each other)."""
    rows = [(k, d, e, int(n)) for k, d, e, n in counts if n]
    if not rows:
        return
    with write(db):
        db.conn.executemany(
            "insert into api_usage (key_name, day, endpoint, requests) values (?, ?, ?, ?) "
            "on conflict (key_name, day, endpoint) do update set requests = requests + excluded.requests", rows)


def usage(db: sqlite_utils.Database, name: str, since: str) -> list[dict[str, Any]]:
    """A key's counts per day and endpoint since ``since``, newest day first."""
    return [dict(r) for r in db.query(
        "select day, endpoint, requests from api_usage where key_name = ? and day >= ? order by day desc, endpoint",
        [name, since])]
