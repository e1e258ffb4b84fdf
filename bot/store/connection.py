"""Opening the store: :func:`connect` returns a :class:`Store`, the database handle that the engine is
handed (it reads the active scripts and the reported numbers through it) and that every store module
takes; and :class:`ChangeTracker`, which tells a process that another one changed scripts or numbers."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from bot.store import numbers, patterns
from bot.store.db import BUSY_MS, get_meta, set_meta
from bot.store.schema import migrations

log = logging.getLogger(__name__)

#: The meta key that changes with every admin change of scripts or numbers.
ADMIN_VERSION = "admin_version"
_UNSEEN = object()


class ChangeTracker:
    """Whether this process's script index is behind the database.

    Every admin change sets a new ``admin_version`` (meta) and remembers it as seen (the change is in
    our own index already); :meth:`poll`, called every minute by the bot, says whether another process
    (the CLI editing the same file) changed things since we last looked."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db
        self._seen: Any = _UNSEEN
        self._pending = False

    def version(self) -> str | None:
        """The current admin version of the database (None before the first admin change)."""
        return get_meta(self._db, ADMIN_VERSION)

    def mark(self, version: str) -> None:
        """Record our own change (call inside its transaction). If another process had changed things
        since we last looked, the next :meth:`poll` still asks for a reload: our new version must not
        hide theirs."""
        seen = None if self._seen is _UNSEEN else self._seen
        if seen is not None and self.version() != seen:
            self._pending = True
        set_meta(self._db, ADMIN_VERSION, version)
        self._seen = version

    def poll(self) -> bool:
        """True when the index should be rebuilt: another process changed scripts or numbers since the
        last poll. The first poll says so once if any admin change was ever made (it cannot know
        whether the index saw it)."""
        version = self.version()
        seen, self._seen = self._seen, version
        pending, self._pending = self._pending, False
        return pending or not (seen == version or (seen is _UNSEEN and version is None))


class Store(sqlite_utils.Database):
    """The database, migrated, with what the engine reads from it (the active scripts, reported numbers)
    and its :class:`ChangeTracker`. Everything else goes through the store modules' functions."""

    def __init__(self, conn: sqlite3.Connection, path: str, *, readonly: bool = False) -> None:
        super().__init__(conn)
        self.path = path
        #: Opened read-only (the file or its folder can't be written): reads work, writes fail.
        self.readonly = readonly
        #: Why the last statistics write failed (None: it worked); one warning per spell of failures.
        self.stats_failing: str | None = None
        self.changes = ChangeTracker(self)

    def active_patterns(self) -> Iterable[dict[str, Any]]:
        """The active scripts (id, scam_type, text, norm, terms) the engine indexes."""
        return patterns.active(self)

    def patterns_version(self) -> str | None:
        """Which state of the active scripts this database holds (the engine's index cache is keyed on it)."""
        return patterns.version(self)

    def reported_number(self, key: str) -> dict[str, Any] | None:
        """The active registry row of a number key (the engine's only read while analysing)."""
        return numbers.reported(self, key)


def _unwritable(err: sqlite3.OperationalError) -> bool:
    msg = str(err).lower()
    return "readonly" in msg or "read-only" in msg or "unable to open" in msg


def _open(path: Path) -> Store:
    conn = sqlite3.connect(str(path), timeout=BUSY_MS / 1000, check_same_thread=False)
    db = Store(conn, str(path))
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        if str(path) != ":memory:":
            db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
        migrations.apply(db)
    except BaseException:
        conn.close()
        raise
    return db


def _open_read_only(path: Path) -> Store:
    """The file opened for reading only; ``immutable`` when even the WAL's shared-memory file can't be
    made (a read-only folder): nothing can change the file then anyway."""
    last: sqlite3.OperationalError | None = None
    for flags in ("mode=ro", "immutable=1"):
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?{flags}", uri=True, timeout=BUSY_MS / 1000,
                               check_same_thread=False)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.OperationalError as e:
            conn.close()
            last = e
            continue
        db = Store(conn, str(path), readonly=True)
        if migrations.pending(db):
            log.warning("the database is read-only and older than this version: some features are unavailable")
        log.warning("the database %s can't be written: opened read-only (checks and lookups work; statistics, "
                    "reports and admin changes are not saved)", path.name)
        return db
    assert last is not None
    raise last


def connect(path: str | Path) -> Store:
    """Open (creating the folder) with WAL and a busy timeout, and apply pending migrations. A file
    that can't be written (read-only file, folder or disk) is opened read-only instead, so checking
    messages still works (:attr:`Store.readonly`)."""
    path = Path(path)
    if str(path) != ":memory:":
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _open(path)
    except sqlite3.OperationalError as e:
        if str(path) == ":memory:" or not path.exists() or not _unwritable(e):
            raise
    return _open_read_only(path)
