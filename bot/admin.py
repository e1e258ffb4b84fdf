"""Admin operations shared by the chat commands and the command line: add/remove scripts and
numbers, bulk import/export. Every change is one transaction and leaves an audit row."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .engine import Engine
from .numbers import parse as parse_number
from .store import now, today, write
from .verdict import SCAM_TYPES

#: Shortest script accepted: shorter texts match far too much.
MIN_PATTERN_CHARS = 8


class AdminError(ValueError):
    """A refused admin action; the message is shown to the admin as is (Chinese)."""


def audit(engine: Engine, actor: str, action: str, target: str, before: Any = None, after: Any = None) -> None:
    engine.db["audit"].insert({
        "at": now(), "actor": str(actor), "action": action, "target": str(target),
        "before": json.dumps(before, ensure_ascii=False) if before is not None else None,
        "after": json.dumps(after, ensure_ascii=False) if after is not None else None,
    })


def check_type(scam_type: str) -> str:
    t = (scam_type or "").strip()
    aliases = {v: k for k, v in SCAM_TYPES.items()}
    t = aliases.get(t, t)
    if t not in SCAM_TYPES:
        raise AdminError(f"未知的诈骗类型「{scam_type}」。可用类型：" + "、".join(f"{k}（{v}）" for k, v in SCAM_TYPES.items()))
    return t


def check_pattern_text(text: str) -> str:
    text = " ".join((text or "").split())
    if "\x00" in text:
        raise AdminError("话术包含无效字符。")
    if len(text) < MIN_PATTERN_CHARS:
        raise AdminError(f"话术太短（少于 {MIN_PATTERN_CHARS} 个字），会误报大量正常消息。")
    if len(text) > 2000:
        raise AdminError("话术太长（超过 2000 字），请只保留诈骗的关键说法。")
    return text


@dataclass
class PatternResult:
    id: int | None
    scam_type: str
    text: str
    dry_run: bool = False
    report: dict[str, Any] = field(default_factory=dict)


def add_pattern(engine: Engine, scam_type: str, text: str, actor: str = "cli", dry_run: bool = False,
                source: str = "admin") -> PatternResult:
    """Add a scam script; it takes effect at once (the in-memory index is updated)."""
    scam_type = check_type(scam_type)
    text = check_pattern_text(text)
    if dry_run:
        return PatternResult(None, scam_type, text, True)
    norm, terms = engine.script_forms(text)
    dup = list(engine.db.query("select id from patterns where norm = ? and status = 'active'", [norm]))
    if dup:
        raise AdminError(f"相同的话术已存在（#{dup[0]['id']}）。")
    with write(engine.db):
        row = {"scam_type": scam_type, "text": text, "norm": norm, "terms": json.dumps(terms, ensure_ascii=False),
               "status": "active", "source": source, "created_by": str(actor), "created_at": now(),
               "updated_at": now()}
        pid = engine.db["patterns"].insert(row).last_pk
        audit(engine, actor, "add_pattern", pid, None, {"scam_type": scam_type, "text": text})
    engine.index_add(pid, scam_type, text)
    return PatternResult(pid, scam_type, text)


def del_pattern(engine: Engine, pid: int | str, actor: str = "cli") -> dict[str, Any]:
    """Retire a pattern (kept for the audit trail and undo, no longer matched)."""
    try:
        pid = int(str(pid).lstrip("#"))
    except ValueError:
        raise AdminError(f"话术编号「{pid}」无效，应为数字。") from None
    rows = list(engine.db.query("select * from patterns where id = ?", [pid]))
    if not rows or rows[0]["status"] == "retired":
        raise AdminError(f"没有编号为 {pid} 的有效话术。")
    with write(engine.db):
        engine.db["patterns"].update(pid, {"status": "retired", "updated_at": now()})
        audit(engine, actor, "del_pattern", pid, {"status": rows[0]["status"]}, {"status": "retired"})
    engine.index_remove(pid)
    return rows[0]


def add_number(engine: Engine, number: str, scam_type: str, note: str = "", actor: str = "cli",
               source: str = "admin") -> dict[str, Any]:
    """Record a reported number (a second report of the same number increments its count)."""
    scam_type = check_type(scam_type)
    p = parse_number(number)
    if p is None:
        raise AdminError(f"「{str(number)[:40]}」不是有效的电话号码。")
    lk = engine.lookup(number)
    if lk.status == "official":
        raise AdminError(f"{p.normalized} 是{lk.insurer}的官方号码，不能登记为诈骗号码（来电显示可能被伪造，请登记对方实际留下的号码）。")
    note = " ".join((note or "").split())[:500]
    with write(engine.db):
        prev = list(engine.db.query("select * from numbers where number = ?", [p.normalized]))
        if prev:
            old = prev[0]
            types = [t for t in str(old["scam_type"] or "").split(",") if t]
            if scam_type not in types:
                types.append(scam_type)
            rec = {"reports": int(old["reports"] or 0) + 1, "scam_type": ",".join(types), "last_reported": today(),
                   "status": "active", "note": note or old["note"]}
            engine.db["numbers"].update(p.normalized, rec)
            audit(engine, actor, "add_number", p.normalized, dict(old), rec)
            return {**old, **rec}
        rec = {"number": p.normalized, "scam_type": scam_type, "note": note, "reports": 1,
               "first_reported": today(), "last_reported": today(), "status": "active", "source": source,
               "created_by": str(actor), "created_at": now()}
        engine.db["numbers"].insert(rec)
        audit(engine, actor, "add_number", p.normalized, None, rec)
    return rec


def del_number(engine: Engine, number: str, actor: str = "cli") -> dict[str, Any]:
    p = parse_number(number)
    key = p.normalized if p else str(number)
    rows = list(engine.db.query("select * from numbers where number = ? and status = 'active'", [key]))
    if not rows:
        raise AdminError(f"号码 {key} 不在举报库中。")
    with write(engine.db):
        engine.db["numbers"].update(key, {"status": "retired"})
        audit(engine, actor, "del_number", key, {"status": "active"}, {"status": "retired"})
    return rows[0]


# --- bulk import / export ----------------------------------------------------------------------------

SCRIPT_FIELDS = ("type", "text")
NUMBER_FIELDS = ("number", "type", "note")


def _read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from .jsonl, .csv or .yaml."""
    suffix = path.suffix.lower()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AdminError(f"{path.name}: 不是 UTF-8 文本文件。") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    if suffix == ".jsonl":
        for i, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = None
                rows.append((i, obj if isinstance(obj, dict) else {"__error__": "不是 JSON 对象"}))
    elif suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        for i, r in enumerate(reader, 2):
            rows.append((i, {k: v for k, v in r.items() if k is not None}))
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            raise AdminError(f"{path.name}: YAML 格式错误：{e}") from None
        items = (data.get("scripts") or []) + (data.get("numbers") or []) if isinstance(data, dict) else data
        for i, r in enumerate(items or [], 1):
            rows.append((i, r if isinstance(r, dict) else {"__error__": "不是对象"}))
    else:
        raise AdminError(f"不支持的文件类型 {suffix}：请用 .jsonl、.csv 或 .yaml")
    return rows


def validate(engine: Engine, path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Split a file into valid scripts and numbers, and the errors (each with its line number)."""
    scripts, nums, errors = [], [], []
    for line, r in _read_rows(path):
        if "__error__" in r:
            errors.append(f"第 {line} 行：{r['__error__']}")
            continue
        try:
            if str(r.get("number") or "").strip():
                p = parse_number(str(r["number"]))
                if p is None:
                    raise AdminError(f"号码「{str(r['number'])[:30]}」无效")
                nums.append({**r, "number": p.normalized, "type": check_type(str(r.get("type") or ""))})
            elif str(r.get("text") or "").strip():
                scripts.append({**r, "type": check_type(str(r.get("type") or "")),
                                "text": check_pattern_text(str(r["text"]))})
            else:
                raise AdminError("既没有 text 也没有 number")
        except AdminError as e:
            errors.append(f"第 {line} 行：{e}")
    return scripts, nums, errors


def import_file(engine: Engine, path: str | Path, actor: str = "cli", allow_errors: bool = False,
                progress: bool = False) -> dict[str, Any]:
    """Import scripts and numbers in one transaction: a file with a bad row imports nothing unless
    ``allow_errors`` (then the good rows are imported and the bad ones reported)."""
    path = Path(path)
    if not path.exists():
        raise AdminError(f"文件不存在：{path}")
    scripts, nums, errors = validate(engine, path)
    if errors and not allow_errors:
        return {"imported_scripts": 0, "imported_numbers": 0, "errors": errors, "aborted": True}
    existing = {r["norm"] for r in engine.db.query("select norm from patterns where status = 'active'")}
    stamp = now()
    added_scripts = skipped = 0
    bar = _bar(progress, len(scripts) + len(nums), path.name)
    with write(engine.db):
        batch = []
        for r in scripts:
            norm, terms = engine.script_forms(r["text"])
            bar.update(1)
            if norm in existing:
                skipped += 1
                continue
            existing.add(norm)
            batch.append({"scam_type": r["type"], "text": r["text"], "norm": norm,
                          "terms": json.dumps(terms, ensure_ascii=False), "status": "active", "source": "import",
                          "created_by": str(actor), "created_at": stamp, "updated_at": stamp,
                          "note": str(r.get("note") or "")})
        if batch:
            engine.db["patterns"].insert_all(batch, batch_size=1000)
            added_scripts = len(batch)
        num_rows = {}
        for r in nums:
            num_rows[r["number"]] = {
                "number": r["number"], "scam_type": r["type"], "note": str(r.get("note") or ""),
                "reports": int(r.get("reports") or 1), "first_reported": r.get("first_reported") or today(),
                "last_reported": r.get("last_reported") or today(), "status": "active", "source": "import",
                "created_by": str(actor), "created_at": stamp,
            }
        if num_rows:
            engine.db["numbers"].upsert_all(num_rows.values(), pk="number", batch_size=5000)
        bar.update(len(nums))
        audit(engine, actor, "import", path.name, None,
              {"scripts": added_scripts, "numbers": len(num_rows), "skipped_duplicates": skipped})
    bar.close()
    engine.reload()
    return {"imported_scripts": added_scripts, "imported_numbers": len(num_rows), "skipped_duplicates": skipped,
            "errors": errors, "aborted": False}


def _bar(enabled: bool, total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled or total < 2000, unit="行")


def export_rows(engine: Engine) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    scripts = [{"type": r["scam_type"], "text": r["text"], "note": r["note"] or ""}
               for r in engine.db.query("select scam_type, text, note from patterns where status = 'active' order by id")]
    nums = [{"number": r["number"], "type": r["scam_type"], "note": r["note"] or "", "reports": r["reports"],
             "first_reported": r["first_reported"] or "", "last_reported": r["last_reported"] or ""}
            for r in engine.db.query("select * from numbers where status = 'active' order by number")]
    return scripts, nums


def export_file(engine: Engine, path: str | Path) -> dict[str, int]:
    """Write active scripts and numbers in a format ``import_file`` reads back unchanged."""
    path = Path(path)
    scripts, nums = export_rows(engine)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for r in scripts + nums:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif suffix == ".csv":
        cols = ["type", "text", "note", "number", "reports", "first_reported", "last_reported"]
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            for r in scripts + nums:
                w.writerow({c: r.get(c, "") for c in cols})
    elif suffix in (".yaml", ".yml"):
        path.write_text(yaml.safe_dump({"scripts": scripts, "numbers": nums}, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    else:
        raise AdminError(f"不支持的文件类型 {suffix}：请用 .jsonl、.csv 或 .yaml")
    return {"scripts": len(scripts), "numbers": len(nums)}
