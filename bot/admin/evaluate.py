"""``run.py eval``: precision, recall and false-positive rate on labeled messages, overall, per scam
type and per tag (hard cases), so detection quality is measured, not assumed."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot import render
from bot.model import SCAM_TYPE_ALIASES, SCAM_TYPE_PARENTS
from bot.pipeline.engine import Engine

if TYPE_CHECKING:
    from bot.model import Verdict


def read_labeled(path: Path, label: str | None = None) -> Iterator[dict[str, Any]]:
    """Rows {text, label, type?, tags?} from .jsonl, .csv (a text/content column), .yaml (the
    ``messages:`` of known_legit.yaml or the ``scripts:`` of a scripts file, each item's ``text``) or plain
    text lines.

    ``label`` forces every row's label (e.g. a file of fraud messages without a label column). A .yaml
    file is read as data, never line by line (its comments and keys are not messages).
    """
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    if isinstance(row, dict) and "text" in row:
                        yield _fix(row, label)
    elif suffix == ".csv":
        csv.field_size_limit(10_000_000)
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = row.get("text") or row.get("content") or ""
                lab = label or row.get("label")
                if str(row.get("is_fraud", "")).strip() in ("0", "1") and not label:
                    lab = "scam" if row["is_fraud"].strip() == "1" else "legit"
                yield _fix({"text": text, "label": lab, "type": row.get("type")}, None)
    elif suffix in (".yaml", ".yml"):
        yield from _yaml_rows(path, label)
    else:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip():
                    yield _fix({"text": line.rstrip("\n"), "label": label or "scam"}, None)


def _yaml_rows(path: Path, label: str | None) -> Iterator[dict[str, Any]]:
    """known_legit.yaml's messages (legitimate unless told) or a scripts file's scripts (scam, of its type),
    read as the classifier reads them for training."""
    import yaml

    from bot.pipeline.classifier import yaml_rows

    try:
        rows = list(yaml_rows(path))
    except yaml.YAMLError as e:  # the CLI reports a ValueError as "cannot read this file"
        raise ValueError(f"{path.name}: not valid YAML ({str(e).splitlines()[0]})") from e
    for text, is_scam, scam_type in rows:
        row = {"text": text, "label": label or ("scam" if is_scam else "legit")}
        yield _fix({**row, "type": scam_type or None} if is_scam else row, None)


def _fix(row: dict[str, Any], label: str | None) -> dict[str, Any]:
    lab = str(label or row.get("label") or "").lower()
    lab = {"1": "scam", "fraud": "scam", "spam": "scam", "0": "legit", "ham": "legit"}.get(lab, lab)
    row["label"] = lab
    return row


#: What is measured: the whole engine, the rules without the classifier, or the classifier alone.
MODES = ("both", "rules", "classifier")


def _predict(engine: Engine, text: str, mode: str) -> tuple[Verdict, bool]:
    if mode == "classifier":
        v = engine.analyze(text, second_opinion=False)
        p = engine.scam_probability(text)
        threshold = engine.classifier.settings.threshold if engine.classifier is not None else 1.0
        return v, p is not None and p >= threshold
    v = engine.analyze(text, second_opinion=(mode == "both"))
    return v, v.is_scam


def evaluate(engine: Engine, rows: Iterable[dict[str, Any]], errors: int = 0,
             by: Iterable[str] = (), mode: str = "both") -> dict[str, Any]:
    """Precision, recall and false-positive rate over labeled rows, overall and per slice (hard rows,
    each scam type, tags; with ``by``: each source site and/or script, Simplified or Traditional); for
    scam rows caught, how often the answer's primary type is the row's type, the confusions, and the
    longest short answer. ``mode`` is one of :data:`MODES`."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
    by = set(by)
    tally: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fn": 0, "fp": 0, "tn": 0})
    misses: list[dict[str, Any]] = []
    primary: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusions: Counter[tuple[str, str]] = Counter()
    longest_short = 0
    for row in rows:
        if row["label"] not in ("scam", "legit"):
            continue
        v, pred = _predict(engine, row["text"], mode)
        scam = row["label"] == "scam"
        cell = "tp" if scam and pred else "fn" if scam else "fp" if pred else "tn"
        keys = ["all"]
        want = SCAM_TYPE_ALIASES.get(str(row.get("type") or ""), str(row.get("type") or ""))
        if scam and want:
            keys.append("type:" + want)
        if row.get("hard"):
            keys.append("hard")
        keys += ["tag:" + str(t) for t in row.get("tags") or []]
        if "source" in by:
            keys.append("source:" + _site(str(row.get("source") or "")))
        if "script" in by:
            keys.append("script:" + ("Traditional" if v.traditional else "Simplified"))
        for k in keys:
            tally[k][cell] += 1
        if cell == "tp":
            longest_short = max(longest_short, len(render.verdict_short_text(v)))
            if want:
                primary[want][1] += 1
                right = want in (v.primary_type, SCAM_TYPE_PARENTS.get(v.primary_type))
                primary[want][0] += right
                if not right:
                    confusions[(want, v.primary_type)] += 1
        if cell in ("fn", "fp") and len(misses) < errors:
            misses.append({"error": cell, "label": row["label"], "type": row.get("type"), "risk": v.risk,
                           "score": round(v.score), "text": row["text"][:160],
                           "signals": [s.name for s in v.signals],
                           "match": v.matches[0].similarity if v.matches else None})
    total = [sum(x[0] for x in primary.values()), sum(x[1] for x in primary.values())]
    return {"metrics": {k: _metrics(c) for k, c in sorted(tally.items(), key=_order)}, "errors": misses,
            "primary_type": {"all": _share(total), **{t: _share(x) for t, x in sorted(primary.items())}},
            "confusions": [{"type": a, "answered": b, "count": n} for (a, b), n in confusions.most_common(10)],
            "longest_short_answer": longest_short}


def _share(x: list[int]) -> dict[str, Any]:
    return {"correct": x[0], "of": x[1], "accuracy": round(x[0] / x[1], 4) if x[1] else None}


def _site(url: str) -> str:
    """A row's source page, as its site (the host without www.)."""
    host = urlsplit(url).hostname or url or "-"
    return host.removeprefix("www.")


def _order(kv):
    k = kv[0]
    rank = {"all": 0, "hard": 1}.get(k, 2 if k.startswith("type:") else 4 if k.startswith(("source:", "script:")) else 3)
    return (rank, k)


def _metrics(c: dict[str, int]) -> dict[str, Any]:
    tp, fn, fp, tn = c["tp"], c["fn"], c["fp"], c["tn"]
    return {
        "scam": tp + fn, "legit": fp + tn, "tp": tp, "fn": fn, "fp": fp, "tn": tn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
        "fpr": round(fp / (fp + tn), 4) if fp + tn else None,
    }


def format_report(result: dict[str, Any]) -> str:
    def pct(x):
        return "   -  " if x is None else f"{100 * x:5.1f}%"

    lines = [f"{'slice':34} {'scam':>5} {'legit':>6} {'precision':>9} {'recall':>7} {'FPR':>7}"]
    for k, m in result["metrics"].items():
        lines.append(f"{k:34} {m['scam']:5d} {m['legit']:6d} {pct(m['precision']):>9} {pct(m['recall']):>7} {pct(m['fpr']):>7}")
    pt = result.get("primary_type") or {}
    if pt.get("all", {}).get("of"):
        lines.append("")
        lines.append(f"{'primary type (caught scams)':34} {'right':>5} {'of':>6} {'accuracy':>9}")
        for t, x in pt.items():
            lines.append(f"{t:34} {x['correct']:5d} {x['of']:6d} {pct(x['accuracy']):>9}")
        for c in result.get("confusions") or []:
            lines.append(f"  confused: {c['type']} → {c['answered'] or '-'} ×{c['count']}")
        lines.append(f"longest short answer: {result.get('longest_short_answer', 0)} characters")
    for e in result["errors"]:
        lines.append(f"  {e['error']} [{e['type'] or e['label']}] {e['risk']}/{e['score']} {e['signals']} {e['text']}")
    return "\n".join(lines)
