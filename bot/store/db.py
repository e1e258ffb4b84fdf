"""The connection: opening and migrating the file, write transactions, the ``meta`` table, timestamps,
the per-database salt for user hashes, and online backups.

Every other store module takes the :class:`sqlite_utils.Database` this returns (a :class:`Store`, see
:mod:`bot.store.connection`) and does its own reads and writes; callers wrap a change that spans
several of them in one :func:`write`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from bot.store.schema import META

T = TypeVar("T")
#: Rows per ``where x in (?, ?, …)`` statement: well under SQLite's limit on bound parameters.
CHUNK = 500


def now() -> str:
    """The current UTC time as stored (ISO 8601, seconds, ``Z``)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> str:
    """The current UTC date as stored (``YYYY-MM-DD``)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[tuple[list[T], str]]:
    """``items`` in slices of ``size``, each with its ``?,?,…`` placeholders."""
    for i in range(0, len(items), size):
        part = list(items[i:i + size])
        yield part, ",".join("?" * len(part))


#: The busy timeout of every connection (ms): admin changes and imports wait this long for the write lock.
BUSY_MS = 30_000


@contextlib.contextmanager
def short_wait(db: sqlite_utils.Database, ms: int) -> Iterator[None]:
    """Wait at most ``ms`` for a lock in this block (instead of :data:`BUSY_MS`): for writes that must
    not hold up a reply (the statistics, /forgetme) — they give up and say so rather than stall the
    engine thread every user shares."""
    db.execute(f"PRAGMA busy_timeout = {int(ms)}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")


@contextlib.contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction (BEGIN IMMEDIATE: take the write lock up front, wait on busy, never
    fail half-way on a lock upgrade). sqlite-utils calls inside nest as savepoints, so the whole block
    commits or rolls back as one."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    """A value of the ``meta`` table (None when unset)."""
    rows = list(db.query("select value from meta where key = ?", [key]))
    return rows[0]["value"] if rows else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db[META].upsert({"key": key, "value": value}, pk="key")


def salt(db: sqlite_utils.Database) -> str:
    """The database's salt for hashing user ids, created on first use."""
    return _meta_secret(db, "user_salt", 16)


def button_secret(db: sqlite_utils.Database) -> str:
    """The database's secret for signing inline-button data (meta key ``button_secret``), created on
    first use like the salt. Kept in the database so that buttons stay valid across restarts and every
    process serving the same file agrees; never shown (the Datasette metadata closes ``meta``)."""
    return _meta_secret(db, "button_secret", 32)


def _meta_secret(db: sqlite_utils.Database, key: str, nbytes: int) -> str:
    """A random hex secret kept in ``meta`` under ``key``, created on first use. Creating it is race-free
    (INSERT OR IGNORE, then read back whichever value won)."""
    value = get_meta(db, key)
    if value is None:
        with write(db):
            db.execute("insert or ignore into meta (key, value) values (?, ?)", [key, secrets.token_hex(nbytes)])
        value = get_meta(db, key) or ""
    return value


def user_hash(db: sqlite_utils.Database, user_id: int | str) -> str:
    """A salted SHA-256 of a user id, so reports and feedback can be counted per person without storing
    who they are. The salt is created once per database (meta key ``user_salt``)."""
    return hashlib.sha256(f"{salt(db)}:{user_id}".encode()).hexdigest()


def backup(source: sqlite_utils.Database | str | Path, dest: str | Path, pages: int = 1024) -> dict[str, int]:
    """An online backup of the database to ``dest`` (sqlite3's backup API: a consistent snapshot taken
    while the bot keeps reading and writing; ``pages`` per step, so writers are not blocked for long).
    The copy is checked (``PRAGMA integrity_check``) and returned as row counts per table.
    ``dest`` must not exist: a backup never overwrites a file."""
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = source.conn if isinstance(source, sqlite_utils.Database) else sqlite3.connect(str(source), timeout=30)
    tmp = dest.with_name(dest.name + ".part")
    out = sqlite3.connect(str(tmp))
    try:
        src.backup(out, pages=pages)
        out.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        ok = out.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise sqlite3.DatabaseError(f"backup failed its integrity check: {ok}")
        tables = [r[0] for r in out.execute("select name from sqlite_master where type = 'table' "
                                            "and name not like 'sqlite_%' order by name")]
        counts = {t: int(out.execute(f"select count(*) from [{t}]").fetchone()[0]) for t in tables}
    except BaseException:
        out.close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        out.close()
        if not isinstance(source, sqlite_utils.Database):
            src.close()
    tmp.replace(dest)
    return counts


def loads(s: str | None) -> Any:
    """A JSON column's value (None when empty or not JSON)."""
    if not s:
        return None
    try:
        return json.loads(s)
    except ValueError:
        return None
