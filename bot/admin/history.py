"""The audit log as admins read it, and undo: any change can be reverted with :func:`revert` — which
is itself a change with its own audit row (so reverting a revert redoes the change)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.admin.changes import audit, mark_changed, sync_pattern
from bot.admin.validation import STATUS_LABELS, AdminError, pattern_id
from bot.pipeline.engine import Engine
from bot.pipeline.numbers import parse as parse_number
from bot.store import audit as audit_rows
from bot.store import now, write
from bot.store import numbers as number_rows
from bot.store import patterns as pattern_rows
from bot.store.db import loads
from bot.store.schema import ACTIVE, NUMBER_STATE, RETIRED, TARGETS

ACTION_LABELS = {
    "add_pattern": "添加话术", "retire_pattern": "停用话术", "activate_pattern": "启用话术", "park_pattern": "暂停话术",
    "add_number": "登记号码", "retire_number": "移除号码", "import": "批量导入", "approve_report": "通过举报",
    "reject_report": "驳回举报", "revert": "撤销", "activate_number": "恢复号码",
}
#: A revert of more scripts than this rebuilds the whole index instead of syncing them one by one.
RELOAD_ABOVE = 100


def history(engine: Engine, limit: int = 20, target: str | None = None, actor: str | None = None) -> list[dict[str, Any]]:
    """The audit log, newest first (optionally for one target such as ``pattern:12`` or one actor)."""
    rows = audit_rows.newest(engine.store, limit, _normalize_target(target) if target else None, actor)
    for r in rows:
        r["before"], r["after"] = loads(r["before"]), loads(r["after"])
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
        return f"pattern:{pattern_id(rest)}"
    return str(ref)


def _audit_row(engine: Engine, aid: int) -> dict[str, Any]:
    row = audit_rows.get(engine.store, aid)
    if row is None:
        raise AdminError(f"没有编号为 {aid} 的审计记录。")
    return row


def _resolve(engine: Engine, ref: int | str) -> dict[str, Any] | tuple[str, str]:
    """An audit row for ``ref`` (an audit id, or the latest un-reverted change of ``pattern:ID`` /
    ``number:N``), or (kind, key) for a target that has no audit row (a seeded script)."""
    s = str(ref).strip().lstrip("#")
    if s.isdigit():
        return _audit_row(engine, int(s))
    kind, _, rest = s.partition(":")
    if kind not in TARGETS or not rest:
        raise AdminError(f"无法识别「{s[:40]}」：请给出审计编号（history 中的 #ID），或 pattern:ID / number:号码。")
    target = _normalize_target(s)
    row = audit_rows.latest_in_effect(engine.store, target)
    if row is not None:
        return row
    key = target.partition(":")[2]
    if audit_rows.target_row(engine.store, kind, key) is None:
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
    with write(engine.store):
        aid, msg = _revert_row(engine, row, actor, touched)
        mark_changed(engine)
    if len(touched) > RELOAD_ABOVE:
        engine.reload()
    else:
        for pid in touched:
            sync_pattern(engine, pid)
    return RevertResult(aid, row["id"], row["target"], msg)


def _toggle(engine: Engine, kind: str, key: str, actor: str) -> RevertResult:
    """Retire an active target that has no history, or reactivate a retired one."""
    if kind == "report":
        raise AdminError(f"report:{key} 没有可撤销的审核记录。")
    cur = audit_rows.target_row(engine.store, kind, key) or {}
    status = RETIRED if cur.get("status") == ACTIVE else ACTIVE
    with write(engine.store):
        audit_rows.update_target(engine.store, kind, key, {"status": status, "updated_at": now()})
        verb = "retire" if status == RETIRED else "activate"
        aid = audit(engine, actor, f"{verb}_{kind}", f"{kind}:{key}", {"status": cur.get("status")}, {"status": status})
        mark_changed(engine)
    if kind == "pattern":
        sync_pattern(engine, int(key))
    return RevertResult(aid, None, f"{kind}:{key}", f"{kind}:{key} → {STATUS_LABELS[status]}")


def undo_last(engine: Engine, actor: str) -> RevertResult:
    """/undo: revert this actor's most recent change that is still in effect (repeat to go further back)."""
    aid = audit_rows.latest_of_actor(engine.store, actor)
    if aid is None:
        raise AdminError("没有可以撤销的操作。")
    return revert(engine, aid, actor)


def _apply(engine: Engine, kind: str, key: str, state: dict[str, Any], actor: str, reverts: int | None,
           linked: int | None = None) -> int:
    """Set ``state`` on the target and write the revert's audit row (before = the current values)."""
    cur = audit_rows.target_row(engine.store, kind, key)
    if cur is None:
        raise AdminError(f"{kind}:{key} 已不存在，无法撤销。")
    state = {k: v for k, v in state.items() if k in TARGETS[kind][2]}
    before = {k: cur.get(k) for k in state}
    if before == state:
        raise AdminError(f"无需撤销：{kind}:{key} 已经是撤销后的状态。")
    audit_rows.update_target(engine.store, kind, key, {**state, "updated_at": now()})
    after: dict[str, Any] = {**state, "_reverts": reverts}
    if linked is not None:
        after["_linked"] = linked
    return audit(engine, actor, "revert", f"{kind}:{key}", before, after)


def _revert_row(engine: Engine, row: dict[str, Any], actor: str, touched: set[int]) -> tuple[int, str]:
    if row.get("reverted_by"):
        raise AdminError(f"审计记录 #{row['id']} 已被 #{row['reverted_by']} 撤销过。")
    kind, _, key = row["target"].partition(":")
    before, after = loads(row["before"]), loads(row["after"]) or {}
    if row["action"] == "import":
        aid, msg = _revert_import(engine, row, actor, touched)
    elif kind in TARGETS:
        state = {"status": RETIRED} if before is None else {k: v for k, v in before.items() if not k.startswith("_")}
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
    audit_rows.set_reverted_by(engine.store, row["id"], aid)
    if row["action"] == "revert" and isinstance(after, dict) and after.get("_reverts"):
        audit_rows.set_reverted_by(engine.store, int(after["_reverts"]), None)  # that change is in effect again
    return aid, msg


def _revert_import(engine: Engine, row: dict[str, Any], actor: str, touched: set[int]) -> tuple[int, str]:
    batch = row["id"]
    stamp = now()
    pids = pattern_rows.retire_batch(engine.store, batch, stamp)
    n_num = number_rows.retire_batch(engine.store, batch, stamp)
    restored = 0
    for item in audit_rows.items(engine.store, batch):
        kind, _, key = item["target"].partition(":")
        before = loads(item["before"]) or {}
        if kind == "number" and before:
            number_rows.update(engine.store, key, {**{k: before.get(k) for k in NUMBER_STATE}, "updated_at": stamp})
            restored += 1
    touched.update(pids)
    aid = audit(engine, actor, "revert", row["target"], None,
                {"_reverts": batch, "retired_scripts": len(pids), "retired_numbers": n_num, "restored_numbers": restored})
    return aid, f"已撤销导入 #{batch}：停用话术 {len(pids)} 条、号码 {n_num} 个，恢复号码 {restored} 个"
