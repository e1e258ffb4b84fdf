"""The lifecycle of scripts and numbers: added (after a dry-run, see :mod:`bot.admin.masscheck`),
active, retired, and back; and their hit and 误报 counters.

Every change is one transaction and writes one audit row (who, when, what, the target's values before
and after), so it can be undone (:mod:`bot.admin.history`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.admin.changes import audit, mark_changed, sync_pattern
from bot.admin.validation import (
    STATUS_LABELS,
    AdminError,
    check_pattern_text,
    check_type,
    check_types,
    clean_note,
    number_key,
    pattern_id,
)
from bot.pipeline.engine import Engine
from bot.pipeline.numbers import parse as parse_number
from bot.store import now, today, write
from bot.store import numbers as number_rows
from bot.store import patterns as pattern_rows
from bot.store.schema import ACTIVE, ADMIN, NUMBER_STATE, PENDING, RETIRED, STATUSES

#: 误报 feedback count from which a script is reported to admins as noisy.
NOISY_THRESHOLD = 3


@dataclass
class PatternResult:
    """What add_pattern did (or, in a dry run, would do)."""

    id: int | None
    scam_type: str
    text: str
    dry_run: bool = False
    report: dict[str, Any] = field(default_factory=dict)  # the mass-check report (JSON-ready)
    forced: bool = False
    audit_id: int | None = None
    summary: str = ""  # the mass-check report as text, for the admin to read

    @property
    def refused(self) -> bool:
        return bool(self.report.get("refused"))


def add_pattern(engine: Engine, scam_type: str, text: str, actor: str = "cli", dry_run: bool = False,
                source: str = ADMIN, force: bool = False, note: str = "",
                precheck: PatternResult | None = None) -> PatternResult:
    """Add a scam script after a mass-check; it takes effect at once (the in-memory index is updated).

    ``dry_run`` only reports (changes nothing). Otherwise a script the mass-check refuses (too short,
    too generic, flags known-legitimate messages) raises AdminError with the figures, unless ``force``.
    ``precheck``: the result of a dry run of the same script moments ago (so it is not run twice).
    """
    from bot.admin import masscheck

    scam_type = check_type(scam_type)
    text = check_pattern_text(text)
    norm, terms = engine.script_forms(text)
    dup = pattern_rows.active_with_norm(engine.store, norm)
    if dup is not None and not dry_run:
        raise AdminError(f"相同的话术已存在（#{dup}）。")
    if precheck is not None and precheck.dry_run and (precheck.scam_type, precheck.text) == (scam_type, text):
        report, summary = precheck.report, precheck.summary
    else:
        dry = masscheck.dry_run(engine, scam_type, text)
        report = {**dry.to_dict(), "summary": dry.figures(), "refusal": dry.refusal() if dry.refused else "",
                  "verdict": ("会被拒绝：" + "；".join(dry.problems)) if dry.refused else "可以上线"}
        summary = dry.format()
    if dup is not None:
        report["duplicate_of"] = dup
    if dry_run:
        return PatternResult(None, scam_type, text, True, report, summary=summary)
    refused = bool(report.get("refused"))
    if refused and not force:
        raise AdminError(report["refusal"])
    stamp = now()
    with write(engine.store):
        row = {"scam_type": scam_type, "text": text, "norm": norm, "terms": json.dumps(terms, ensure_ascii=False),
               "status": ACTIVE, "source": source, "created_by": str(actor), "created_at": stamp,
               "updated_at": stamp, "note": clean_note(note)}
        pid = pattern_rows.insert(engine.store, row)
        after = {"status": ACTIVE, "scam_type": scam_type, "text": text,
                 "masscheck": report.get("summary", ""), **({"forced": report["problems"]} if refused else {})}
        aid = audit(engine, actor, "add_pattern", f"pattern:{pid}", None, after)
        mark_changed(engine)
    engine.index_add(pid, scam_type, text)
    return PatternResult(pid, scam_type, text, False, report, forced=refused, audit_id=aid, summary=summary)


def set_pattern_status(engine: Engine, pid: int | str, status: str, actor: str = "cli") -> dict[str, Any]:
    """Retire, reactivate or park (pending) a script; one audit row."""
    pid = pattern_id(pid)
    if status not in STATUSES:
        raise AdminError(f"未知状态「{status}」")
    row = pattern_rows.get(engine.store, pid)
    if row is None:
        raise AdminError(f"没有编号为 {pid} 的话术。")
    if row["status"] == status:
        raise AdminError(f"话术 #{pid} 已经是{STATUS_LABELS[status]}状态。")
    action = {RETIRED: "retire_pattern", ACTIVE: "activate_pattern", PENDING: "park_pattern"}[status]
    with write(engine.store):
        pattern_rows.update(engine.store, pid, {"status": status, "updated_at": now()})
        audit(engine, actor, action, f"pattern:{pid}", {"status": row["status"]}, {"status": status})
        mark_changed(engine)
    sync_pattern(engine, pid)
    return {**row, "status": status}


def del_pattern(engine: Engine, pid: int | str, actor: str = "cli") -> dict[str, Any]:
    """Retire a script (kept for the audit trail and undo, no longer matched). Returns the row as it was."""
    pid = pattern_id(pid)
    row = pattern_rows.get(engine.store, pid)
    if row is None or row["status"] == RETIRED:
        raise AdminError(f"没有编号为 {pid} 的有效话术。")
    set_pattern_status(engine, pid, RETIRED, actor)
    return row


def merged_types(old: str | None, new: str) -> str:
    """A number's scam types with ``new`` (comma-separated) added, in first-seen order."""
    types = [t for t in str(old or "").split(",") if t]
    types += [t for t in new.split(",") if t not in types]
    return ",".join(types)


def add_number(engine: Engine, number: str, scam_type: str, note: str = "", actor: str = "cli",
               source: str = ADMIN) -> dict[str, Any]:
    """Record a reported number (a second report of the same number increments its count)."""
    scam_type = check_types(scam_type)
    key = number_key(number)
    lk = engine.lookup(number)
    if lk.status == "official":
        raise AdminError(f"{key} 是{lk.insurer}的官方号码，不能登记为诈骗号码（来电显示可能被伪造，请登记对方实际留下的号码）。")
    note = clean_note(note)
    with write(engine.store):
        old = number_rows.get(engine.store, key)
        if old is not None:
            rec = {"reports": int(old["reports"] or 0) + 1, "scam_type": merged_types(old["scam_type"], scam_type),
                   "last_reported": today(), "status": ACTIVE, "note": note or old["note"] or ""}
            number_rows.update(engine.store, key, {**rec, "updated_at": now()})
            aid = audit(engine, actor, "add_number", f"number:{key}", {k: old[k] for k in NUMBER_STATE}, rec)
            mark_changed(engine)
            return {**old, **rec, "audit_id": aid}
        rec = {"number": key, "scam_type": scam_type, "note": note, "reports": 1,
               "first_reported": today(), "last_reported": today(), "status": ACTIVE, "source": source,
               "created_by": str(actor), "created_at": now(), "updated_at": now()}
        number_rows.insert(engine.store, rec)
        aid = audit(engine, actor, "add_number", f"number:{key}", None, {k: rec[k] for k in NUMBER_STATE})
        mark_changed(engine)
    return {**rec, "audit_id": aid}


def del_number(engine: Engine, number: str, actor: str = "cli") -> dict[str, Any]:
    """Retire a reported number (lookups stop reporting it; undo brings it back)."""
    p = parse_number(number)
    key = p.normalized if p else str(number).strip()
    row = number_rows.reported(engine.store, key)
    if row is None:
        raise AdminError(f"号码 {key[:40]} 不在举报库中。")
    with write(engine.store):
        number_rows.update(engine.store, key, {"status": RETIRED, "updated_at": now()})
        audit(engine, actor, "retire_number", f"number:{key}", {"status": ACTIVE}, {"status": RETIRED})
        mark_changed(engine)
    return row


# --- hits and 误报 feedback --------------------------------------------------------------------------


def _ids(values: Iterable[Any]) -> list[int]:
    out = []
    for v in values or ():
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return sorted(set(out))


def record_hits(engine: Engine, pattern_ids: Iterable[int] = (), numbers: Iterable[str] = ()) -> None:
    """Count that scripts matched / reported numbers were seen in a check (counters, no audit row:
    they are statistics, not admin changes)."""
    pids, keys = _ids(pattern_ids), [str(n) for n in numbers or () if n]
    if not pids and not keys:
        return
    with write(engine.store):
        pattern_rows.add_hits(engine.store, pids)
        number_rows.add_hits(engine.store, keys)


def record_feedback_fp(engine: Engine, pattern_ids: Iterable[int], numbers: Iterable[str] = ()) -> list[dict[str, Any]]:
    """A user said a verdict was a 误报: count it against the scripts (and numbers) that matched.
    Returns the scripts that have just reached the noisy threshold, so the caller can tell admins once."""
    pids, keys = _ids(pattern_ids), [str(n) for n in numbers or () if n]
    with write(engine.store):
        pattern_rows.add_false_positives(engine.store, pids)
        number_rows.add_false_positives(engine.store, keys)
    return pattern_rows.at_false_positives(engine.store, pids, NOISY_THRESHOLD)


def flag_noisy_patterns(engine: Engine, threshold: int = NOISY_THRESHOLD) -> list[dict[str, Any]]:
    """Active scripts whose 误报 count reached ``threshold``, noisiest first (to show admins)."""
    return pattern_rows.noisy(engine.store, threshold)
