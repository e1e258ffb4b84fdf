"""Fuzzy matching against stored scam scripts, through an inverted index (never a scan of every script).

1. Candidates: each content word of the message looks up the scripts that contain it (postings);
   scripts accumulate the IDF weight of the words they share with the message. Very common words
   (in more than ``MAX_DF_SHARE`` of scripts) are skipped at this step, so the work per message depends
   on how specific its words are, not on how many scripts are stored.
2. Re-ranking (as Cofacts does): the best few candidates are scored at character level with rapidfuzz
   (``partial_ratio`` of the script inside the message) and by IDF-weighted containment of the
   script's words in the message.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

from .normalize import Normalized
from .verdict import Evidence, Match

MAX_DF_SHARE = 0.05
CANDIDATES = 8
#: A message must carry at least this share of a script's word weight before "the message is inside
#: the script" counts as resemblance.
MIN_MSG_SHARE = 0.45


@dataclass
class Script:
    id: int
    scam_type: str
    text: str  # as stored (the admin's wording)
    norm: str  # normalized
    terms: tuple[str, ...]


class ScriptIndex:
    """In-memory inverted index over the active scripts; updated in place when admins change patterns."""

    def __init__(self) -> None:
        self.scripts: dict[int, Script] = {}
        self.postings: dict[str, set[int]] = defaultdict(set)
        # IDF of each term and word weight of each script depend on the script count: cached, and dropped on
        # every change (and whenever the count no longer matches, e.g. after ``scripts`` was replaced)
        self._idf: dict[str, float] = {}
        self._weights: dict[int, float] = {}
        self._cached_n = -1

    def __len__(self) -> int:
        return len(self.scripts)

    def _invalidate(self) -> None:
        self._idf.clear()
        self._weights.clear()
        self._cached_n = len(self.scripts)

    def _check_cache(self) -> None:
        if self._cached_n != len(self.scripts):
            self._invalidate()

    def add(self, sid: int, scam_type: str, text: str, norm: str, terms: list[str] | tuple[str, ...]) -> None:
        if sid in self.scripts:
            self.remove(sid)
        s = Script(sid, scam_type, text, norm, tuple(dict.fromkeys(terms)))
        self.scripts[sid] = s
        for t in s.terms:
            self.postings[t].add(sid)
        self._invalidate()

    def remove(self, sid: int) -> None:
        s = self.scripts.pop(sid, None)
        if s is None:
            return
        for t in s.terms:
            p = self.postings.get(t)
            if p is not None:
                p.discard(sid)
                if not p:
                    del self.postings[t]
        self._invalidate()

    def idf(self, term: str) -> float:
        v = self._idf.get(term)
        if v is None or self._cached_n != len(self.scripts):
            self._check_cache()
            df = len(self.postings.get(term, ()))
            v = self._idf[term] = math.log(1 + (len(self.scripts) + 1) / (df + 1))
        return v

    def _weight(self, s: Script) -> float:
        w = self._weights.get(s.id)
        if w is None or self._cached_n != len(self.scripts):
            self._check_cache()
            w = self._weights[s.id] = sum(self.idf(t) for t in s.terms) or 1.0
        return w

    def candidates(self, terms: set[str], limit: int = CANDIDATES) -> list[tuple[float, int]]:
        """Scripts sharing the most specific words with the message: [(share, id)], best first."""
        n = len(self.scripts)
        max_df = max(30, int(n * MAX_DF_SHARE))
        acc: dict[int, float] = defaultdict(float)
        for t in terms:
            p = self.postings.get(t)
            if not p or len(p) > max_df:
                continue
            w = self.idf(t)
            for sid in p:
                acc[sid] += w
        if not acc:
            return []
        return heapq.nlargest(limit, ((w, sid) for sid, w in acc.items()))

    def query(self, norm: Normalized, terms: list[str], top: int = 3, floor: float = 40.0) -> list[Match]:
        """The scripts this message resembles, with similarity (0-100) and evidence in the original text."""
        msg_terms = set(terms)
        msg_weight = sum(self.idf(t) for t in msg_terms if t in self.postings)
        out: list[Match] = []
        for _, sid in self.candidates(msg_terms):
            s = self.scripts[sid]
            shared = [t for t in s.terms if t in msg_terms]
            overlap = sum(self.idf(t) for t in shared)
            ws = self._weight(s)
            # the script inside the message (a forward that quotes it) or the message inside the script
            # (a short SMS carrying the script's distinctive words) — the latter only once the message
            # has enough distinctive words of its own, so "我想退保" never "matches"
            terms_share = max(overlap / ws, overlap / max(msg_weight, ws * MIN_MSG_SHARE))
            chars = fuzz.partial_ratio(s.norm, norm.text)
            sim = 100 * (0.65 * min(1.0, terms_share)) + 0.35 * chars
            if sim < floor:
                continue
            out.append(Match(s.id, s.scam_type, round(sim, 1), _evidence(norm, shared), s.text))
        out.sort(key=lambda m: -m.similarity)
        return out[:top]


def _evidence(norm: Normalized, shared: list[str], limit: int = 8) -> list[Evidence]:
    spans = []
    for t in sorted(shared, key=len, reverse=True)[: limit * 2]:
        i = norm.text.find(t)
        if i >= 0:
            spans.append(norm.span(i, i + len(t)))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return [Evidence(a, b, norm.original[a:b], "与已知诈骗话术相同的说法") for a, b in merged[:limit]]
