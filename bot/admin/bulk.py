"""Bulk import and export of scripts and numbers (.jsonl, .csv, .yaml), keeping files and database in
step: a file with a bad row imports nothing (unless asked), every error is reported with its line
number, and export → import round-trips exactly. An import is one transaction with one audit row, so
:func:`bot.admin.history.revert` undoes it.

Files are read with the ``json``, ``csv`` and ``yaml`` libraries. Our own YAML export writes one JSON
object per item line (valid YAML, and read back line by line with ``json`` — a million numbers in
seconds, where a YAML parser needs minutes); any other YAML goes through the YAML parser.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.admin.changes import audit, mark_changed
from bot.admin.lifecycle import merged_types
from bot.admin.number_keys import fast_number_key
from bot.admin.validation import AdminError, check_pattern_text, check_type, check_types, clean_note
from bot.pipeline.engine import Engine
from bot.store import audit as audit_rows
from bot.store import now, write
from bot.store import numbers as number_rows
from bot.store import patterns as pattern_rows
from bot.store.db import chunks
from bot.store.schema import ACTIVE, IMPORT, NUMBER_STATE, STATUSES

SCRIPT_FIELDS = ("type", "text", "note", "status")
NUMBER_FIELDS = ("number", "type", "note", "reports", "first_reported", "last_reported", "status")
CSV_FIELDS = ("type", "text", "number", "note", "reports", "first_reported", "last_reported", "status")
SUFFIXES = (".jsonl", ".csv", ".yaml", ".yml")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXPORT_HEADER = "# PolicyGuard export: scam scripts and reported numbers (python run.py admin import FILE)"
#: The lines of our YAML export that are not items.
_YAML_KEYS = ("scripts:", "numbers:", "scripts: []", "numbers: []")
#: Import refuses more than this many per-row errors in its report (the rest are counted).
MAX_LISTED_ERRORS = 200
#: Largest file ``import`` reads (a million numbers as JSONL is ~120 MB), and largest YAML file that is
#: not in our export's layout (those go through the YAML parser, which holds the whole document).
MAX_IMPORT_BYTES = 512 * 1024 * 1024
MAX_YAML_BYTES = 16 * 1024 * 1024
#: Cells a spreadsheet would run as a formula start with one of these (CSV injection, OWASP): the export
#: writes a ``'`` before them, and before a leading ``'`` too, and import takes exactly that one off.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _unsupported(suffix: str) -> AdminError:
    return AdminError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .jsonl、.csv 或 .yaml")


# --- reading -----------------------------------------------------------------------------------------


def _read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from .jsonl, .csv or .yaml; a row that is not an object is
    ``{"__error__": reason}``."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _unsupported(suffix)
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise AdminError(f"{path.name}: 文件太大（{size / 2**20:.0f} MB，上限 {MAX_IMPORT_BYTES // 2**20} MB），请分成几个文件导入。")
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
                    yield reader.line_num, {(k or "").strip(): _from_cell(v) for k, v in r.items()}
        elif head.lstrip(b"\xef\xbb\xbf").startswith(_EXPORT_HEADER.encode()):
            with path.open(encoding="utf-8-sig", newline="") as fh:  # our own export, streamed
                for i, obj in _export_items(fh):
                    yield i, obj if obj is not None else {"__error__": "不是导出格式的条目（应为 - {\"type\": …}）"}
        else:
            if size > MAX_YAML_BYTES:
                raise AdminError(f"{path.name}: YAML 文件太大（{size / 2**20:.0f} MB，上限 {MAX_YAML_BYTES // 2**20} MB）："
                                 "大文件请用 .jsonl，或本程序导出的 YAML。")
            yield from _read_yaml(path, path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise AdminError(f"{path.name}: 不是 UTF-8 文本文件。") from None
    except csv.Error as e:
        raise AdminError(f"{path.name}: CSV 格式错误：{e}") from None


def _export_items(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(line number, item) for every item line in the layout of our YAML export (``- {JSON object}``);
    the item is None where a line is not one. Comments and the ``scripts:``/``numbers:`` keys are skipped."""
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#") or s in _YAML_KEYS:
            continue
        try:
            obj = json.loads(s[2:]) if s.startswith("- {") else None
        except ValueError:
            obj = None
        yield i, obj if isinstance(obj, dict) else None


def _read_yaml(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """A YAML file in our export's layout (without its header) is read line by line; any other YAML is
    parsed normally, with each item's line number from the parser."""
    fast: list[tuple[int, dict[str, Any]]] = []
    for i, obj in _export_items(text.splitlines()):
        if obj is None:
            break
        fast.append((i, obj))
    else:
        yield from fast
        return
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        node = yaml.compose(text, Loader=loader)
        _refuse_aliases(path, node)
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


def _refuse_aliases(path: Path, node: yaml.Node | None) -> None:
    """Refuse a YAML document that uses an alias (``*name``): a 461-byte file of nested aliases expands to
    gigabytes (a "billion laughs"), and nothing we read needs one. The node graph is walked once, each
    node once, so the bomb is refused before anything is expanded."""
    seen: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        n = stack.pop()
        if id(n) in seen:
            raise AdminError(f"{path.name}: YAML 使用了别名（*…，第 {n.start_mark.line + 1} 行）：导入不接受别名，请写出每一项。")
        seen.add(id(n))
        if isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))


def _to_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: ``'`` before a formula-looking start (and before a leading ``'``)."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _from_cell(value: Any) -> Any:
    """The value :func:`_to_cell` wrote (the one ``'`` it added taken off)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


# --- validating --------------------------------------------------------------------------------------


def _status(value: Any) -> str:
    s = str(value or ACTIVE).strip() or ACTIVE
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
        key = fast_number_key(number)
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
                          "note": clean_note(r.get("note")), "reports": int(reports),
                          **dates, "status": _status(r.get("status"))}
    if text:
        return "script", {"scam_type": check_type(str(r.get("type") or "")), "text": check_pattern_text(text),
                          "note": clean_note(r.get("note")), "status": _status(r.get("status"))}
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


# --- importing ---------------------------------------------------------------------------------------


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
    firsts = [d for d in (old["first_reported"], new["first_reported"]) if d]
    lasts = [d for d in (old["last_reported"], new["last_reported"]) if d]
    return {"scam_type": merged_types(old["scam_type"], new["scam_type"]), "note": old["note"] or new["note"],
            "reports": max(int(old["reports"] or 0), new["reports"]), "first_reported": min(firsts) if firsts else None,
            "last_reported": max(lasts) if lasts else None, "status": old["status"]}


def import_file(engine: Engine, path: str | Path, actor: str = "cli", allow_errors: bool = False,
                progress: bool = False, force: bool = False) -> ImportResult:
    """Import scripts and numbers in one transaction. Every row gets the checks ``add_pattern`` and
    ``add_number`` make (a script's mass-check, unless ``force`` as ``add-pattern --force``; an official
    number is never a scam number). A file with a bad row imports nothing unless ``allow_errors`` (then
    the good rows are imported and the bad ones reported). Scripts already present (same normalized
    text, checked under the write lock, so two imports at once cannot both add one) are skipped; numbers
    already present are merged (more reports, wider dates, added types; a retired number stays retired).
    One audit row; ``revert`` undoes it."""
    path = Path(path)
    if not path.is_file():
        raise AdminError(f"文件不存在：{path}")
    scripts, nums, errors = validate(engine, path, progress=progress)
    res = ImportResult(errors=errors)
    db = engine.store
    bar = _bar(progress, len(scripts) + len(nums), f"导入 {path.name}")
    stamp = now()
    prepared = _checked_scripts(engine, scripts, pattern_rows.norms(db), force, res, bar)
    by_key: dict[str, dict[str, Any]] = {}
    for r in nums:  # duplicates inside the file merge into one row
        official = _official(engine, r["number"])
        if official:
            res.errors.append(f"第 {r['line']} 行：{r['number']} 是{official}的官方号码，不能登记为诈骗号码")
            continue
        prev = by_key.get(r["number"])
        by_key[r["number"]] = r if prev is None else {**prev, **_merge_number(prev, r)}
    res.errors.sort(key=_line_of)
    if res.errors and not allow_errors:
        res.aborted = True
        bar.close()
        return res
    for p in prepared:
        p.update(created_by=str(actor), created_at=stamp, updated_at=stamp)
    with write(db):
        existing = pattern_rows.norms(db)  # again, under the lock: another import may have added them since
        fresh = [p for p in prepared if p["norm"] not in existing]
        res.skipped_duplicates += len(prepared) - len(fresh)
        prepared = fresh
        aid = audit(engine, actor, "import", f"file:{path.name}", None, {})
        res.audit_id = aid
        for p in prepared:
            p["batch"] = aid
        pattern_rows.insert_many(db, prepared)
        res.imported_scripts = len(prepared)
        new_rows, updates, items = [], [], []
        for chunk, _ in chunks(list(by_key)):
            found = number_rows.get_many(db, chunk)
            for k in chunk:
                r = by_key[k]
                old = found.get(k)
                if old is None:
                    new_rows.append((k, r["scam_type"], r["note"], r["reports"], r["first_reported"],
                                     r["last_reported"], r["status"], IMPORT, str(actor), stamp, stamp, aid))
                    continue
                merged = _merge_number(old, r)
                before = {f: old[f] for f in NUMBER_STATE}
                if merged == before:
                    res.skipped_duplicates += 1
                    continue
                updates.append((merged["scam_type"], merged["note"], merged["reports"], merged["first_reported"],
                                merged["last_reported"], stamp, k))
                items.append((aid, f"number:{k}", json.dumps(before, ensure_ascii=False)))
            bar.update(len(chunk))
        number_rows.insert_imported(db, new_rows)
        number_rows.update_imported(db, updates)
        audit_rows.add_items(db, items)
        res.new_numbers, res.updated_numbers = len(new_rows), len(updates)
        res.imported_numbers = len(new_rows) + len(updates)
        audit_rows.set_after(db, aid, {
            "scripts": res.imported_scripts, "numbers": res.imported_numbers, "numbers_new": res.new_numbers,
            "numbers_updated": res.updated_numbers, "skipped_duplicates": res.skipped_duplicates,
            "errors": len(res.errors), "stamp": stamp})
        mark_changed(engine)
    bar.close()
    engine.reload()
    return res


def _checked_scripts(engine: Engine, scripts: list[dict[str, Any]], existing: set[str], force: bool,
                     res: ImportResult, bar) -> list[dict[str, Any]]:
    """The file's new scripts as rows to insert, each after the mass-check ``add_pattern`` runs: a refused
    one is an error of its line (with ``force`` a warning, as ``add-pattern --force`` adds it anyway).
    Scripts already stored or earlier in the file are skipped (and counted)."""
    from bot.admin import masscheck

    seen = set(existing)
    out = []
    for r in scripts:
        norm, terms = engine.script_forms(r["text"])
        bar.update(1)
        if norm in seen:
            res.skipped_duplicates += 1
            continue
        seen.add(norm)
        if force:
            problems = masscheck.generic_problems(engine, norm, terms)
            if problems:
                res.warnings.append(f"第 {r['line']} 行：" + "；".join(problems))
        else:
            dry = masscheck.dry_run(engine, r["scam_type"], r["text"])
            if dry.refused:
                res.errors.append(f"第 {r['line']} 行：" + "；".join(dry.problems) + "（确认无误可加 --force）")
                continue
        out.append({"scam_type": r["scam_type"], "text": r["text"], "norm": norm,
                    "terms": json.dumps(terms, ensure_ascii=False), "status": r["status"], "source": IMPORT,
                    "note": r["note"]})
    return out


def _official(engine: Engine, key: str) -> str | None:
    """Whose official number ``key`` is (as ``add_number`` refuses it), or None."""
    official = engine.knowledge.official_numbers
    if key not in official and key.removeprefix("+86") not in official and not (len(key) <= 12 and key[:1] != "+"):
        return None  # a mobile or landline not in the registry: no lookup (a million of them import in seconds)
    lk = engine.lookup(key)
    return (lk.insurer or "官方机构") if lk.status == "official" else None


def _line_of(error: str) -> int:
    m = re.match(r"第 (\d+) 行", error)
    return int(m.group(1)) if m else 0


def _bar(enabled: bool, total: int | None, desc: str):
    """A tqdm progress bar on stderr for large files (silent for small ones and when not asked)."""
    from tqdm import tqdm

    show = enabled and sys.stderr.isatty() if total is None else enabled and total >= 2000
    return tqdm(total=total, desc=desc, disable=not show, unit="行", file=sys.stderr, mininterval=0.5)


# --- exporting ---------------------------------------------------------------------------------------


def export_rows(engine: Engine) -> tuple[list[dict[str, Any]], Iterator[dict[str, Any]]]:
    """Scripts and numbers that are in use (active or pending), in a stable order that does not depend
    on row ids (so a re-imported file exports identically): scripts by type and text, numbers by key."""
    scripts = [{"type": r["scam_type"], "text": r["text"], "note": r["note"] or "", "status": r["status"]}
               for r in pattern_rows.in_use(engine.store)]

    def nums() -> Iterator[dict[str, Any]]:
        for r in number_rows.in_use(engine.store):
            yield {"number": r["number"], "type": r["scam_type"], "note": r["note"] or "", "reports": r["reports"],
                   "first_reported": r["first_reported"] or "", "last_reported": r["last_reported"] or "",
                   "status": r["status"]}

    return scripts, nums()


# characters a YAML double-quoted scalar cannot hold raw (non-printable or line breaks); JSON leaves them
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _yaml_item(obj: dict[str, Any]) -> str:
    s = json.dumps(obj, ensure_ascii=False)
    return "- " + _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", s)


def export_file(engine: Engine, path: str | Path, force: bool = False) -> dict[str, int]:
    """Write active and pending scripts and numbers in a format ``import_file`` reads back unchanged.
    The YAML is one JSON object per item (valid YAML, and fast to read back for a million numbers).
    An existing file is kept (AdminError) unless ``force``, as ``backup`` does; CSV cells that a
    spreadsheet would run as a formula get a leading ``'`` (import takes it off)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _unsupported(suffix)
    if path.exists() and not force:
        raise AdminError(f"{path} 已存在，未覆盖：换一个文件名，或加 --force 覆盖。")
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
                w.writerow({c: _to_cell(r.get(c, "")) for c in CSV_FIELDS})
            for r in nums:
                w.writerow({c: _to_cell(r.get(c, "")) for c in CSV_FIELDS})
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
