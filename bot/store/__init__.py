"""The SQLite store (sqlite-utils): every SQL statement of the bot lives in this package.

* :mod:`~bot.store.schema`: table and status names, the migrations (``sqlite_utils.Migrations``);
* :mod:`~bot.store.db`: write transactions, ``meta``, timestamps, the salt for user hashes, backups;
* :mod:`~bot.store.connection`: :func:`connect` → :class:`Store` (what the engine is handed) and the
  change tracker that tells the bot to reload after the CLI changed scripts;
* :mod:`~bot.store.seed`: rows from the data files;
* one module per table group: :mod:`~bot.store.patterns`, :mod:`~bot.store.numbers`,
  :mod:`~bot.store.audit`, :mod:`~bot.store.reports`, :mod:`~bot.store.checks` (and the statistics),
  :mod:`~bot.store.feedback`; :mod:`~bot.store.privacy` deletes what is held about a person.

Message text that users send for checking is never stored here.
"""

from __future__ import annotations

from bot.store.connection import ChangeTracker, Store, connect
from bot.store.db import backup, button_secret, get_meta, now, set_meta, today, user_hash, write

__all__ = ["ChangeTracker", "Store", "backup", "button_secret", "connect", "get_meta", "now", "set_meta", "today", "user_hash",
           "write"]
