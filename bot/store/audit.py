"""The ``audit`` table (one row per admin change: who, when, what, the target's values before and after)
and ``audit_items`` (the before-values of rows a bulk import changed); and reading or setting the state
of an audit target (``pattern:12``, ``number:+86…``, ``report:3``), which is what an undo does."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from bot.store.schema import AUDIT, TARGETS


def insert(db: sqlite_utils.Database, at: str, actor: str, action: str, target: str, before: Any = None,
           after: Any = None) -> int:
    """Write one audit row (``before``/``after`` as JSON) and return its id."""
    return int(db[AUDIT].insert({
        "at": at, "actor": str(actor), "action": action, "target": str(target),
        "before": json.dumps(before, ensure_ascii=False) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False) if after is not None else None,
    }).last_pk)


def get(db: sqlite_utils.Database, aid: int) -> dict[str, Any] | None:
    rows = list(db.query("select * from audit where id = ?", [aid]))
    return dict(rows[0]) if rows else None


def set_after(db: sqlite_utils.Database, aid: int, after: Any) -> None:
    db[AUDIT].update(aid, {"after": json.dumps(after, ensure_ascii=False)})


def set_reverted_by(db: sqlite_utils.Database, aid: int, by: int | None) -> None:
    db[AUDIT].update(aid, {"reverted_by": by})


def latest_in_effect(db: sqlite_utils.Database, target: str) -> dict[str, Any] | None:
    """The newest change of ``target`` that has not been reverted."""
    rows = list(db.query("select * from audit where target = ? and reverted_by is null order by id desc limit 1",
                         [target]))
    return dict(rows[0]) if rows else None


def latest_of_actor(db: sqlite_utils.Database, actor: str) -> int | None:
    """The id of ``actor``'s newest change still in effect (reverts themselves excluded)."""
    rows = list(db.query(
        "select id from audit where actor = ? and reverted_by is null and action != 'revert' order by id desc limit 1",
        [str(actor)]))
    return rows[0]["id"] if rows else None


def newest(db: sqlite_utils.Database, limit: int, target: str | None = None,
           actor: str | None = None) -> list[dict[str, Any]]:
    """Audit rows newest first, optionally of one target and/or one actor (JSON columns left as text)."""
    where, params = [], []
    if target:
        where.append("target = ?")
        params.append(target)
    if actor:
        where.append("actor = ?")
        params.append(str(actor))
    sql = "select * from audit" + (" where " + " and ".join(where) if where else "") + " order by id desc limit ?"
    return [dict(r) for r in db.query(sql, [*params, max(1, int(limit))])]


def add_items(db: sqlite_utils.Database, items: list[tuple[int, str, str]]) -> None:
    """(audit id, target, before JSON) of rows a bulk import changed."""
    db.conn.executemany("insert into audit_items (audit_id, target, before) values (?, ?, ?)", items)


def items(db: sqlite_utils.Database, aid: int) -> list[dict[str, Any]]:
    return [dict(r) for r in db.query("select target, before from audit_items where audit_id = ?", [aid])]


def _key(kind: str, key: str) -> int | str:
    return int(key) if TARGETS[kind][1] == "id" else key


def target_row(db: sqlite_utils.Database, kind: str, key: str) -> dict[str, Any] | None:
    """The current row of an audit target (``kind`` one of :data:`bot.store.schema.TARGETS`)."""
    table, pk, _ = TARGETS[kind]
    rows = list(db.query(f"select * from {table} where {pk} = ?", [_key(kind, key)]))
    return rows[0] if rows else None


def update_target(db: sqlite_utils.Database, kind: str, key: str, values: dict[str, Any]) -> None:
    db[TARGETS[kind][0]].update(_key(kind, key), values)
