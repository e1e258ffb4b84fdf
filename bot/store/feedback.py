"""The ``feedback`` table: 有帮助 / 误报 votes on a check, one per user (salted hash) per check."""

from __future__ import annotations

import sqlite_utils


def add_vote(db: sqlite_utils.Database, check_id: int, who: str, vote: str, at: str) -> bool:
    """Record a vote; False when this user had voted on this check already (the first vote stands)."""
    cur = db.execute("insert or ignore into feedback (check_id, user_hash, vote, at) values (?, ?, ?, ?)",
                     [int(check_id), who, vote, at])
    return cur.rowcount == 1


def fp_voters(db: sqlite_utils.Database, pattern_id: int) -> int:
    """How many different people (salted hashes) voted 误报 on checks that matched this script."""
    return int(list(db.query(
        "select count(distinct f.user_hash) n from feedback f join checks c on c.id = f.check_id, "
        "json_each(c.pattern_ids) p where f.vote = 'fp' and p.value = ?", [int(pattern_id)]))[0]["n"])


def first_fp_by(db: sqlite_utils.Database, pattern_id: int, who: str) -> bool:
    """Whether ``who`` has exactly one 误报 vote on checks matching this script (the one just cast): a
    new voter, not a repeat one (whose vote does not change the number of people)."""
    return int(list(db.query(
        "select count(*) n from feedback f join checks c on c.id = f.check_id, json_each(c.pattern_ids) p "
        "where f.vote = 'fp' and p.value = ? and f.user_hash = ?", [int(pattern_id), who]))[0]["n"]) == 1
