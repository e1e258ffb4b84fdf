"""Score: from the evidence (fired rules, script matches, looked-up numbers) to the verdict's risk, scam
types, notices and advice.

Kept apart from :mod:`bot.pipeline.engine` (which gathers the evidence) so the weighing of evidence —
what a match is worth, what a reported number adds, which types an answer names — is in one place.
"""

from __future__ import annotations

import re
from collections import defaultdict

from bot.model import LOW, MEDIUM, SCAM_TYPE_CUES, Lookup, Match, NoticeRef, SignalHit, Verdict, risk_for
from bot.pipeline.extract import Extracted
from bot.pipeline.knowledge import Knowledge, Organization

#: How much a script match adds to the score: similarity 60 → 15 points, 75 → 37, 90 → 60.
MATCH_FLOOR = 50.0
MATCH_SLOPE = 1.5
#: A match is reported to the user ("resembles") from this similarity on.
MATCH_SHOW = 55.0
#: What each of a type's subject words in the message adds to that type's weight (at most CUE_MAX), once
#: the evidence already points to the type: it picks the primary type among several, never adds one.
CUE_POINTS = 6.0
CUE_MAX = 18.0
#: What a number in the registry of reported numbers adds to the score, and to its scam types' weight.
REPORTED_NUMBER_POINTS = 50


class Scorer:
    """Turns evidence into the verdict's conclusions, with the knowledge base's notices and advice."""

    def __init__(self, knowledge: Knowledge):
        self.knowledge = knowledge
        self.action = knowledge.advice.get("action") or {}
        self.summaries = knowledge.advice.get("summary") or {}
        stages = self.action.get("stages") or []
        self.stages = [(str(st["id"]), _patterns(st.get("when"))) for st in stages]
        #: a stage's own steps: ``first`` (the action) and ``more`` (the next lines of advice)
        self.stage_steps = {str(st["id"]): st for st in stages}
        self.channels = [(str(c["id"]), _patterns(c.get("when"))) for c in self.action.get("channels") or []]
        regions = (knowledge.regions or {}).get("regions") or {}
        self.region_cues = {r: [str(c).lower() for c in d.get("cues") or []] for r, d in regions.items()}

    def verdict(self, v: Verdict, norm_text: str, ex: Extracted, lookups: list[Lookup],
                fired: list[SignalHit], matches: list[Match]) -> Verdict:
        """Fill ``v`` (text and flags already set) from the evidence; returns it."""
        v.signals = fired
        v.numbers = lookups
        v.url_list = [str(f.value) for f in ex.urls]  # v.urls (each link checked) is set by the engine
        v.contacts = [f.value for f in ex.contacts]
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
        v.channel = self.channel(norm_text, ex)
        v.stage = self.stage(norm_text)
        if v.traditional:
            v.region = self.region(norm_text)
        # the types the evidence points to also choose the notices of a low-risk ("not sure") answer
        types = answer_types(shown, fired, lookups, norm_text) if v.score >= LOW else []
        v.scam_types = types if v.score >= MEDIUM else []
        v.primary_type = v.scam_types[0] if v.scam_types else ""
        notices = self.knowledge.notices_for(types[:1])[:2 if len(types) < 2 else 1]
        for t in types[1:2]:
            notices += [n for n in self.knowledge.notices_for([t], limit=1) if n not in notices]
        v.notices = [NoticeRef(n.id, n.title, n.issuer, n.date, n.link) for n in notices]
        genuine = self.genuine_official(v, lookups)
        v.summary = self.summary(v, orgs, genuine)
        v.action = self.first_action(v, orgs, genuine)
        v.advice = self.advice(v, orgs) if v.score >= MEDIUM else self.safe_advice(v, orgs, genuine)
        return v

    # --- the short answer ---------------------------------------------------------------------------

    def channel(self, text: str, ex: Extracted) -> str:
        """How the message came: the user describing a call, an SMS, an ad, or a chat message."""
        return _first_match(self.channels, text) or ("sms" if ex.urls else "chat")

    def stage(self, text: str) -> str:
        """What the user says already happened; "contacted" when nothing more."""
        return _first_match(self.stages, text) or "contacted"

    def region(self, text: str) -> str:
        """TW or HK for a Traditional message with that region's words; "" when none."""
        low = text.lower()
        counts = {r: sum(1 for c in cues if c in low) for r, cues in self.region_cues.items()}
        best = max(counts.items(), key=lambda kv: kv[1], default=("", 0))
        return best[0] if best[1] else ""

    def genuine_official(self, v: Verdict, lookups: list[Lookup]) -> Lookup | None:
        """A not-flagged message whose only number is an insurer's official line, with no link."""
        if v.score >= LOW or v.url_list or not lookups:
            return None
        if all(lk.status == "official" for lk in lookups) and lookups[0].org_kind in ("insurer", ""):
            return lookups[0]
        return None

    def summary(self, v: Verdict, orgs: list[Organization], genuine: Lookup | None) -> str:
        """One plain sentence: what this is, and who is impersonated."""
        cfg = self.summaries
        if genuine is not None:
            return str(cfg.get("official_genuine", "")).format(number=genuine.normalized, org=genuine.insurer or "")
        if v.risk in ("none", "low"):
            return str(cfg.get(v.risk, ""))
        kind = (cfg.get("by_type") or {}).get(v.primary_type) or {}
        named = next((o for o in orgs if o.kind in ("insurer", "regulator")), None)
        who = f"冒充{named.name}、" if named is not None else str(kind.get("who_default", ""))
        tpl = cfg.get("scam_template" if v.risk == "high" else "medium_template", "")
        return str(tpl).format(who=who, what=str(kind.get("what", "")))

    def hotline(self, v: Verdict, orgs: list[Organization]) -> str:
        """Call the named insurer's own hotline (or the one printed on the policy)."""
        action = self.action
        for o in orgs:
            h = o.hotline()
            if o.kind == "insurer" and h:
                return str(action.get("hotline", "")).format(insurer=o.name, number=h.number)
        local = ((self.knowledge.advice.get("region") or {}).get(v.region) or {}).get("hotline_unknown")
        return str(local or action.get("hotline_unknown", ""))

    def first_action(self, v: Verdict, orgs: list[Organization], genuine: Lookup | None) -> str:
        """The one thing to do now: by what already happened, else by how the message came."""
        action = self.action
        if genuine is not None:
            return str(action.get("official_genuine", "")).format(org=genuine.insurer or "", number=genuine.normalized)
        if v.risk == "none":
            return ""
        stage = self.stage_steps.get(v.stage)
        if stage is not None and v.risk in ("high", "medium"):
            return str(stage.get("first", ""))
        if v.risk == "low":
            return str(action.get("low", "")).format(hotline=self.hotline(v, orgs))
        by_channel = action.get("by_channel") or {}
        channel = "sms_link" if v.channel == "sms" and v.url_list else v.channel
        tpl = by_channel.get(channel) or by_channel.get("chat", "")
        return str(tpl).format(hotline=self.hotline(v, orgs))

    # --- the folded-away advice ---------------------------------------------------------------------

    def advice(self, v: Verdict, orgs: list[Organization]) -> list[str]:
        """What to do about a message treated as a scam: the first action, the stage's next steps, the
        primary type's own advice (and a secondary type's first line), then the general lines."""
        adv = self.knowledge.advice
        lines = [v.action]
        stage = self.stage_steps.get(v.stage)
        if stage is not None:
            lines.extend(str(x) for x in stage.get("more") or [])
        by_type = adv.get("by_type") or {}
        lines.extend(str(x) for x in (by_type.get(v.primary_type) or [])[:2])
        for t in v.scam_types[1:2]:
            lines.extend(str(x) for x in (by_type.get(t) or [])[:1])
        general = [str(x) for x in adv.get("general") or []]
        if v.channel != "call":  # "hang up" only where there is a call to hang up
            general = [g for g in general if "挂断" not in g]
        lines.extend(general)
        local = ((adv.get("region") or {}).get(v.region) or {}).get("report")
        if local:
            lines.append(str(local))
        return dedupe(lines)[:7]

    def safe_advice(self, v: Verdict, orgs: list[Organization], genuine: Lookup | None = None) -> list[str]:
        """The general precautions given with a low-risk or empty answer."""
        adv = self.knowledge.advice
        lines = [v.action] if v.action else []
        lines.extend(str(x) for x in adv.get("safe") or [])
        if genuine is not None:
            lines = [x for x in lines if "挂断" not in x]
        return dedupe(lines)[:4]


def _patterns(items: list[str] | None) -> list[re.Pattern[str]]:
    return [re.compile(str(p)) for p in items or []]


def _first_match(rules: list[tuple[str, list[re.Pattern[str]]]], text: str) -> str:
    """The id of the first (id, patterns) whose patterns match the lowercased text; "" when none."""
    low = text.lower()
    return next((rid for rid, pats in rules if any(p.search(low) for p in pats)), "")


def answer_types(matches: list[Match], fired: list[SignalHit], lookups: list[Lookup], text: str = "") -> list[str]:
    """The scam types the evidence points to, the primary one first. A signal shared by several types
    spreads its weight over them; a further type needs at least half the leading type's weight AND
    evidence of its own (a script of that type, a reported number, a rule about that type alone, or two
    of the type's subject words),
    so a generic signal ("urgency", "a private account") does not add unrelated types to the answer."""
    weight: dict[str, float] = defaultdict(float)
    own: set[str] = set()
    for m in matches:
        gain = max(0.0, m.similarity - MATCH_FLOOR) * MATCH_SLOPE
        weight[m.scam_type] += gain
        if gain > 0:
            own.add(m.scam_type)
    for s in fired:
        if s.weight > 0 and s.scam_types:
            for t in s.scam_types:
                weight[t] += s.weight / len(s.scam_types)
            if len(s.scam_types) == 1:
                own.add(s.scam_types[0])
    for lk in lookups:
        for t in lk.scam_types:
            weight[t] += REPORTED_NUMBER_POINTS
            own.add(t)
    for t in [t for t, w in weight.items() if w > 0]:
        hits = sum(1 for c in SCAM_TYPE_CUES.get(t, ()) if c in text)
        weight[t] += min(CUE_MAX, CUE_POINTS * hits)
        if hits >= 2:  # the message names the type's subject twice over: evidence of its own
            own.add(t)
    ranked = sorted(weight.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] <= 0:
        return []
    top = ranked[0][1]
    return [ranked[0][0]] + [t for t, w in ranked[1:] if t in own and w >= 0.5 * top][:2]


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
