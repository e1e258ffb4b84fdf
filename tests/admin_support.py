"""Helpers for the admin tests: building an Engine costs ~3 s (jieba, knowledge), so tests that need
several databases open each one on a copy of one engine (same knowledge, rules, segmenter)."""

from __future__ import annotations

from pathlib import Path

from bot.pipeline.engine import Engine
from bot.pipeline.match import ScriptIndex
from bot.store import connect
from bot.store.seed import seed


def engine_on(base: Engine, db_path: Path) -> Engine:
    """An engine sharing ``base``'s loaded parts, on its own (created and seeded) database, wired as
    ``bot.config.open_engine`` wires one: store, seed, reload."""
    e = base.with_index(ScriptIndex())
    e.store = connect(db_path)
    seed(e.store, e.script_forms, e.number_key)
    e.reload()
    return e


def counts(engine: Engine) -> dict[str, int]:
    """Row counts of the tables an admin change touches."""
    return {t: engine.db[t].count for t in ("patterns", "numbers", "audit", "reports", "audit_items")} | {
        "active_patterns": engine.db["patterns"].count_where("status = 'active'"),
        "active_numbers": engine.db["numbers"].count_where("status = 'active'"),
    }
