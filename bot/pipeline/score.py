"""Score: from the evidence (fired rules, script matches, looked-up numbers) to the verdict's risk, scam
types, notices and advice.

Kept apart from :mod:`bot.pipeline.engine` (which gathers the evidence) so the weighing of evidence —
what a match is worth, what a reported number adds, which types an answer names — is in one place.
"""

from __future__ import annotations

from collections import defaultdict

from bot.model import LOW, MEDIUM, Lookup, Match, NoticeRef, SignalHit, Verdict, risk_for
from bot.pipeline.extract import Extracted
from bot.pipeline.knowledge import Knowledge, Organization

#: How much a script match adds to the score: similarity 60 → 15 points, 75 → 37, 90 → 60.
MATCH_FLOOR = 50.0
MATCH_SLOPE = 1.5
#: A match is reported to the user ("resembles") from this similarity on.
MATCH_SHOW = 55.0
#: What a number in the registry of reported numbers adds to the score, and to its scam types' weight.
REPORTED_NUMBER_POINTS = 50


class Scorer:
    """Turns evidence into the verdict's conclusions, with the knowledge base's notices and advice."""

    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge

    def verdict(self, v: Verdict, ex: Extracted, lookups: list[Lookup], fired: list[SignalHit],
                matches: list[Match]) -> Verdict:
        """Fill ``v`` (text and flags already set) from the evidence; returns it."""
        v.signals = fired
        v.numbers = lookups
        v.urls = [str(f.value) for f in ex.urls]
        v.amounts = [str(f.value) for f in ex.amounts]
        v.percents = sorted({float(f.value) for f in ex.percents})
        orgs = unique_orgs(ex)
        v.insurers = [o.name for o in orgs]
        shown = [m for m in matches if m.similarity >= MATCH_SHOW]
        best = matches[0].similarity if matches else 0.0
        score = sum(s.weight for s in fired) + max(0.0, best - MATCH_FLOOR) * MATCH_SLOPE
        if any(lk.status == "reported" for lk in lookups):
            score += REPORTED_NUMBER_POINTS
        v.score = max(0.0, min(100.0, score))
        v.risk = risk_for(v.score)
        v.matches = shown if v.score >= LOW else []
        # the types the evidence points to also choose the notices of a low-risk ("not sure") answer
        types = scam_types(shown, fired, lookups) if v.score >= LOW else []
        v.scam_types = types if v.score >= MEDIUM else []
        v.notices = [NoticeRef(n.id, n.title, n.issuer, n.date, n.url) for n in self.knowledge.notices_for(types)]
        v.advice = self.advice(v, orgs) if v.score >= MEDIUM else self.safe_advice(orgs)
        return v

    def hotline_line(self, orgs: list[Organization]) -> str:
        """Call the named insurer's own hotline (or the one printed on the policy)."""
        adv = self.knowledge.advice
        for o in orgs:
            h = o.hotline()
            if o.kind == "insurer" and h:
                tpl = str(adv.get("hotline_template") or "挂断后自行拨打{insurer}官方客服电话 {number} 核实")
                return tpl.format(insurer=o.name, number=h.number)
        return str(adv.get("no_insurer_hotline") or "挂断后自行拨打保单上所载保险公司的官方客服电话核实")

    def advice(self, v: Verdict, orgs: list[Organization]) -> list[str]:
        """What to do about a message treated as a scam: the hotline first, then the types' own advice."""
        adv = self.knowledge.advice
        lines = [self.hotline_line(orgs)]
        by_type = adv.get("by_type") or {}
        for t in v.scam_types[:2]:
            lines.extend(str(x) for x in (by_type.get(t) or [])[:2])
        lines.extend(str(x) for x in adv.get("general") or [])
        return dedupe(lines)[:7]

    def safe_advice(self, orgs: list[Organization]) -> list[str]:
        """The general precautions given with a low-risk or empty answer."""
        adv = self.knowledge.advice
        lines = [str(x) for x in adv.get("safe") or []]
        if orgs:
            lines.insert(0, self.hotline_line(orgs))
        return dedupe(lines)[:4]


def scam_types(matches: list[Match], fired: list[SignalHit], lookups: list[Lookup]) -> list[str]:
    """The scam types the evidence points to, strongest first. A signal shared by several types
    spreads its weight over them, and a type needs at least half the leading type's weight, so a
    generic signal ("urgency") does not add unrelated types to the answer."""
    weight: dict[str, float] = defaultdict(float)
    for m in matches:
        weight[m.scam_type] += max(0.0, m.similarity - MATCH_FLOOR) * MATCH_SLOPE
    for s in fired:
        if s.weight > 0 and s.scam_types:
            for t in s.scam_types:
                weight[t] += s.weight / len(s.scam_types)
    for lk in lookups:
        for t in lk.scam_types:
            weight[t] += REPORTED_NUMBER_POINTS
    ranked = sorted(weight.items(), key=lambda kv: -kv[1])
    if not ranked:
        return []
    top = ranked[0][1]
    return [t for t, w in ranked if w > 0 and w >= 0.5 * top][:3]


def unique_orgs(ex: Extracted) -> list[Organization]:
    """The organizations a message names, each once, in order of appearance."""
    out: list[Organization] = []
    for f in ex.orgs:
        if f.value not in out:
            out.append(f.value)
    return out


def dedupe(lines: list[str]) -> list[str]:
    """Drop empty and repeated lines, keeping the first of each."""
    return list(dict.fromkeys(x for x in lines if x))
