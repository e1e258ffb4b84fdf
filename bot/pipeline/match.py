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
#: long messages) with numpy over the touched script slots — the same sums, at ~10 ns a posting instead of ~100.
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


class _Frozen:
    """The index as flat arrays, as the start-up cache holds it: loading costs a file read and a dictionary of
    the distinct words, not a Python object per script. Slots are the scripts in id order.

    ``ids``: script id per slot; ``type_of``: index into ``types`` per slot; ``post_off``/``post_slot``: each
    word's postings (slots, ascending); ``sterm_off``/``sterm``: each script's words (indices into the word
    list, in the script's order); ``text_*``/``norm_*``: UTF-8 bytes and offsets of each script's texts."""

    def __init__(self, a: dict[str, np.ndarray]):
        self.a = a
        self.ids = a["ids"]
        self.types: list[str] = bytes(a["types"]).decode("utf-8").split("\n")
        self.words: list[str] = bytes(a["words"]).decode("utf-8").split("\n") if len(a["post_off"]) > 1 else []
        self.word_of = {w: i for i, w in enumerate(self.words)}
        self.post_off = a["post_off"]
        self.post_slot = a["post_slot"]
        self.df = np.diff(self.post_off)
        self._scripts: dict[int, Script] = {}
        if len(self.words) != len(self.post_off) - 1:
            raise ValueError("word list and postings disagree")

    def __len__(self) -> int:
        return len(self.ids)

    def slot(self, sid: int) -> int | None:
        i = int(np.searchsorted(self.ids, sid))
        return i if i < len(self.ids) and int(self.ids[i]) == sid else None

    def postings(self, term: str) -> np.ndarray | None:
        w = self.word_of.get(term)
        return None if w is None else self.post_slot[self.post_off[w]: self.post_off[w + 1]]

    def script(self, slot: int) -> Script:
        s = self._scripts.get(slot)
        if s is None:
            a = self.a
            text = bytes(a["text_blob"][a["text_off"][slot]: a["text_off"][slot + 1]]).decode("utf-8")
            norm = bytes(a["norm_blob"][a["norm_off"][slot]: a["norm_off"][slot + 1]]).decode("utf-8")
            words = self.words
            terms = tuple(words[w] for w in a["sterm"][a["sterm_off"][slot]: a["sterm_off"][slot + 1]].tolist())
            s = self._scripts[slot] = Script(int(self.ids[slot]), self.types[int(a["type_of"][slot])], text, norm, terms)
        return s


def _blob(items: list[str]) -> tuple[np.ndarray, np.ndarray]:
    data = [x.encode("utf-8") for x in items]
    off = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in data], out=off[1:])
    return np.frombuffer(b"".join(data), dtype=np.uint8).copy(), off


class ScriptIndex:
    """In-memory inverted index over the active scripts; updated in place when admins change patterns.

    Two forms behind one interface: the dictionaries below (built script by script, changed in place), or
    the arrays of :class:`_Frozen` (loaded from the start-up cache by :meth:`from_arrays`, so a start does
    not grow with the number of scripts). The first change, or a caller asking for ``scripts`` or
    ``postings``, turns the frozen form into dictionaries (what every start cost before)."""

    def __init__(self) -> None:
        self._scripts: dict[int, Script] = {}
        self._postings: dict[str, set[int]] = defaultdict(set)
        self._frozen: _Frozen | None = None
        # IDF of each term and word weight of each script depend on the script count: cached, and dropped on
        # every change (and whenever the count no longer matches, e.g. after ``scripts`` was replaced)
        self._idf: dict[str, float] = {}
        self._weights: dict[int, float] = {}
        self._cached_n = -1
        # each term's postings as a slot array (slots: positions in ``_slot_ids``), for the numpy path
        self._slot_ids: np.ndarray | None = None
        self._slot_of: dict[int, int] = {}
        self._arrays: dict[str, np.ndarray] = {}

    # --- the two forms --------------------------------------------------------------------------------

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> ScriptIndex:
        """The index from :meth:`to_arrays`'s output (raises ValueError/KeyError on arrays that do not fit)."""
        idx = cls()
        idx._frozen = _Frozen(arrays)
        idx._cached_n = len(idx._frozen)
        return idx

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The index as flat arrays (see :class:`_Frozen`), for the start-up cache."""
        if self._frozen is not None:
            return dict(self._frozen.a)
        ids = sorted(self._scripts)
        slot = {sid: i for i, sid in enumerate(ids)}
        words = sorted(self._postings)
        if any("\n" in w for w in words):
            raise ValueError("a word with a line break")
        word_of = {w: i for i, w in enumerate(words)}
        types = sorted({s.scam_type for s in self._scripts.values()})
        type_of = {t: i for i, t in enumerate(types)}
        post = [sorted(slot[sid] for sid in self._postings[w]) for w in words]
        scripts = [self._scripts[sid] for sid in ids]
        text_blob, text_off = _blob([s.text for s in scripts])
        norm_blob, norm_off = _blob([s.norm for s in scripts])
        sterm = [[word_of[t] for t in s.terms] for s in scripts]
        return {
            "ids": np.array(ids, dtype=np.int64),
            "types": np.frombuffer("\n".join(types).encode("utf-8"), dtype=np.uint8).copy(),
            "type_of": np.array([type_of[s.scam_type] for s in scripts], dtype=np.int32),
            "words": np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8).copy(),
            "post_off": np.concatenate([[0], np.cumsum([len(p) for p in post], dtype=np.int64)]).astype(np.int64),
            "post_slot": np.array([x for p in post for x in p], dtype=np.int32),
            "sterm_off": np.concatenate([[0], np.cumsum([len(t) for t in sterm], dtype=np.int64)]).astype(np.int64),
            "sterm": np.array([x for t in sterm for x in t], dtype=np.int32),
            "text_blob": text_blob, "text_off": text_off, "norm_blob": norm_blob, "norm_off": norm_off,
        }

    def _thaw(self) -> None:
        """The frozen form as dictionaries (before a change, or for a caller that reads them)."""
        f = self._frozen
        if f is None:
            return
        self._frozen = None
        for i in range(len(f)):
            s = f.script(i)
            self._scripts[s.id] = s
            for t in s.terms:
                self._postings[t].add(s.id)
        self._invalidate()

    @property
    def scripts(self) -> dict[int, Script]:
        self._thaw()
        return self._scripts

    @scripts.setter
    def scripts(self, value: dict[int, Script]) -> None:
        self._thaw()
        self._scripts = value

    @property
    def postings(self) -> dict[str, set[int]]:
        self._thaw()
        return self._postings

    def copy(self) -> ScriptIndex:
        """An independent copy (the mass-check changes one without touching the live index)."""
        idx = ScriptIndex()
        if self._frozen is not None:
            idx._frozen = _Frozen(self._frozen.a)  # arrays are never written to: shared
            idx._cached_n = len(idx._frozen)
            return idx
        idx._scripts = dict(self._scripts)
        idx._postings.update({t: set(p) for t, p in self._postings.items()})
        return idx

    def __len__(self) -> int:
        return len(self._frozen) if self._frozen is not None else len(self._scripts)

    def _invalidate(self) -> None:
        self._idf.clear()
        self._weights.clear()
        self._cached_n = len(self)
        self._slot_ids = None
        self._slot_of = {}
        self._arrays = {}

    def _check_cache(self) -> None:
        if self._cached_n != len(self):
            self._invalidate()

    def add(self, sid: int, scam_type: str, text: str, norm: str, terms: list[str] | tuple[str, ...]) -> None:
        self._thaw()
        if sid in self._scripts:
            self.remove(sid)
        s = Script(sid, scam_type, text, norm, tuple(dict.fromkeys(terms)))
        self._scripts[sid] = s
        for t in s.terms:
            self._postings[t].add(sid)
        self._invalidate()

    def remove(self, sid: int) -> None:
        self._thaw()
        s = self._scripts.pop(sid, None)
        if s is None:
            return
        for t in s.terms:
            p = self._postings.get(t)
            if p is not None:
                p.discard(sid)
                if not p:
                    del self._postings[t]
        self._invalidate()

    # --- reading --------------------------------------------------------------------------------------

    def _df(self, term: str) -> int:
        f = self._frozen
        if f is not None:
            w = f.word_of.get(term)
            return 0 if w is None else int(f.df[w])
        return len(self._postings.get(term, ()))

    def has_term(self, term: str) -> bool:
        return self._df(term) > 0

    def script(self, sid: int) -> Script:
        f = self._frozen
        if f is not None:
            slot = f.slot(sid)
            if slot is None:
                raise KeyError(sid)
            return f.script(slot)
        return self._scripts[sid]

    def idf(self, term: str) -> float:
        v = self._idf.get(term)
        if v is None or self._cached_n != len(self):
            self._check_cache()
            v = self._idf[term] = math.log(1 + (len(self) + 1) / (self._df(term) + 1))
        return v

    def _weight(self, s: Script) -> float:
        w = self._weights.get(s.id)
        if w is None or self._cached_n != len(self):
            self._check_cache()
            w = self._weights[s.id] = sum(self.idf(t) for t in s.terms) or 1.0
        return w

    def candidates(self, terms: set[str], limit: int = CANDIDATES) -> list[tuple[float, int]]:
        """Scripts sharing the most specific words with the message: [(share, id)], best first. The work
        is proportional to the postings of the message's words, never to the number of scripts."""
        n = len(self)
        max_df = max(30, int(n * MAX_DF_SHARE))
        self._check_cache()
        used: list[tuple[str, int]] = []
        total = 0
        for t in terms:
            df = self._df(t)
            if not df or df > max_df:
                continue
            used.append((t, df))
            total += df
        if not used:
            return []
        if total > PY_POSTINGS:
            return self._candidates_np(used, limit)
        acc: dict[int, float] = defaultdict(float)
        f = self._frozen
        for t, _ in used:
            w = self.idf(t)
            if f is not None:
                p = f.postings(t)
                assert p is not None
                for sid in f.ids[p].tolist():
                    acc[sid] += w
            else:
                for sid in self._postings[t]:
                    acc[sid] += w
        return heapq.nlargest(limit, ((w, sid) for sid, w in acc.items()))

    def _postings_array(self, term: str) -> np.ndarray:
        """A term's postings as slots (into ``_slot_ids``, or the frozen form's ``ids``)."""
        f = self._frozen
        if f is not None:
            p = f.postings(term)
            assert p is not None
            return p
        if self._slot_ids is None:
            self._slot_ids = np.fromiter(self._scripts, dtype=np.int64, count=len(self._scripts))
            self._slot_of = {sid: i for i, sid in enumerate(self._slot_ids.tolist())}
        a = self._arrays.get(term)
        if a is None:
            slot, p = self._slot_of, self._postings[term]
            a = self._arrays[term] = np.fromiter((slot[sid] for sid in p), dtype=np.int32, count=len(p))
        return a

    def _candidates_np(self, used: list[tuple[str, int]], limit: int) -> list[tuple[float, int]]:
        arrays = [self._postings_array(t) for t, _ in used]
        weights = np.repeat(np.array([self.idf(t) for t, _ in used]), [len(a) for a in arrays])
        slots = np.concatenate(arrays)
        # sums over the touched slots only (np.unique), in the order the postings come, as a dict would add
        touched, inverse = np.unique(slots, return_inverse=True)
        acc = np.bincount(inverse, weights=weights, minlength=len(touched))
        ids = self._frozen.ids if self._frozen is not None else self._slot_ids
        assert ids is not None
        sids = ids[touched]
        if len(acc) > limit:  # the top `limit` and anything tied with the last of them
            kth = np.partition(acc, len(acc) - limit)[len(acc) - limit]
            keep = acc >= kth
            acc, sids = acc[keep], sids[keep]
        # best first, ties by the larger id: what heapq.nlargest over (share, id) gives, without a Python
        # tuple per tied script (a rare word shared by hundreds of scripts ties them all)
        order = np.lexsort((sids, acc))[::-1][:limit]
        return list(zip(acc[order].tolist(), sids[order].tolist(), strict=True))

    def search(self, norm: Normalized, terms: list[str], top: int = 3, floor: float = 40.0) -> list[Match]:
        """The scripts this message resembles, with similarity (0-100) and evidence in the original text.

        similarity = 65 × word share + 0.35 × ``partial_ratio``. The word share is cheap, the character
        score is not: candidates are scored in order of their best possible similarity (word share with a
        perfect character score), and scoring stops once that bound cannot reach the current top ``top``
        (with a margin for the rounding to one decimal), so the result is the same as scoring them all."""
        msg_terms = set(terms)
        msg_weight = sum(self.idf(t) for t in msg_terms if self.has_term(t))
        pre = []
        for rank, (_, sid) in enumerate(self.candidates(msg_terms)):
            s = self.script(sid)
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
