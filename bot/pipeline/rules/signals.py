"""Weighted signals: named rules with a weight, an explanation and example messages (SpamAssassin-style).

Rules are data (``scam_patterns/signals/``, one file per scam type). A rule fires when each of its groups has a hit — a
literal term found in the normalized text, or an ``@feature`` computed by extraction — optionally all
within ``near`` characters, and none of its ``unless`` terms occurs. All terms of all rules are found
in one Aho-Corasick pass, so adding rules costs nothing per message.

*Contexts* (``signals/contexts.yaml``) are rules of the same shape that score nothing: they say
how a message speaks — the user asking whether what happens to them is real, or a warning to others —
and each one that holds becomes an ``@feature`` the signals can require or name in ``unless``. They are
evaluated first, in file order, so a later context may use an earlier one. Lists shared by many rules
(the descriptive exclusion, the word classes of the composite rules) live once in ``signals/classes.yaml``
and are named as ``$class``.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from bot.config import PATTERNS_DIR
from bot.model import Evidence, SignalHit
from bot.pipeline.normalize import Normalized

Span = tuple[int, int]  # original-text coordinates

FEATURES = (
    "percent_high",
    "mobile",
    "non_official_number",
    "official_number",
    "url",
    "unofficial_url",
    "insurer",
    "regulator",
    "amount",
    "warned_number",
    "contact_handle",
    "lookalike_url",
    "shortener_url",
    "ip_url",
    "phone_line",
    "transfer_amount",
)

#: ``@phone_line``: a mobile or landline number written in the text — a person's or an office's line, not
#: a 95xxx/12xxx/400 service hotline. "Your card is frozen, call 021-…" is how impersonators hand over.
#: ``@transfer_amount``: "转3万", "转我两万", "汇5000元", "借我三千块": a request to move a sum of money.
_TRANSFER = re.compile(
    r"(?:转|汇|打|借|垫)(?:我|给我|给他|给她|过去|过来|一下)?\s*(?:\d+(?:\.\d+)?|[一二两三四五六七八九十几]+)\s*(?:万|千|百块|块|元)"
)
_PHONE_LINE = re.compile(r"(?<![\d])(?:\+?86[ -]?)?(?:1[3-9]\d(?:[ -]?\d{4}){2}|0\d{2,3}[ -]?\d{7,8})(?![\d])")


@dataclass
class Rule:
    name: str
    weight: float
    label: str
    explanation: str
    scam_types: list[str]
    groups: list[list[str]]  # canonical terms or "@feature"
    near: int | None = None
    unless: list[str] = field(default_factory=list)
    examples_fire: list[str] = field(default_factory=list)
    examples_no_fire: list[str] = field(default_factory=list)
    context: bool = False  # a context (an @feature), not a scoring signal

    @cached_property
    def compiled_groups(self) -> list[tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]]:
        """Each group as (literal terms, the same as a set, feature names), built once: a rule's groups
        hold dozens of terms while a message hits a handful, so the lookup walks whichever side is smaller."""
        out = []
        for g in self.groups:
            terms = tuple(dict.fromkeys(t for t in g if not t.startswith("@")))
            out.append((terms, frozenset(terms), tuple(dict.fromkeys(t[1:] for t in g if t.startswith("@")))))
        return out

    @cached_property
    def compiled_unless(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """The ``unless`` list as (literal terms, feature names), built once."""
        return (frozenset(t for t in self.unless if not t.startswith("@")),
                tuple(dict.fromkeys(t[1:] for t in self.unless if t.startswith("@"))))


#: The rules folder: one file per scam type, plus ``contexts.yaml``, ``classes.yaml`` and ``order.yaml``.
RULES_DIR = PATTERNS_DIR / "signals"


def rule_files(folder: Path | None = None) -> list[Path]:
    """Every file the rules are read from, in the order they are read (the start-up cache hashes them all)."""
    folder = folder or RULES_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else [folder] if folder.is_file() else []


def load_rules(canonical: Callable[[str], str], path: Path | None = None) -> list[Rule]:
    """Contexts, then signals. ``path`` is the rules folder (default :data:`RULES_DIR`) or one file.

    Each file may hold ``classes:`` (name → list of terms), ``contexts:``, ``signals:`` and ``order:``.
    The parts are merged across files, so a rule in one file can name a class from another: YAML aliases
    cannot cross files, and a list copied by hand drifts. Contexts run in the order of the files and of
    their lists; signals in the order ``order:`` names them (which a verdict's reasons show), or in file
    order when no file gives one."""
    classes: dict[str, list[Any]] = {}
    contexts: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    order: list[str] | None = None
    for f in rule_files(path):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for name, terms in (data.get("classes") or {}).items():
            if name in classes:
                raise ValueError(f"{f.name}: word class ${name} is defined twice")
            classes[str(name)] = list(terms or [])
        contexts += data.get("contexts") or []
        signals += data.get("signals") or []
        if data.get("order") is not None:
            if order is not None:
                raise ValueError(f"{f.name}: a second order: list")
            order = [str(n) for n in data["order"]]
    if order is not None:
        signals = _in_order(signals, order)
    resolve = _Resolver(classes)
    rules = [_rule(r, canonical, resolve, context=True) for r in contexts]
    rules += [_rule(r, canonical, resolve) for r in signals]
    return rules


def _in_order(signals: list[dict[str, Any]], order: list[str]) -> list[dict[str, Any]]:
    """The signals sorted as ``order`` names them; every signal must be named exactly once."""
    by_name = {str(r["name"]): r for r in signals}
    missing = [n for n in by_name if n not in order]
    unknown = [n for n in order if n not in by_name]
    twice = sorted({n for n in order if order.count(n) > 1})
    if missing or unknown or twice:
        raise ValueError(f"order.yaml: not listed {missing}, unknown {unknown}, listed twice {twice}")
    return [by_name[n] for n in order]


class _Resolver:
    """Expands ``$class`` references in a list of terms; a ``-term`` drops that term from what precedes it.

    ``[$descriptive, -所谓, 非法集资]`` is the shared descriptive markers without 所谓, plus 非法集资. A class may
    name other classes. An unknown class, a cycle, or a ``-term`` that removes nothing is an error, so a
    typo cannot silently switch a rule's exclusion off."""

    def __init__(self, classes: dict[str, list[Any]]):
        self.classes = classes

    def __call__(self, items: Any, where: str, _seen: tuple[str, ...] = ()) -> list[str]:
        out: list[str] = []
        for t in _flat(items):
            t = str(t)
            if t.startswith("$"):
                name = t[1:]
                if name not in self.classes:
                    raise ValueError(f"{where}: unknown word class {t}")
                if name in _seen:
                    raise ValueError(f"{where}: word class {t} includes itself")
                out.extend(self(self.classes[name], where, (*_seen, name)))
            elif t.startswith("-") and len(t) > 1:
                if t[1:] not in out:
                    raise ValueError(f"{where}: {t} removes nothing")
                out = [x for x in out if x != t[1:]]
            else:
                out.append(t)
        return out


def _term(t: Any, canonical: Callable[[str], str]) -> str:
    t = str(t)
    return t if t.startswith("@") else canonical(t)


def _flat(items: Any) -> list[Any]:
    """A group as one flat list (a nested list, as a YAML alias inside one file gives, is spliced in)."""
    out: list[Any] = []
    for t in items or []:
        out.extend(_flat(t) if isinstance(t, list) else [t])
    return out


def _rule(r: dict[str, Any], canonical: Callable[[str], str], resolve: _Resolver, *, context: bool = False) -> Rule:
    name = str(r["name"])
    groups = [[_term(t, canonical) for t in resolve(g, name)] for g in (r.get("all") or []) if g]
    if r.get("any"):
        groups.append([_term(t, canonical) for t in resolve(r["any"], name)])
    ex = r.get("examples") or {}
    return Rule(
        name=name,
        weight=float(r.get("weight", 0)),
        label=str(r.get("label", r["name"])),
        explanation=str(r.get("explanation", "")),
        scam_types=[str(t) for t in r.get("scam_types") or []],
        groups=[[t for t in g if t] for g in groups],
        near=int(r["near"]) if r.get("near") else None,
        unless=[_term(t, canonical) for t in resolve(r.get("unless"), name)],
        examples_fire=[str(x) for x in ex.get("fire") or []],
        examples_no_fire=[str(x) for x in ex.get("no_fire") or []],
        context=context,
    )


class SignalSet:
    """All rules, compiled into one automaton. ``rules`` may mix contexts and signals; they are kept apart."""

    def __init__(self, rules: list[Rule]):
        self.contexts = [r for r in rules if r.context]
        self.rules = [r for r in rules if not r.context]
        self.auto = ahocorasick.Automaton()
        terms = {t for r in rules for g in r.groups for t in g if not t.startswith("@")}
        terms |= {t for r in rules for t in r.unless if not t.startswith("@")}
        for t in terms:
            self.auto.add_word(t, t)
        self.empty = not terms
        if not self.empty:
            self.auto.make_automaton()

    def vocabulary(self) -> set[str]:
        """Terms worth teaching the segmenter."""
        return {t for r in [*self.contexts, *self.rules] for g in r.groups for t in g if not t.startswith("@")}

    def term_hits(self, norm: Normalized) -> tuple[dict[str, list[Span]], dict[str, list[Span]]]:
        """All hits, and the hits that are not negated (see :func:`negated_from`)."""
        hits: dict[str, list[Span]] = defaultdict(list)
        plain: dict[str, list[Span]] = defaultdict(list)
        if self.empty:
            return hits, plain
        neg = negated_from(norm.text)
        # norm.span(start, end + 1), inlined: one call per hit was a fifth of this function's cost
        index, n_index, n_orig = norm.index, len(norm.index), len(norm.original)
        for end, term in self.auto.iter(norm.text):
            start = end - len(term) + 1
            if start >= n_index:
                span = (n_orig, n_orig)
            else:
                o_start = index[start]
                o_end = index[min(end + 1, n_index) - 1] + 1
                span = (o_start, o_end if o_end > o_start else o_start + 1)
            hits[term].append(span)
            if not neg[start]:
                plain[term].append(span)
        return hits, plain

    def candidates(self, hits: dict[str, list[Span]], features: dict[str, list[Span]]) -> list[Rule]:
        """The rules worth asking whether they fire, in order: all of them here; a subclass may pre-filter."""
        return self.rules

    def _with_contexts(self, norm: Normalized, features: dict[str, list[Span]], hits: dict[str, list[Span]]
                       ) -> dict[str, list[Span]]:
        features = {
            **features,
            "phone_line": phone_lines(norm, features),
            "transfer_amount": [norm.span(m.start(), m.end()) for m in _TRANSFER.finditer(norm.text)],
        }
        # a context reads every hit, negated or not: "千万别信" is how a warning speaks
        for ctx in self.contexts:
            features[ctx.name] = _fire(ctx, hits, features, hits) or []
        return features

    def contexts_of(self, norm: Normalized, features: dict[str, list[Span]]) -> list[str]:
        """The contexts that hold for a message, in file order."""
        hits, _ = self.term_hits(norm)
        feats = self._with_contexts(norm, features, hits)
        return [c.name for c in self.contexts if feats[c.name]]

    def evaluate(self, norm: Normalized, features: dict[str, list[Span]]) -> list[SignalHit]:
        hits, plain = self.term_hits(norm)
        features = self._with_contexts(norm, features, hits)
        fired = []
        for rule in self.candidates(hits, features):
            # a scam's talking point inside a negated clause ("我司不会要求您退保购买理财") is a warning,
            # not a demand: positive rules only see hits outside negated clauses
            # `unless` terms count anywhere, negated or not: "……，这是诈骗" negates its own clause
            spans = _fire(rule, plain if rule.weight > 0 else hits, features, hits)
            if spans is None:
                continue
            ev = [Evidence(a, b, norm.original[a:b], rule.label) for a, b in _merge(spans)]
            fired.append(
                SignalHit(rule.name, rule.weight, ev, rule.label, rule.explanation, list(rule.scam_types))
            )
        return fired


def phone_lines(norm: Normalized, features: dict[str, list[Span]]) -> list[Span]:
    """Spans of mobile and landline numbers (``@phone_line``), plus the corpora's CELLPHONE placeholder."""
    spans = [norm.span(m.start(), m.end()) for m in _PHONE_LINE.finditer(norm.text)]
    spans += [s for s in features.get("mobile", []) if s not in spans]
    return spans


#: Negation cues (NegEx-style). A pre-cue negates the rest of its clause (我司不会要求您退保…); a
#: post-cue negates the clause before it (…要求下载APP屏幕共享的均为诈骗). Clauses end at punctuation.
PRE_NEGATION = re.compile(
    r"不会|不要|请勿|切勿|勿|不得|无需|无须|不需要|不用|无任何|没有任何|绝不|从不|从未|不可|千万别|别信|别听|别给|别把|别转|别去|别点|谨防|警惕|严禁|防范|提防|并非"
    r"|亦未|并未|未曾|若有人|如有人|如果有人|一旦有人|凡是|凡要求|任何人|任何自称"
)
POST_NEGATION = re.compile(r"(均|都|全|就|全都|一律)?(是|为|系|属|属于)(电信|网络)?(诈骗|骗局|骗子)|的骗局|是假的|不可信|别信|不要信|不能信|均非|都不是")
_CLAUSE_END = set("，。！？；,.!?;\n")


_CLAUSE_END_RE = re.compile("[，。！？；,.!?;\n]")


def negated_from(text: str) -> list[bool]:
    """For each position, whether it lies in the negated part of its clause.

    A pre-cue turns negation on from where it ends to the end of its clause (a clause-end character
    switches it off, then a cue ending right there switches it on again); a post-cue negates the clause
    before it. Worked out over the cues and clause ends only (slice assignments), not character by
    character: ``tests/pipeline/test_signals.py`` checks it against the per-character walk."""
    out = [False] * (len(text) + 1)
    pre = sorted({m.end() for m in PRE_NEGATION.finditer(text)})
    post = [m.start() for m in POST_NEGATION.finditer(text)]
    if not pre and not post:
        return out
    ends = [m.start() for m in _CLAUSE_END_RE.finditer(text)]
    n = len(text)
    if pre:
        pre_set = set(pre)
        # positions where `on` may change: clause ends (off) and cue ends (on), in order
        events = sorted({i for i in ends} | {p for p in pre if p < n})
        on = False
        for k, i in enumerate(events):
            if i in pre_set:
                on = True
            else:
                on = False
            stop = events[k + 1] if k + 1 < len(events) else n
            if on:
                out[i:stop] = [True] * (stop - i)
    for p in post:
        j = p - 1
        while j >= 0 and text[j] == " ":
            j -= 1
        if j >= 0 and text[j] in _CLAUSE_END and p - j <= 2:
            # the cue opens its own clause ("…要求您提供验证码，均为诈骗"): it negates the clause before
            j -= 1
        if j < 0:
            continue
        k = bisect.bisect_right(ends, j) - 1  # the last clause end at or before j
        start = ends[k] + 1 if k >= 0 else 0
        if start <= j:
            out[start : j + 1] = [True] * (j + 1 - start)
    return out


def _group_spans(group: tuple[tuple[str, ...], frozenset[str], tuple[str, ...]], hits: dict[str, list[Span]],
                 features: dict[str, list[Span]]) -> list[Span]:
    terms, tset, feats = group
    if len(hits) < len(terms):
        spans = [s for t, sp in hits.items() if t in tset for s in sp]
    else:
        spans = [s for t in terms for s in hits.get(t, ())]
    for f in feats:
        spans.extend(features.get(f, ()))
    return spans


def _blocked(rule: Rule, hits: dict[str, list[Span]], features: dict[str, list[Span]]) -> bool:
    """Whether one of the rule's ``unless`` terms or features occurs: one set intersection from the
    smaller side (a message hits a handful of terms; a descriptive rule lists a hundred), not a lookup
    per term."""
    terms, feats = rule.compiled_unless
    if any(features.get(f) for f in feats):
        return True
    if len(hits) < len(terms):
        return any(sp and t in terms for t, sp in hits.items())
    return any(hits.get(t) for t in terms)


def _fire(
    rule: Rule,
    hits: dict[str, list[Span]],
    features: dict[str, list[Span]],
    all_hits: dict[str, list[Span]] | None = None,
) -> list[Span] | None:
    """The spans that make ``rule`` fire, or None. ``unless`` terms are looked up in ``all_hits``."""
    if not rule.groups:
        return None
    group_spans: list[list[Span]] = []
    for g in rule.compiled_groups:  # a group without a hit is the usual reason not to fire: checked first
        spans = _group_spans(g, hits, features)
        if not spans:
            return None
        group_spans.append(sorted(spans))
    if _blocked(rule, hits if all_hits is None else all_hits, features):
        return None
    if rule.near is None:
        return [s for g in group_spans for s in g[:3]]
    # some hit of the first group with a hit of every other group within `near` characters
    for anchor in group_spans[0]:
        chosen = [anchor]
        for g in group_spans[1:]:
            close = [s for s in g if abs(s[0] - anchor[0]) <= rule.near]
            if not close:
                break
            chosen.append(min(close, key=lambda s: abs(s[0] - anchor[0])))
        else:
            return chosen
    return None


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(set(spans)):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
