"""The ``leak_counts`` table: how often users said a scam caller knew one kind of their data, per
insurer named and per month. Only counts: which user answered, which check it was and what the message
said are never written, so nothing here is about a person (and /forgetme has nothing to delete)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlite_utils

from bot.store.db import write
from bot.store.schema import LEAK_COUNTS


def this_month() -> str:
    """The current UTC month as stored (``YYYY-MM``)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m")


def add(db: sqlite_utils.Database, insurer: str, item: str, month: str | None = None) -> None:
    """Count one answer: ``item`` was known to a caller posing as (or naming) ``insurer``."""
    with write(db):
        db.execute(f"insert into [{LEAK_COUNTS}] (insurer, month, item, count) values (?, ?, ?, 1) "
                   "on conflict (insurer, month, item) do update set count = count + 1",
                   [insurer, month or this_month(), item])


def counts(db: sqlite_utils.Database, month: str | None = None) -> list[dict[str, Any]]:
    """Every (insurer, month, item, count), for one month or all, ordered by insurer and month."""
    where, params = ("where month = ?", [month]) if month else ("", [])
    return [dict(r) for r in db.query(
        f"select insurer, month, item, count from [{LEAK_COUNTS}] {where} order by insurer, month, item", params)]
