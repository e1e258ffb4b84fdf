"""What every admin change does besides its own rows: one audit row, a new admin version (so another
process reloads), and the live script index brought in line with the database.

Why a module of its own: lifecycle, history (undo), bulk import and report review all change data
the same way, and undo needs the same index sync as a retirement.
"""

from __future__ import annotations

import uuid
from typing import Any

from bot.pipeline.engine import Engine
from bot.store import audit as audit_rows
from bot.store import now
from bot.store import patterns as pattern_rows
from bot.store.schema import ACTIVE


def audit(engine: Engine, actor: str, action: str, target: str, before: Any = None, after: Any = None) -> int:
    """Write one audit row and return its id. Call inside the change's own transaction."""
    return audit_rows.insert(engine.store, now(), actor, action, target, before, after)


def mark_changed(engine: Engine) -> None:
    """Mark that scripts or numbers changed, so other processes (the bot, while the CLI edits the same
    database) know to reload; see :func:`reload_if_changed`. Call inside the change's transaction."""
    engine.store.changes.mark(uuid.uuid4().hex)


def reload_if_changed(engine: Engine) -> bool:
    """Rebuild the engine's script index if another process changed scripts since we last looked.
    Cheap (one primary-key read): the bot can call it every minute from its job queue. The first call
    reloads once if any admin change was ever made (it cannot know whether the engine saw it)."""
    if not engine.store.changes.poll():
        return False
    engine.reload()
    return True


def sync_pattern(engine: Engine, pid: int) -> None:
    """Bring the in-memory index in line with the pattern's status in the database."""
    row = pattern_rows.get(engine.store, pid)
    if row and row["status"] == ACTIVE:
        engine.index_add(pid, row["scam_type"], row["text"])
    else:
        engine.index_remove(pid)
