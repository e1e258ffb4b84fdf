"""The ``feedback`` table: 有帮助 / 误报 votes on a check, one per user (salted hash) per check."""

from __future__ import annotations

import sqlite_utils


def add_vote(db: sqlite_utils.Database, check_id: int, who: str, vote: str, at: str) -> bool:
    """Record a vote; False when this user had voted on this check already (the first vote stands)."""
    cur = db.execute("insert or ignore into feedback (check_id, user_hash, vote, at) values (?, ?, ?, ?)",
                     [int(check_id), who, vote, at])
    return cur.rowcount == 1
