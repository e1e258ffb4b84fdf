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

import numpy as np
from rapidfuzz import fuzz

from bot.model import Evidence, Match
from bot.pipeline.normalize import Normalized

MAX_DF_SHARE = 0.05
CANDIDATES = 8
#: Up to this many postings per message, candidates are summed in a Python dict; beyond it (large indexes,
#: long messages) with numpy over dense script slots — the same sums, at ~10 ns a posting instead of ~100.
PY_POSTINGS = 256
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
        # dense slots for the numpy path: slot → script id, and each term's postings as a slot array
        self._slot_ids: np.ndarray | None = None
        self._slot_of: dict[int, int] = {}
        self._arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.scripts)

    def _invalidate(self) -> None:
        self._idf.clear()
        self._weights.clear()
        self._cached_n = len(self.scripts)
        self._slot_ids = None
        self._slot_of = {}
        self._arrays = {}

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
        self._check_cache()
        used: list[tuple[str, set[int]]] = []
        total = 0
        for t in terms:
            p = self.postings.get(t)
            if not p or len(p) > max_df:
                continue
            used.append((t, p))
            total += len(p)
        if not used:
            return []
        if total > PY_POSTINGS:
            return self._candidates_np(used, limit)
        acc: dict[int, float] = defaultdict(float)
        for t, p in used:
            w = self.idf(t)
            for sid in p:
                acc[sid] += w
        return heapq.nlargest(limit, ((w, sid) for sid, w in acc.items()))

    def _postings_array(self, term: str, p: set[int]) -> np.ndarray:
        if self._slot_ids is None:
            self._slot_ids = np.fromiter(self.scripts, dtype=np.int64, count=len(self.scripts))
            self._slot_of = {sid: i for i, sid in enumerate(self._slot_ids.tolist())}
        a = self._arrays.get(term)
        if a is None:
            slot = self._slot_of
            a = self._arrays[term] = np.fromiter((slot[sid] for sid in p), dtype=np.int32, count=len(p))
        return a

    def _candidates_np(self, used: list[tuple[str, set[int]]], limit: int) -> list[tuple[float, int]]:
        arrays = [self._postings_array(t, p) for t, p in used]
        weights = np.repeat(np.array([self.idf(t) for t, _ in used]), [len(a) for a in arrays])
        acc = np.bincount(np.concatenate(arrays), weights=weights, minlength=len(self.scripts))
        nz = np.flatnonzero(acc)
        if len(nz) > limit:
            vals = acc[nz]
            kth = np.partition(vals, len(vals) - limit)[len(vals) - limit]
            nz = nz[vals >= kth]  # the top `limit` and anything tied with the last of them
        pool = nz
        ids = self._slot_ids
        assert ids is not None
        return heapq.nlargest(limit, ((float(acc[i]), int(ids[i])) for i in pool.tolist()))

    def search(self, norm: Normalized, terms: list[str], top: int = 3, floor: float = 40.0) -> list[Match]:
        """The scripts this message resembles, with similarity (0-100) and evidence in the original text.

        similarity = 65 × word share + 0.35 × ``partial_ratio``. The word share is cheap, the character
        score is not: candidates are scored in order of their best possible similarity (word share with a
        perfect character score), and scoring stops once that bound cannot reach the current top ``top``
        (with a margin for the rounding to one decimal), so the result is the same as scoring them all."""
        msg_terms = set(terms)
        msg_weight = sum(self.idf(t) for t in msg_terms if t in self.postings)
        pre = []
        for rank, (_, sid) in enumerate(self.candidates(msg_terms)):
            s = self.scripts[sid]
            shared = [t for t in s.terms if t in msg_terms]
            overlap = sum(self.idf(t) for t in shared)
            ws = self._weight(s)
            # the script inside the message (a forward that quotes it) or the message inside the script
            # (a short SMS carrying the script's distinctive words) — the latter only once the message
            # has enough distinctive words of its own, so "我想退保" never "matches"
            terms_share = max(overlap / ws, overlap / max(msg_weight, ws * MIN_MSG_SHARE))
            pre.append((100 * (0.65 * min(1.0, terms_share)), rank, s, shared))
        pre.sort(key=lambda x: -x[0])  # stable: equal bounds keep the candidate order
        scored: list[tuple[float, int, Script, list[str]]] = []
        bar = floor  # what a candidate must reach to matter: the floor, then the current top-th similarity
        for base, rank, s, shared in pre:
            if base + 35.0 < bar - 0.1:
                break
            cutoff = max(0.0, (bar - 0.1 - base) / 0.35 - 1e-6)
            chars = fuzz.partial_ratio(s.norm, norm.text, score_cutoff=cutoff) if cutoff > 0 else \
                fuzz.partial_ratio(s.norm, norm.text)
            sim = base + 0.35 * chars
            if sim < floor:
                continue
            scored.append((round(sim, 1), rank, s, shared))
            if len(scored) >= top:
                bar = max(floor, sorted((x[0] for x in scored), reverse=True)[top - 1])
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [Match(s.id, s.scam_type, sim, _evidence(norm, shared), s.text) for sim, _, s, shared in scored[:top]]


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
