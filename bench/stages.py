"""Per-stage CPU cost of ``Engine.analyze``: the same steps in the same order, each timed with the thread's
CPU clock (wall time on a shared machine measures the neighbours too). ``staged`` returns the verdict it
built, and :func:`breakdown` checks it equals ``analyze``'s, so this copy of the steps cannot drift from the
engine unnoticed."""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from typing import Any

from bot.pipeline.engine import highlights
from bot.pipeline.normalize import basic
from bot.pipeline.score import MATCH_FLOOR

STAGES = ("normalize", "extract", "rules", "classifier", "segment", "candidates", "rerank", "verdict",
          "highlights", "render_json")

_clock = time.thread_time


def staged(e: Any, text: str, out: dict[str, float]) -> Any:
    """``e.analyze(text)`` step by step, adding each step's CPU seconds to ``out``."""
    from bot.model import Verdict
    from bot.render import verdict_json as render_json

    c = _clock
    t = c()
    b = basic(text)
    norm = e.normalizer(text, b)
    v = Verdict(text=text, truncated=False, traditional=norm.traditional)
    t1 = c()
    out["normalize"] += t1 - t
    if not any(ch.isalnum() for ch in norm.text):
        return e.analyze(text)
    ex, lookups, checks, features = e._evidence(b, norm)
    v.urls = checks
    t2 = c()
    out["extract"] += t2 - t1
    fired = e.signals.evaluate(norm, features)
    t3 = c()
    out["rules"] += t3 - t2
    if e.classifier is not None:
        hit = e.classifier.hit(norm.text, bool(features.get("insurer") or features.get("regulator")),
                               rules_fired=any(s.weight > 0 for s in fired))
        if hit is not None:
            fired.append(hit)
    t4 = c()
    out["classifier"] += t4 - t3
    tokens = e.segmenter.cut(norm.text)
    terms = e.segmenter.terms(tokens)
    t5 = c()
    out["segment"] += t5 - t4
    e.index.candidates(set(terms))
    t6 = c()
    out["candidates"] += t6 - t5
    matches = e.index.search(norm, terms, floor=MATCH_FLOOR)  # candidates again, inside: subtracted
    t7 = c()
    out["rerank"] += max(0.0, (t7 - t6) - (t6 - t5))
    v = e.scorer.verdict(v, norm.text, ex, lookups, fired, matches)
    t8 = c()
    out["verdict"] += t8 - t7
    if v.risk != "none":
        v.highlights = highlights(v, norm, tokens)
    t9 = c()
    out["highlights"] += t9 - t8
    render_json(v)
    out["render_json"] += c() - t9
    return v


def breakdown(e: Any, texts: list[str], repeat: int = 3) -> dict[str, Any]:
    """Median CPU µs per message of each stage (each message's total over ``repeat`` runs), and the check
    that the staged verdicts equal ``analyze``'s."""
    from bot.render import verdict_json as render_json

    per: dict[str, list[float]] = defaultdict(list)
    same = 0
    for t in texts:
        acc = dict.fromkeys(STAGES, 0.0)
        for _ in range(repeat):
            v = staged(e, t, acc)
        same += render_json(v) == render_json(e.analyze(t))
        for k in STAGES:
            per[k].append(acc[k] / repeat * 1e6)
    return {"median_us": {k: statistics.median(per[k]) for k in STAGES},
            "mean_us": {k: statistics.fmean(per[k]) for k in STAGES},
            "same_verdicts": same, "messages": len(texts)}
