"""How right the lookups are: number and link lookups (and the numbers and handles found in a message)
checked against files of expected answers, with the accuracy per kind of row.

Why: a lookup answer is only worth giving if an agent can rely on it, and "per kind" shows where it is
not (banks called look-alikes, foreign numbers without a warning, a QQ id read as a phone number).

A row (one JSON object a line) is either a lookup — ``{"input": "95588", "kind": "bank", "expect":
{"status": "official", "org": "中国工商银行", "org_kind": "bank"}}`` — or a message —
``{"text": "添加工作人员QQ 2837465910", "kind": "handle_in_text", "expect": {"contacts": ["qq:2837465910"],
"numbers": []}}``. Expected keys: ``status``, ``org``, ``org_kind``, ``normalized``, ``display``,
``number_kind`` (the lookup's ``kind``), ``warning`` (a phrase one warning contains), ``no_warnings``;
for messages ``contacts`` ("qq:id" / "wechat:id") and ``numbers`` (normalized keys). A row is right when
every expected key holds.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from bot.model import LinkCheck, Lookup
from bot.pipeline.engine import Engine


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a lookup file; a malformed line raises ValueError naming it."""
    rows = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            raise ValueError(f"第 {i} 行不是 JSON：{e}") from None
        if not isinstance(row, dict) or not isinstance(row.get("expect"), dict) or not (
                "input" in row or "text" in row):
            raise ValueError(f"第 {i} 行需要 input（或 text）和 expect")
        rows.append(row)
    return rows


def answer(engine: Engine, row: dict[str, Any]) -> dict[str, Any]:
    """What the engine says for one row, as a flat dict of the keys rows can expect."""
    if "text" in row:
        v = engine.analyze(str(row["text"]))
        return {"contacts": [f"{c.kind}:{c.id}" for c in v.contacts], "numbers": [lk.normalized for lk in v.numbers]}
    found = engine.lookup_any(str(row["input"]))
    if isinstance(found, LinkCheck):
        return {"status": found.status, "org": found.org, "org_kind": found.org_kind, "warnings": []}
    return _lookup_answer(found)


def _lookup_answer(lk: Lookup) -> dict[str, Any]:
    return {"status": lk.status, "org": lk.org or lk.insurer, "org_kind": lk.org_kind, "normalized": lk.normalized,
            "display": lk.display, "number_kind": lk.kind, "warnings": lk.warnings}


def mismatches(expect: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """The expected keys that do not hold (empty: the row is right)."""
    bad = []
    for key, want in expect.items():
        if key == "warning":
            ok = any(str(want) in w for w in got.get("warnings") or [])
        elif key == "no_warnings":
            ok = not got.get("warnings") if want else True
        else:
            ok = got.get(key) == want
        if not ok:
            bad.append(f"{key}: 期望 {want!r}，得到 {got.get('warnings' if key.endswith('warning') else key)!r}")
    return bad


def evaluate(engine: Engine, rows: list[dict[str, Any]], errors: int = 0) -> dict[str, Any]:
    """Accuracy overall and per kind; the first ``errors`` wrong rows with what was wrong."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrong = []
    for row in rows:
        bad = mismatches(row["expect"], answer(engine, row))
        counts = per[str(row.get("kind") or "-")]
        counts[1] += 1
        if not bad:
            counts[0] += 1
        elif len(wrong) < errors:
            wrong.append({"input": row.get("input", row.get("text")), "kind": row.get("kind"), "wrong": bad})
    right, total = sum(c[0] for c in per.values()), sum(c[1] for c in per.values())
    return {"rows": total, "right": right, "accuracy": round(right / total, 4) if total else 0.0,
            "by_kind": {k: {"right": c[0], "rows": c[1], "accuracy": round(c[0] / c[1], 4)} for k, c in sorted(per.items())},
            "errors": wrong}


def format_report(result: dict[str, Any]) -> str:
    """The result as the terminal prints it: overall, then one line per kind, then the errors."""
    lines = [f"查询准确率：{result['accuracy']:.1%}（{result['right']}/{result['rows']}）", "按类别："]
    for kind, c in result["by_kind"].items():
        lines.append(f"  {kind:<20} {c['accuracy']:6.1%}  {c['right']}/{c['rows']}")
    for e in result["errors"]:
        lines.append(f"✗ [{e['kind']}] {e['input']!r}：" + "；".join(e["wrong"]))
    return "\n".join(lines)
