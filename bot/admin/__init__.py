"""Admin operations shared by the chat commands and the command line.

Scripts and numbers have a lifecycle: added (after a dry-run, see :mod:`bot.masscheck`), active,
retired, and back. Every change is one transaction and writes one audit row (who, when, what, the
target's values before and after), so any change can be undone with :func:`revert` — which is itself
a change with its own audit row. Bulk import/export keeps files and database in step: a file with a
bad row imports nothing (unless asked), and export → import round-trips exactly.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.model import SCAM_TYPES
from bot.pipeline.engine import Engine
from bot.pipeline.numbers import parse as parse_number
from bot.store import get_meta, now, set_meta, today, write

#: Shortest script the chat form asks for (the mass-check enforces its own, normalized, minimum).
MIN_PATTERN_CHARS = 8
MAX_PATTERN_CHARS = 2000
STATUSES = ("active", "pending", "retired")
#: 误报 feedback count from which a script is reported to admins as noisy.
NOISY_THRESHOLD = 3


class AdminError(ValueError):
    """A refused admin action; the message is shown to the admin as is (Chinese)."""


# --- audit log ---------------------------------------------------------------------------------------


def audit(engine: Engine, actor: str, action: str, target: str, before: Any = None, after: Any = None) -> int:
    """Write one audit row and return its id. Call inside the change's own transaction."""
    return int(engine.db["audit"].insert({
        "at": now(), "actor": str(actor), "action": action, "target": str(target),
        "before": json.dumps(before, ensure_ascii=False) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False) if after is not None else None,
    }).last_pk)


def _changed(engine: Engine) -> None:
    """Mark that scripts or numbers changed, so other processes (the bot, while the CLI edits the same
    database) know to reload; see :func:`reload_if_changed`."""
    seen = getattr(engine, "_admin_version_seen", None)
    if seen is not None and get_meta(engine.db, "admin_version") != seen:
        # another process changed scripts since we last looked: our own new version must not hide that
        engine._admin_reload_pending = True  # type: ignore[attr-defined]
    version = uuid.uuid4().hex
    set_meta(engine.db, "admin_version", version)
    engine._admin_version_seen = version  # type: ignore[attr-defined]  # our own change is in our index


_UNSEEN = object()


def reload_if_changed(engine: Engine) -> bool:
    """Rebuild the engine's script index if another process changed scripts since we last looked.
    Cheap (one primary-key read): the bot can call it every minute from its job queue. The first call
    reloads once if any admin change was ever made (it cannot know whether the engine saw it)."""
    version = get_meta(engine.db, "admin_version")
    seen = getattr(engine, "_admin_version_seen", _UNSEEN)
    engine._admin_version_seen = version  # type: ignore[attr-defined]
    pending = getattr(engine, "_admin_reload_pending", False)
    engine._admin_reload_pending = False  # type: ignore[attr-defined]
    if not pending and (seen == version or (seen is _UNSEEN and version is None)):
        return False
    engine.reload()
    return True


# --- validation --------------------------------------------------------------------------------------


_TYPE_ALIASES = {**{k: k for k in SCAM_TYPES}, **{v: k for k, v in SCAM_TYPES.items()}}


def check_type(scam_type: str) -> str:
    """The scam-type key for a key or its Chinese label; AdminError lists the valid ones."""
    t = _TYPE_ALIASES.get(scam_type) if isinstance(scam_type, str) else None
    if t is not None:
        return t
    t = _TYPE_ALIASES.get(str(scam_type or "").strip(), "")
    if t not in SCAM_TYPES:
        raise AdminError(f"未知的诈骗类型「{str(scam_type)[:40]}」。可用类型：" + "、".join(f"{k}（{v}）" for k, v in SCAM_TYPES.items()))
    return t


def check_types(value: str) -> str:
    """One or more scam types, comma-separated (a number can be reported for several)."""
    if value in SCAM_TYPES:
        return value
    parts = [p for p in re.split(r"[,，、]", str(value or "")) if p.strip()]
    if not parts:
        raise AdminError("缺少诈骗类型（type）")
    return ",".join(dict.fromkeys(check_type(p) for p in parts))


def check_pattern_text(text: str, min_chars: int = 1) -> str:
    """Whitespace collapsed; refuses empty, binary or over-long text. (Length and genericness against
    real messages are the mass-check's business, so that an admin can force an exception.)"""
    text = " ".join(str(text or "").split())
    if "\x00" in text:
        raise AdminError("话术包含无效字符。")
    if len(text) < max(1, min_chars):
        raise AdminError("话术为空。" if not text else f"话术太短（少于 {min_chars} 个字）。")
    if len(text) > MAX_PATTERN_CHARS:
        raise AdminError(f"话术太长（超过 {MAX_PATTERN_CHARS} 字），请只保留诈骗的关键说法。")
    return text


def _pid(ref: int | str) -> int:
    try:
        pid = int(str(ref).strip().lstrip("#").removeprefix("pattern:"))
    except ValueError:
        raise AdminError(f"话术编号「{str(ref)[:30]}」无效，应为数字。") from None
    if not 0 <= pid < 2**63:  # SQLite's integer range (a bigger id raised OverflowError: found by fuzzing)
        raise AdminError(f"没有编号为 {str(ref)[:30]} 的话术。")
    return pid


def _number_key(raw: str) -> str:
    p = parse_number(str(raw))
    if p is None:
        raise AdminError(f"「{str(raw)[:40]}」不是有效的电话号码。")
    return p.normalized


# --- scripts -----------------------------------------------------------------------------------------


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
                source: str = "admin", force: bool = False, note: str = "",
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
    dup = list(engine.db.query("select id from patterns where norm = ? and status = 'active'", [norm]))
    if dup and not dry_run:
        raise AdminError(f"相同的话术已存在（#{dup[0]['id']}）。")
    if precheck is not None and precheck.dry_run and (precheck.scam_type, precheck.text) == (scam_type, text):
        report, summary = precheck.report, precheck.summary
    else:
        dry = masscheck.dry_run(engine, scam_type, text)
        report = {**dry.to_dict(), "summary": dry.figures(), "refusal": dry.refusal() if dry.refused else "",
                  "verdict": ("会被拒绝：" + "；".join(dry.problems)) if dry.refused else "可以上线"}
        summary = dry.format()
    if dup:
        report["duplicate_of"] = dup[0]["id"]
    if dry_run:
        return PatternResult(None, scam_type, text, True, report, summary=summary)
    refused = bool(report.get("refused"))
    if refused and not force:
        raise AdminError(report["refusal"])
    stamp = now()
    with write(engine.db):
        row = {"scam_type": scam_type, "text": text, "norm": norm, "terms": json.dumps(terms, ensure_ascii=False),
               "status": "active", "source": source, "created_by": str(actor), "created_at": stamp,
               "updated_at": stamp, "note": " ".join(str(note or "").split())[:500]}
        pid = int(engine.db["patterns"].insert(row).last_pk)
        after = {"status": "active", "scam_type": scam_type, "text": text,
                 "masscheck": report.get("summary", ""), **({"forced": report["problems"]} if refused else {})}
        aid = audit(engine, actor, "add_pattern", f"pattern:{pid}", None, after)
        _changed(engine)
    engine.index_add(pid, scam_type, text)
    return PatternResult(pid, scam_type, text, False, report, forced=refused, audit_id=aid, summary=summary)


def _pattern_row(engine: Engine, pid: int) -> dict[str, Any]:
    rows = list(engine.db.query("select * from patterns where id = ?", [pid]))
    if not rows:
        raise AdminError(f"没有编号为 {pid} 的话术。")
    return rows[0]


def _sync_pattern(engine: Engine, pid: int) -> None:
    """Bring the in-memory index in line with the pattern's status in the database."""
    rows = list(engine.db.query("select id, scam_type, text, status from patterns where id = ?", [pid]))
    if rows and rows[0]["status"] == "active":
        engine.index_add(pid, rows[0]["scam_type"], rows[0]["text"])
    else:
        engine.index_remove(pid)


def set_pattern_status(engine: Engine, pid: int | str, status: str, actor: str = "cli") -> dict[str, Any]:
    """Retire, reactivate or park (pending) a script; one audit row."""
    pid = _pid(pid)
    if status not in STATUSES:
        raise AdminError(f"未知状态「{status}」")
    row = _pattern_row(engine, pid)
    if row["status"] == status:
        raise AdminError(f"话术 #{pid} 已经是{_STATUS_LABELS[status]}状态。")
    action = {"retired": "retire_pattern", "active": "activate_pattern", "pending": "park_pattern"}[status]
    with write(engine.db):
        engine.db["patterns"].update(pid, {"status": status, "updated_at": now()})
        audit(engine, actor, action, f"pattern:{pid}", {"status": row["status"]}, {"status": status})
        _changed(engine)
    _sync_pattern(engine, pid)
    return {**row, "status": status}


def del_pattern(engine: Engine, pid: int | str, actor: str = "cli") -> dict[str, Any]:
    """Retire a script (kept for the audit trail and undo, no longer matched). Returns the row as it was."""
    pid = _pid(pid)
    rows = list(engine.db.query("select * from patterns where id = ?", [pid]))
    if not rows or rows[0]["status"] == "retired":
        raise AdminError(f"没有编号为 {pid} 的有效话术。")
    set_pattern_status(engine, pid, "retired", actor)
    return rows[0]


# --- numbers -----------------------------------------------------------------------------------------

_NUMBER_STATE = ("scam_type", "note", "reports", "first_reported", "last_reported", "status")


def add_number(engine: Engine, number: str, scam_type: str, note: str = "", actor: str = "cli",
               source: str = "admin") -> dict[str, Any]:
    """Record a reported number (a second report of the same number increments its count)."""
    scam_type = check_types(scam_type)
    key = _number_key(number)
    lk = engine.lookup(number)
    if lk.status == "official":
        raise AdminError(f"{key} 是{lk.insurer}的官方号码，不能登记为诈骗号码（来电显示可能被伪造，请登记对方实际留下的号码）。")
    note = " ".join((note or "").split())[:500]
    with write(engine.db):
        prev = list(engine.db.query("select * from numbers where number = ?", [key]))
        if prev:
            old = prev[0]
            types = [t for t in str(old["scam_type"] or "").split(",") if t]
            types += [t for t in scam_type.split(",") if t not in types]
            rec = {"reports": int(old["reports"] or 0) + 1, "scam_type": ",".join(types), "last_reported": today(),
                   "status": "active", "note": note or old["note"] or ""}
            engine.db["numbers"].update(key, {**rec, "updated_at": now()})
            aid = audit(engine, actor, "add_number", f"number:{key}", {k: old[k] for k in _NUMBER_STATE}, rec)
            _changed(engine)
            return {**old, **rec, "audit_id": aid}
        rec = {"number": key, "scam_type": scam_type, "note": note, "reports": 1,
               "first_reported": today(), "last_reported": today(), "status": "active", "source": source,
               "created_by": str(actor), "created_at": now(), "updated_at": now()}
        engine.db["numbers"].insert(rec)
        aid = audit(engine, actor, "add_number", f"number:{key}", None, {k: rec[k] for k in _NUMBER_STATE})
        _changed(engine)
    return {**rec, "audit_id": aid}


def del_number(engine: Engine, number: str, actor: str = "cli") -> dict[str, Any]:
    """Retire a reported number (lookups stop reporting it; undo brings it back)."""
    p = parse_number(number)
    key = p.normalized if p else str(number).strip()
    rows = list(engine.db.query("select * from numbers where number = ? and status = 'active'", [key]))
    if not rows:
        raise AdminError(f"号码 {key[:40]} 不在举报库中。")
    with write(engine.db):
        engine.db["numbers"].update(key, {"status": "retired", "updated_at": now()})
        audit(engine, actor, "retire_number", f"number:{key}", {"status": "active"}, {"status": "retired"})
        _changed(engine)
    return rows[0]


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
    with write(engine.db):
        engine.db.conn.executemany("update patterns set hits = coalesce(hits, 0) + 1 where id = ?", [(p,) for p in pids])
        engine.db.conn.executemany("update numbers set hits = coalesce(hits, 0) + 1 where number = ?", [(k,) for k in keys])


def record_feedback_fp(engine: Engine, pattern_ids: Iterable[int], numbers: Iterable[str] = ()) -> list[dict[str, Any]]:
    """A user said a verdict was a 误报: count it against the scripts (and numbers) that matched.
    Returns the scripts that have just reached the noisy threshold, so the caller can tell admins once."""
    pids, keys = _ids(pattern_ids), [str(n) for n in numbers or () if n]
    with write(engine.db):
        engine.db.conn.executemany("update patterns set false_positives = coalesce(false_positives, 0) + 1 where id = ?",
                                   [(p,) for p in pids])
        engine.db.conn.executemany("update numbers set false_positives = coalesce(false_positives, 0) + 1 where number = ?",
                                   [(k,) for k in keys])
    if not pids:
        return []
    marks = ",".join("?" * len(pids))
    return [dict(r) for r in engine.db.query(
        f"select id, scam_type, text, hits, false_positives from patterns where id in ({marks}) "
        "and status = 'active' and false_positives = ?", [*pids, NOISY_THRESHOLD])]


def flag_noisy_patterns(engine: Engine, threshold: int = NOISY_THRESHOLD) -> list[dict[str, Any]]:
    """Active scripts whose 误报 count reached ``threshold``, noisiest first (to show admins)."""
    return [dict(r) for r in engine.db.query(
        "select id, scam_type, text, hits, false_positives, created_by, created_at from patterns "
        "where status = 'active' and false_positives >= ? order by false_positives desc, id", [int(threshold)])]


# --- history and undo --------------------------------------------------------------------------------

_STATUS_LABELS = {"active": "有效", "pending": "待定", "retired": "停用"}
#: Fields a revert may restore, per kind of target (counters such as hits are never rolled back).
_STATE = {"pattern": ("status", "scam_type"), "number": _NUMBER_STATE,
          "report": ("status", "scam_type", "reviewed_by", "reviewed_at", "outcome", "reason")}
_TABLE = {"pattern": ("patterns", "id"), "number": ("numbers", "number"), "report": ("reports", "id")}
ACTION_LABELS = {
    "add_pattern": "添加话术", "retire_pattern": "停用话术", "activate_pattern": "启用话术", "park_pattern": "暂停话术",
    "add_number": "登记号码", "retire_number": "移除号码", "import": "批量导入", "approve_report": "通过举报",
    "reject_report": "驳回举报", "revert": "撤销", "activate_number": "恢复号码",
}


def _loads(s: str | None) -> Any:
    if not s:
        return None
    try:
        return json.loads(s)
    except ValueError:
        return None


def history(engine: Engine, limit: int = 20, target: str | None = None, actor: str | None = None) -> list[dict[str, Any]]:
    """The audit log, newest first (optionally for one target such as ``pattern:12`` or one actor)."""
    where, params = [], []
    if target:
        where.append("target = ?")
        params.append(_normalize_target(target))
    if actor:
        where.append("actor = ?")
        params.append(str(actor))
    sql = "select * from audit" + (" where " + " and ".join(where) if where else "") + " order by id desc limit ?"
    rows = []
    for r in engine.db.query(sql, [*params, max(1, int(limit))]):
        r = dict(r)
        r["before"], r["after"] = _loads(r["before"]), _loads(r["after"])
        rows.append(r)
    return rows


def format_history(rows: list[dict[str, Any]]) -> str:
    """One line per audit row: id, time, who, what, target, change."""
    if not rows:
        return "（审计日志为空）"
    lines = []
    for r in rows:
        what = ACTION_LABELS.get(r["action"], r["action"])
        change = _describe(r)
        undone = f"  ↩ 已被 #{r['reverted_by']} 撤销" if r.get("reverted_by") else ""
        lines.append(f"#{r['id']}  {r['at']}  {r['actor']}  {what}  {r['target']}  {change}{undone}")
    return "\n".join(lines)


def _describe(r: dict[str, Any]) -> str:
    b, a = r.get("before"), r.get("after")
    if r["action"] == "import" and isinstance(a, dict):
        return f"话术 {a.get('scripts', 0)} 条，号码 {a.get('numbers', 0)} 个（新增 {a.get('numbers_new', 0)}）"
    if r["action"] == "revert" and isinstance(a, dict):
        state = {k: v for k, v in a.items() if not k.startswith("_")}
        return f"撤销 #{a.get('_reverts')}" + (f"：{_diff(b, state)}" if state else "")
    if b is None and isinstance(a, dict):
        text = a.get("text") or ""
        return (f"{a.get('scam_type', '')} " + (text[:30] + ("…" if len(text) > 30 else ""))).strip()
    return _diff(b, a)


def _diff(b: Any, a: Any) -> str:
    if not isinstance(b, dict) or not isinstance(a, dict):
        return ""
    parts = []
    for k, v in a.items():
        if k.startswith("_") or b.get(k) == v:
            continue
        parts.append(f"{k}: {b.get(k)} → {v}")
    return "，".join(parts)


def _normalize_target(ref: str) -> str:
    kind, _, rest = str(ref).partition(":")
    if kind == "number" and rest:
        p = parse_number(rest)
        return f"number:{p.normalized if p else rest}"
    if kind == "pattern" and rest:
        return f"pattern:{_pid(rest)}"
    return str(ref)


def _current(engine: Engine, kind: str, key: str) -> dict[str, Any] | None:
    table, pk = _TABLE[kind]
    rows = list(engine.db.query(f"select * from {table} where {pk} = ?", [int(key) if pk == "id" else key]))
    return rows[0] if rows else None


def _audit_row(engine: Engine, aid: int) -> dict[str, Any]:
    rows = list(engine.db.query("select * from audit where id = ?", [aid]))
    if not rows:
        raise AdminError(f"没有编号为 {aid} 的审计记录。")
    return dict(rows[0])


def _resolve(engine: Engine, ref: int | str) -> dict[str, Any] | tuple[str, str]:
    """An audit row for ``ref`` (an audit id, or the latest un-reverted change of ``pattern:ID`` /
    ``number:N``), or (kind, key) for a target that has no audit row (a seeded script)."""
    s = str(ref).strip().lstrip("#")
    if s.isdigit():
        return _audit_row(engine, int(s))
    kind, _, rest = s.partition(":")
    if kind not in ("pattern", "number", "report") or not rest:
        raise AdminError(f"无法识别「{s[:40]}」：请给出审计编号（history 中的 #ID），或 pattern:ID / number:号码。")
    target = _normalize_target(s)
    rows = list(engine.db.query("select * from audit where target = ? and reverted_by is null order by id desc limit 1",
                                [target]))
    if rows:
        return dict(rows[0])
    key = target.partition(":")[2]
    if _current(engine, kind, key) is None:
        raise AdminError(f"没有找到 {target}。")
    return (kind, key)


@dataclass
class RevertResult:
    audit_id: int  # the new audit row (action "revert")
    reverted: int | None  # the audit row that was undone (None for a seeded script with no history)
    target: str
    message: str


def revert(engine: Engine, ref: int | str, actor: str = "cli") -> RevertResult:
    """Undo a change: retire what was added, reactivate what was retired, restore previous values
    (an import: retire what it created and restore what it changed; an approval: also undo the script
    or number it created). Reverting a revert redoes the change. Writes its own audit row.

    ``ref``: an audit id (``12`` or ``#12``), or ``pattern:ID`` / ``number:N`` for the latest change of
    that target still in effect (a seeded script with no history is toggled between active and retired).
    """
    row = _resolve(engine, ref)
    if isinstance(row, tuple):
        return _toggle(engine, *row, actor=actor)
    touched: set[int] = set()
    with write(engine.db):
        aid, msg = _revert_row(engine, row, actor, touched)
        _changed(engine)
    if len(touched) > 100:
        engine.reload()
    else:
        for pid in touched:
            _sync_pattern(engine, pid)
    return RevertResult(aid, row["id"], row["target"], msg)


def _toggle(engine: Engine, kind: str, key: str, actor: str) -> RevertResult:
    """Retire an active target that has no history, or reactivate a retired one."""
    if kind == "report":
        raise AdminError(f"report:{key} 没有可撤销的审核记录。")
    cur = _current(engine, kind, key) or {}
    status = "retired" if cur.get("status") == "active" else "active"
    table, _ = _TABLE[kind]
    with write(engine.db):
        engine.db[table].update(int(key) if kind == "pattern" else key, {"status": status, "updated_at": now()})
        verb = "retire" if status == "retired" else "activate"
        aid = audit(engine, actor, f"{verb}_{kind}", f"{kind}:{key}", {"status": cur.get("status")}, {"status": status})
        _changed(engine)
    if kind == "pattern":
        _sync_pattern(engine, int(key))
    return RevertResult(aid, None, f"{kind}:{key}", f"{kind}:{key} → {_STATUS_LABELS[status]}")


def undo_last(engine: Engine, actor: str) -> RevertResult:
    """/undo: revert this actor's most recent change that is still in effect (repeat to go further back)."""
    rows = list(engine.db.query(
        "select id from audit where actor = ? and reverted_by is null and action != 'revert' order by id desc limit 1",
        [str(actor)]))
    if not rows:
        raise AdminError("没有可以撤销的操作。")
    return revert(engine, rows[0]["id"], actor)


def _apply(engine: Engine, kind: str, key: str, state: dict[str, Any], actor: str, reverts: int | None,
           linked: int | None = None) -> int:
    """Set ``state`` on the target and write the revert's audit row (before = the current values)."""
    table, pk = _TABLE[kind]
    cur = _current(engine, kind, key)
    if cur is None:
        raise AdminError(f"{kind}:{key} 已不存在，无法撤销。")
    state = {k: v for k, v in state.items() if k in _STATE[kind]}
    before = {k: cur.get(k) for k in state}
    if before == state:
        raise AdminError(f"无需撤销：{kind}:{key} 已经是撤销后的状态。")
    upd = dict(state)
    if kind in ("pattern", "number", "report"):
        upd["updated_at"] = now()
    engine.db[table].update(int(key) if pk == "id" else key, upd)
    after: dict[str, Any] = {**state, "_reverts": reverts}
    if linked is not None:
        after["_linked"] = linked
    return audit(engine, actor, "revert", f"{kind}:{key}", before, after)


def _revert_row(engine: Engine, row: dict[str, Any], actor: str, touched: set[int]) -> tuple[int, str]:
    if row.get("reverted_by"):
        raise AdminError(f"审计记录 #{row['id']} 已被 #{row['reverted_by']} 撤销过。")
    kind, _, key = row["target"].partition(":")
    before, after = _loads(row["before"]), _loads(row["after"]) or {}
    if row["action"] == "import":
        aid, msg = _revert_import(engine, row, actor, touched)
    elif kind in _TABLE:
        state = {"status": "retired"} if before is None else {k: v for k, v in before.items() if not k.startswith("_")}
        linked_new = None
        linked = after.get("_linked") if isinstance(after, dict) else None
        if linked:  # an approval's script/number, or what a revert of an approval undid
            lrow = _audit_row(engine, int(linked))
            if not lrow.get("reverted_by"):
                try:
                    linked_new, _ = _revert_row(engine, lrow, actor, touched)
                except AdminError:
                    linked_new = None  # already in the target state: nothing to do for the link
        aid = _apply(engine, kind, key, state, actor, reverts=row["id"], linked=linked_new)
        if kind == "pattern":
            touched.add(int(key))
        msg = f"已撤销 #{row['id']}（{ACTION_LABELS.get(row['action'], row['action'])} {row['target']}）"
    elif kind == "file":
        raise AdminError(f"审计记录 #{row['id']} 是对一次导入的撤销，不能再撤销：如需恢复请重新导入该文件。")
    else:
        raise AdminError(f"审计记录 #{row['id']}（{row['action']}）不能撤销。")
    engine.db["audit"].update(row["id"], {"reverted_by": aid})
    if row["action"] == "revert" and isinstance(after, dict) and after.get("_reverts"):
        engine.db["audit"].update(int(after["_reverts"]), {"reverted_by": None})  # that change is in effect again
    return aid, msg


def _revert_import(engine: Engine, row: dict[str, Any], actor: str, touched: set[int]) -> tuple[int, str]:
    batch = row["id"]
    stamp = now()
    pids = [r["id"] for r in engine.db.query("select id from patterns where batch = ? and status != 'retired'", [batch])]
    engine.db.execute("update patterns set status = 'retired', updated_at = ? where batch = ? and status != 'retired'",
                      [stamp, batch])
    n_num = engine.db.execute("update numbers set status = 'retired', updated_at = ? where batch = ? and status != 'retired'",
                              [stamp, batch]).rowcount
    restored = 0
    for item in engine.db.query("select target, before from audit_items where audit_id = ?", [batch]):
        kind, _, key = item["target"].partition(":")
        before = _loads(item["before"]) or {}
        if kind == "number" and before:
            engine.db["numbers"].update(key, {**{k: before.get(k) for k in _NUMBER_STATE}, "updated_at": stamp})
            restored += 1
    touched.update(pids)
    aid = audit(engine, actor, "revert", row["target"], None,
                {"_reverts": batch, "retired_scripts": len(pids), "retired_numbers": n_num, "restored_numbers": restored})
    return aid, f"已撤销导入 #{batch}：停用话术 {len(pids)} 条、号码 {n_num} 个，恢复号码 {restored} 个"


# --- bulk import / export ----------------------------------------------------------------------------

SCRIPT_FIELDS = ("type", "text", "note", "status")
NUMBER_FIELDS = ("number", "type", "note", "reports", "first_reported", "last_reported", "status")
CSV_FIELDS = ("type", "text", "number", "note", "reports", "first_reported", "last_reported", "status")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXPORT_HEADER = "# PolicyGuard export: scam scripts and reported numbers (python run.py admin import FILE)"
#: Import refuses more than this many per-row errors in its report (the rest are counted).
MAX_LISTED_ERRORS = 200


def _read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from .jsonl, .csv or .yaml; a row that is not an object is
    ``{"__error__": reason}``."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv", ".yaml", ".yml"):
        raise AdminError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .jsonl、.csv 或 .yaml")
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if b"\x00" in head:
        raise AdminError(f"{path.name}: 包含二进制内容，不是文本文件。")
    try:
        if suffix == ".jsonl":  # streamed: a million-line file is never held in memory as text
            with path.open(encoding="utf-8-sig", newline="") as fh:
                for i, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            obj = json.loads(line)
                        except ValueError:
                            obj = None
                        yield i, obj if isinstance(obj, dict) else {"__error__": "不是 JSON 对象"}
        elif suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                if not reader.fieldnames or not ({"text", "number"} & {f.strip() for f in reader.fieldnames if f}):
                    raise AdminError(f"{path.name}: CSV 第 1 行应为表头，包含 type,text 或 number,type,note。")
                for r in reader:
                    if None in r:
                        yield reader.line_num, {"__error__": "列数比表头多"}
                        continue
                    yield reader.line_num, {(k or "").strip(): v for k, v in r.items()}
        elif head.lstrip(b"\xef\xbb\xbf").startswith(_EXPORT_HEADER.encode()):
            yield from _read_export_yaml(path)
        else:
            yield from _read_yaml(path, path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise AdminError(f"{path.name}: 不是 UTF-8 文本文件。") from None
    except csv.Error as e:
        raise AdminError(f"{path.name}: CSV 格式错误：{e}") from None


def _read_export_yaml(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Our own export (it starts with ``_EXPORT_HEADER``), streamed: one JSON object per item line."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for i, line in enumerate(fh, 1):
            s = line.strip()
            if not s or s.startswith("#") or s in ("scripts:", "numbers:", "scripts: []", "numbers: []"):
                continue
            try:
                obj = json.loads(s[2:]) if s.startswith("- {") else None
            except ValueError:
                obj = None
            yield i, obj if isinstance(obj, dict) else {"__error__": "不是导出格式的条目（应为 - {\"type\": …}）"}


def _read_yaml(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Our own export is read line by line (each item is a JSON object, which is also YAML: fast for
    a million rows); any other YAML is parsed normally, with each item's line number from the parser."""
    fast: list[tuple[int, dict[str, Any]]] = []
    ok = True
    for i, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#") or s in ("scripts:", "numbers:", "scripts: []", "numbers: []"):
            continue
        if s.startswith("- {"):
            try:
                obj = json.loads(s[2:])
            except ValueError:
                ok = False
                break
            if isinstance(obj, dict):
                fast.append((i, obj))
                continue
        ok = False
        break
    if ok:
        yield from fast
        return
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        raise AdminError(f"{path.name}: YAML 格式错误：{str(e)[:300]}") from None
    if data is None:
        return
    seqs: list[tuple[Any, list[Any]]] = []
    if isinstance(data, dict) and node is not None and isinstance(node, yaml.MappingNode):
        for knode, vnode in node.value:
            if knode.value in ("scripts", "numbers") and isinstance(data.get(knode.value), list):
                seqs.append((vnode, data[knode.value]))
        if not seqs:
            raise AdminError(f"{path.name}: YAML 应包含 scripts: 和/或 numbers: 列表。")
    elif isinstance(data, list) and isinstance(node, yaml.SequenceNode):
        seqs.append((node, data))
    else:
        raise AdminError(f"{path.name}: YAML 应包含 scripts: 和/或 numbers: 列表。")
    for vnode, items in seqs:
        for item_node, r in zip(vnode.value, items, strict=False):
            line = item_node.start_mark.line + 1
            yield line, r if isinstance(r, dict) else {"__error__": "不是对象（应为 type/text 或 number/type/note）"}


# Canonical mobile keys are the bulk of large number files; phonenumbers costs ~70 µs a number, and an
# 11-digit CN mobile's validity depends only on its first 5 digits (the metadata's mobile pattern is
# ``1(?:610\d|740[0-5])\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}``), so the verdict
# is cached per 5-digit prefix (tests check the cache against a full parse).
# Landlines are cached the same way, per area code and first subscriber digits (7 digits) and length.
_MOBILE = re.compile(r"^(?:\+86)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^\+86([2-9]\d{8,10}|10\d{8})$")
_prefix_valid: dict[tuple[str, int], bool] = {}


def _fast_number_key(raw: str) -> str | None:
    s = raw.strip()
    m = _MOBILE.match(s) or _LANDLINE.match(s)
    if m:
        national = m.group(1)
        key = (national[:5] if national[0] == "1" and national[1] != "0" else national[:7], len(national))
        ok = _prefix_valid.get(key)
        if ok is True:
            return "+86" + national
        p = parse_number(s)
        if ok is None:
            _prefix_valid[key] = bool(p and p.kind in ("mobile", "landline") and p.normalized == "+86" + national)
        return p.normalized if p else None
    p = parse_number(s)
    return p.normalized if p else None


def _status(value: Any) -> str:
    s = str(value or "active").strip() or "active"
    if s not in STATUSES:
        raise AdminError(f"status「{s[:20]}」无效，应为 active、pending 或 retired")
    return s


def _validate_row(r: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """('script' | 'number', clean row) or AdminError."""
    number = str(r.get("number") or "").strip()
    text = str(r.get("text") or "").strip()
    if number and text:
        raise AdminError("一行只能是话术（text）或号码（number），不能两者都有")
    if number:
        key = _fast_number_key(number)
        if key is None:
            raise AdminError(f"号码「{number[:30]}」无效")
        reports = str(r.get("reports") or "").strip() or "1"
        if not reports.isdigit() or int(reports) < 1:
            raise AdminError(f"reports「{reports[:20]}」应为正整数")
        dates = {}
        for k in ("first_reported", "last_reported"):
            v = str(r.get(k) or "").strip()
            if v and not _DATE.match(v):
                raise AdminError(f"{k}「{v[:20]}」应为 YYYY-MM-DD 日期")
            dates[k] = v or None
        return "number", {"number": key, "scam_type": check_types(str(r.get("type") or "")),
                          "note": " ".join(str(r.get("note") or "").split())[:500], "reports": int(reports),
                          **dates, "status": _status(r.get("status"))}
    if text:
        return "script", {"scam_type": check_type(str(r.get("type") or "")), "text": check_pattern_text(text),
                          "note": " ".join(str(r.get("note") or "").split())[:500], "status": _status(r.get("status"))}
    raise AdminError("既没有 text（话术）也没有 number（号码）")


def validate(engine: Engine, path: str | Path, progress: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Split a file into valid scripts and numbers (each with its ``line``) and the errors, each
    reported with its line number (``第 N 行：reason``)."""
    path = Path(path)
    scripts: list[dict[str, Any]] = []
    nums: list[dict[str, Any]] = []
    errors: list[str] = []
    bar = _bar(progress, None, f"检查 {path.name}")
    for line, r in _read_rows(path):
        bar.update(1)
        if "__error__" in r:
            errors.append(f"第 {line} 行：{r['__error__']}")
            continue
        try:
            kind, row = _validate_row(r)
        except AdminError as e:
            errors.append(f"第 {line} 行：{e}")
            continue
        (scripts if kind == "script" else nums).append({**row, "line": line})
    bar.close()
    return scripts, nums, errors


@dataclass
class ImportResult:
    imported_scripts: int = 0
    imported_numbers: int = 0  # new and changed
    new_numbers: int = 0
    updated_numbers: int = 0
    skipped_duplicates: int = 0  # scripts already present, numbers already identical
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # scripts the mass-check would call too generic
    aborted: bool = False
    audit_id: int | None = None

    def __getitem__(self, key: str) -> Any:  # the CLI reads it like the dict it used to be
        return getattr(self, key)


def _merge_number(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Merge a file's row into an existing number: more reports win, dates widen, types add up."""
    types = [t for t in str(old["scam_type"] or "").split(",") if t]
    types += [t for t in new["scam_type"].split(",") if t not in types]
    firsts = [d for d in (old["first_reported"], new["first_reported"]) if d]
    lasts = [d for d in (old["last_reported"], new["last_reported"]) if d]
    return {"scam_type": ",".join(types), "note": old["note"] or new["note"],
            "reports": max(int(old["reports"] or 0), new["reports"]), "first_reported": min(firsts) if firsts else None,
            "last_reported": max(lasts) if lasts else None, "status": old["status"]}


def import_file(engine: Engine, path: str | Path, actor: str = "cli", allow_errors: bool = False,
                progress: bool = False) -> ImportResult:
    """Import scripts and numbers in one transaction. A file with a bad row imports nothing unless
    ``allow_errors`` (then the good rows are imported and the bad ones reported). Scripts already
    present (same normalized text) are skipped; numbers already present are merged (more reports,
    wider dates, added types; a retired number stays retired). One audit row; :func:`revert` undoes it."""
    from bot.admin import masscheck

    path = Path(path)
    if not path.is_file():
        raise AdminError(f"文件不存在：{path}")
    scripts, nums, errors = validate(engine, path, progress=progress)
    res = ImportResult(errors=errors)
    if errors and not allow_errors:
        res.aborted = True
        return res
    existing = {r["norm"] for r in engine.db.query("select norm from patterns where norm is not null")}
    bar = _bar(progress, len(scripts) + len(nums), f"导入 {path.name}")
    stamp = now()
    prepared = []
    for r in scripts:
        norm, terms = engine.script_forms(r["text"])
        bar.update(1)
        if norm in existing:
            res.skipped_duplicates += 1
            continue
        existing.add(norm)
        problems = masscheck.generic_problems(engine, norm, terms)
        if problems:
            res.warnings.append(f"第 {r['line']} 行：" + "；".join(problems))
        prepared.append({"scam_type": r["scam_type"], "text": r["text"], "norm": norm,
                         "terms": json.dumps(terms, ensure_ascii=False), "status": r["status"], "source": "import",
                         "created_by": str(actor), "created_at": stamp, "updated_at": stamp, "note": r["note"]})
    by_key: dict[str, dict[str, Any]] = {}
    for r in nums:  # duplicates inside the file merge into one row
        prev = by_key.get(r["number"])
        by_key[r["number"]] = r if prev is None else {**prev, **_merge_number(prev, r)}
    with write(engine.db):
        aid = audit(engine, actor, "import", f"file:{path.name}", None, {})
        res.audit_id = aid
        for p in prepared:
            p["batch"] = aid
        if prepared:
            engine.db["patterns"].insert_all(prepared, batch_size=500)
        res.imported_scripts = len(prepared)
        new_rows, updates, items = [], [], []
        keys = list(by_key)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found = {r["number"]: r for r in engine.db.query(f"select * from numbers where number in ({marks})", chunk)}
            for k in chunk:
                r = by_key[k]
                old = found.get(k)
                if old is None:
                    new_rows.append((k, r["scam_type"], r["note"], r["reports"], r["first_reported"],
                                     r["last_reported"], r["status"], "import", str(actor), stamp, stamp, aid))
                    continue
                merged = _merge_number(old, r)
                before = {f: old[f] for f in _NUMBER_STATE}
                if merged == before:
                    res.skipped_duplicates += 1
                    continue
                updates.append((merged["scam_type"], merged["note"], merged["reports"], merged["first_reported"],
                                merged["last_reported"], stamp, k))
                items.append((aid, f"number:{k}", json.dumps(before, ensure_ascii=False)))
            bar.update(len(chunk))
        engine.db.conn.executemany(
            "insert into numbers (number, scam_type, note, reports, first_reported, last_reported, status, source, "
            "created_by, created_at, updated_at, batch) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", new_rows)
        engine.db.conn.executemany(
            "update numbers set scam_type = ?, note = ?, reports = ?, first_reported = ?, last_reported = ?, "
            "updated_at = ? where number = ?", updates)
        engine.db.conn.executemany("insert into audit_items (audit_id, target, before) values (?, ?, ?)", items)
        res.new_numbers, res.updated_numbers = len(new_rows), len(updates)
        res.imported_numbers = len(new_rows) + len(updates)
        engine.db["audit"].update(aid, {"after": json.dumps(
            {"scripts": res.imported_scripts, "numbers": res.imported_numbers, "numbers_new": res.new_numbers,
             "numbers_updated": res.updated_numbers, "skipped_duplicates": res.skipped_duplicates,
             "errors": len(errors), "stamp": stamp}, ensure_ascii=False)})
        _changed(engine)
    bar.close()
    engine.reload()
    return res


def _bar(enabled: bool, total: int | None, desc: str):
    """A tqdm progress bar on stderr for large files (silent for small ones and when not asked)."""
    from tqdm import tqdm

    show = enabled and sys.stderr.isatty() if total is None else enabled and total >= 2000
    return tqdm(total=total, desc=desc, disable=not show, unit="行", file=sys.stderr, mininterval=0.5)


def export_rows(engine: Engine) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]]]:
    """Scripts and numbers that are in use (active or pending), in a stable order that does not depend
    on row ids (so a re-imported file exports identically): scripts by type and text, numbers by key."""
    scripts = [{"type": r["scam_type"], "text": r["text"], "note": r["note"] or "", "status": r["status"]}
               for r in engine.db.query("select scam_type, text, note, status from patterns "
                                        "where status in ('active', 'pending') order by scam_type, text, id")]

    def nums() -> Iterator[dict[str, Any]]:
        for r in engine.db.query("select number, scam_type, note, reports, first_reported, last_reported, status "
                                 "from numbers where status in ('active', 'pending') order by number"):
            yield {"number": r["number"], "type": r["scam_type"], "note": r["note"] or "", "reports": r["reports"],
                   "first_reported": r["first_reported"] or "", "last_reported": r["last_reported"] or "",
                   "status": r["status"]}

    return scripts, nums()


# characters a YAML double-quoted scalar cannot hold raw (non-printable or line breaks); JSON leaves them
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _yaml_item(obj: dict[str, Any]) -> str:
    s = json.dumps(obj, ensure_ascii=False)
    return "- " + _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", s)


def export_file(engine: Engine, path: str | Path) -> dict[str, int]:
    """Write active and pending scripts and numbers in a format ``import_file`` reads back unchanged.
    The YAML is one JSON object per item (valid YAML, and fast to read back for a million numbers)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv", ".yaml", ".yml"):
        raise AdminError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .jsonl、.csv 或 .yaml")
    scripts, nums = export_rows(engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_nums = 0
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        if suffix == ".jsonl":
            for r in scripts:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            for r in nums:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
                n_nums += 1
        elif suffix == ".csv":
            w = csv.DictWriter(fh, fieldnames=list(CSV_FIELDS), lineterminator="\n")
            w.writeheader()
            for r in scripts:
                w.writerow({c: r.get(c, "") for c in CSV_FIELDS})
            for r in nums:
                w.writerow({c: r.get(c, "") for c in CSV_FIELDS})
                n_nums += 1
        else:
            fh.write(_EXPORT_HEADER + "\n")
            fh.write("scripts:\n" if scripts else "scripts: []\n")
            for r in scripts:
                fh.write(_yaml_item(r) + "\n")
            first = True
            for r in nums:
                if first:
                    fh.write("numbers:\n")
                    first = False
                fh.write(_yaml_item(r) + "\n")
                n_nums += 1
            if first:
                fh.write("numbers: []\n")
    tmp.replace(path)
    return {"scripts": len(scripts), "numbers": n_nums}
