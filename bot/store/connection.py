"""Opening the store: :func:`connect` returns a :class:`Store`, the database handle that the engine is
handed (it reads the active scripts and the reported numbers through it) and that every store module
takes; and :class:`ChangeTracker`, which tells a process that another one changed scripts or numbers."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.store import numbers, patterns
from bot.store.db import get_meta, set_meta
from bot.store.schema import migrations

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

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        super().__init__(conn)
        self.path = path
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


def connect(path: str | Path) -> Store:
    """Open (creating the folder) with WAL and a busy timeout, and apply pending migrations."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = Store(conn, str(path))
    db.execute("PRAGMA busy_timeout = 30000")
    if str(path) != ":memory:":
        db.enable_wal()
        db.execute("PRAGMA synchronous = NORMAL")
    migrations.apply(db)
    return db
