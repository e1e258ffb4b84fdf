"""Normalization that defeats the usual evasions, keeping a map back to the user's original text.

Scam senders write 退 保, 退*保, ｔｕｉ保, 退\u200b保, 退保 in Traditional script, or swap in synonyms
(解约, 撤保) so that keyword filters miss them. Every step here rewrites the text but records, for
each output character, which original character it came from, so evidence is shown as the user
wrote it. The variant and synonym lists are data (``knowledge/normalization.yaml``), not code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.config import KNOWLEDGE_DIR

#: Characters removed when they sit between two Chinese characters (or a Chinese character and a letter):
#: senders use them to split keywords so that filters miss them.
SEPARATORS = set(" \t*/\\-_.·•|~^'\"`+=#@!&,:;()[]{}<>")
#: Punctuation that separates phrases in Chinese; never removed.
_KEEP_PUNCT = set("，。！？、；：,.!?;:\n")


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def _is_wordish(ch: str) -> bool:
    return _is_han(ch) or ("a" <= ch <= "z")


def _is_invisible(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("Cf", "Cs", "Co", "Cn") or (cat == "Cc" and ch not in "\n\t") or ch in "\u3164\u115f\u1160"


def _is_symbol(ch: str) -> bool:
    """Emoji and other symbols that senders insert inside words."""
    return unicodedata.category(ch) in ("So", "Sk", "Mn", "Me")


@dataclass
class Normalized:
    """A normalized text with a map from each of its characters to an index in ``original``."""

    original: str
    text: str
    index: list[int]
    traditional: bool = False

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span that produced ``text[start:end]``."""
        if not self.index or start >= len(self.index):
            return (len(self.original), len(self.original))
        end = max(end, start + 1)
        o_start = self.index[start]
        o_end = self.index[min(end, len(self.index)) - 1] + 1
        return (o_start, max(o_end, o_start + 1))

    def original_text(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return self.original[a:b]


def _basic_char(ch: str) -> str:
    """What :func:`_basic` makes of one character ("" when it is dropped)."""
    if ch.isascii():
        return ch.lower() if ch.isprintable() or ch in "\n\t" else ""
    if _is_invisible(ch):
        return ""
    return "".join(c for c in unicodedata.normalize("NFKC", ch).lower() if not _is_invisible(c))


#: Characters that NFKC, ``lower`` and the invisible-character filter leave as they are, one for one
#: (ASCII capitals only need ``lower``, which is one for one too): copied in runs, not looked at one by one.
#: ``tests/test_normalize.py`` checks every character of this class against :func:`_basic_char`.
_STABLE_CLASS = "\x20-\x7e\n\t\u3400-\u4dbf\u4e00-\u9fff\u3001\u3002\u3008-\u3011\u3014-\u301b\u2018-\u201d\u2014\u00b7"
_UNSTABLE = re.compile(f"[^{_STABLE_CLASS}]")
_UPPER = re.compile("[A-Z]")
_CHAR_CACHE: dict[str, str] = {}


def _basic(text: str) -> tuple[str, list[int]]:
    """NFKC per character (full-width → half-width), lowercase, drop invisible characters."""
    out: list[str] = []
    idx: list[int] = []
    pos = 0
    cache = _CHAR_CACHE
    for m in _UNSTABLE.finditer(text):
        i = m.start()
        if i > pos:
            out.append(text[pos:i])
            idx.extend(range(pos, i))
        ch = text[i]
        rep = cache.get(ch)
        if rep is None:
            rep = cache[ch] = _basic_char(ch)
        if rep:
            out.append(rep)
            idx.extend([i] * len(rep))
        pos = i + 1
    if pos < len(text):
        out.append(text[pos:])
        idx.extend(range(pos, len(text)))
    t = "".join(out)
    if _UPPER.search(t):
        t = t.lower()  # only ASCII capitals can be left at this point: one for one
    return t, idx


def basic(text: str) -> Normalized:
    """Only the character-level cleanup; used to extract numbers and links, whose spelling must survive."""
    t, idx = _basic(text)
    return Normalized(text, t, idx)


def _is_run_char(ch: str) -> bool:
    return (ch in SEPARATORS or _is_symbol(ch)) and ch not in _KEEP_PUNCT or ch == " "


#: Stretches that may hold a separator run: anything but Chinese characters, a-z, 0-9 and kept punctuation
#: (none of which can be part of a run), so the character-by-character scan only looks at those stretches.
_MAYBE_RUN = re.compile("[^a-z0-9\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff，。！？、；：,.!?;:\n]+")


def _drop_separators(text: str, idx: list[int]) -> tuple[str, list[int]]:
    """Remove separator runs (and emoji) that sit between two word characters: 退 * 保 → 退保."""
    n = len(text)
    drops: list[tuple[int, int]] = []
    for m in _MAYBE_RUN.finditer(text):
        i, end = m.span()
        while i < end:
            if _is_run_char(text[i]):
                j = i
                while j < n and ((text[j] in SEPARATORS or _is_symbol(text[j])) and text[j] not in _KEEP_PUNCT):
                    j += 1
                left = text[i - 1] if i > 0 else ""
                right = text[j] if j < n else ""
                if left and right and _is_wordish(left) and _is_wordish(right) and (_is_han(left) or _is_han(right)):
                    drops.append((i, j))
                i = max(j, i + 1)
            else:
                i += 1
    if not drops:
        return text, idx
    return _splice(text, idx, [(a, b, "") for a, b in drops])


def _splice(text: str, idx: list[int], edits: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """``text`` with each (start, end, replacement) applied (sorted, not overlapping), and the map back to
    the original text kept: a replacement's characters are spread over the span they replace, so
    highlights cover what the user wrote; a deletion ("" ) leaves nothing behind."""
    out: list[str] = []
    out_idx: list[int] = []
    pos = 0
    for s, e, repl in edits:
        out.append(text[pos:s])
        out_idx.extend(idx[pos:s])
        src = idx[s:e]
        out.append(repl)
        out_idx.extend(src[min(len(src) - 1, k * len(src) // max(1, len(repl)))] for k in range(len(repl)))
        pos = e
    out.append(text[pos:])
    out_idx.extend(idx[pos:])
    return "".join(out), out_idx


#: An ASCII full stop between two Chinese characters ("医.保.卡", "盗.刷") is a separator, not the end of a
#: sentence: Chinese text ends sentences with "。", and links and decimals have no Chinese around the dot.
_INNER_DOT = re.compile(r"(?<=[\u3400-\u4dbf\u4e00-\u9fff])\.+(?=[\u3400-\u4dbf\u4e00-\u9fff])")


def _drop_inner_dots(text: str, idx: list[int]) -> tuple[str, list[int]]:
    if "." not in text:
        return text, idx
    dots = [(m.start(), m.end(), "") for m in _INNER_DOT.finditer(text)]
    return _splice(text, idx, dots) if dots else (text, idx)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified with OpenCC."""
    return _t2s().convert(text)


_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")


def _simplify(text: str, idx: list[int]) -> tuple[str, list[int], bool]:
    if not _HAN.search(text):
        return text, idx, False
    conv = to_simplified(text)
    if conv == text:
        return text, idx, False
    if len(conv) != len(text):  # phrase conversion changed the length: fall back to per-character
        conv = "".join(to_simplified(c) if _is_han(c) else c for c in text)
        if len(conv) != len(text):
            return text, idx, False
    changed = sum(1 for a, b in zip(text, conv, strict=True) if a != b)
    han = len(_HAN.findall(text))
    traditional = changed >= 2 and changed >= 0.05 * han or (changed == 1 and han <= 6)
    return conv, idx, traditional


#: characters that may not touch a key's Latin edge (see :func:`_bounded`)
_NOT_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789./:_-")
_NOT_AFTER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789./_-")


class Rewriter:
    """Longest-match-first replacement of literal spellings, keeping the index map.

    Matching is one Aho-Corasick pass (the keys run to thousands: pinyin forms of every key word) with the
    semantics of the regex ``pattern`` (an alternation of the keys, longest first, each with
    :func:`_bounded`'s edges): scanning left to right, at the first position where some key matches, the
    longest matching key is replaced, and the scan goes on after it."""

    def __init__(self, mapping: dict[str, str]):
        self.mapping = {k: v for k, v in mapping.items() if k and k != v}
        # every canonical word also matches itself, so 保监会 → 银保监会 leaves 银保监会 alone
        self.keys = sorted(set(self.mapping) | {v for v in self.mapping.values() if v}, key=lambda k: (-len(k), k))
        self.auto = None
        if self.mapping:
            import ahocorasick

            self.auto = ahocorasick.Automaton()
            for k in self.keys:
                edge_before = k[0].isascii() and k[0].isalnum()
                edge_after = k[-1].isascii() and k[-1].isalnum()
                self.auto.add_word(k, (len(k), edge_before, edge_after))
            self.auto.make_automaton()

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """The equivalent regex (slow on long key lists; kept as the reference for tests)."""
        return re.compile("|".join(_bounded(k) for k in self.keys)) if self.mapping else None

    def _matches(self, text: str) -> list[tuple[int, int]]:
        best: dict[int, int] = {}
        n = len(text)
        for end, (length, edge_before, edge_after) in self.auto.iter(text):
            start = end - length + 1
            if edge_before and start > 0 and text[start - 1] in _NOT_BEFORE:
                continue
            if edge_after and end + 1 < n and text[end + 1] in _NOT_AFTER:
                continue
            if length > best.get(start, 0):
                best[start] = length
        out = []
        pos = 0
        for start in sorted(best):
            if start >= pos:
                pos = start + best[start]
                out.append((start, pos))
        return out

    def apply(self, text: str, idx: list[int]) -> tuple[str, list[int]]:
        if self.auto is None:
            return text, idx
        spans = self._matches(text)
        if not spans:
            return text, idx
        return _splice(text, idx, [(s, e, self.mapping.get(text[s:e], text[s:e])) for s, e in spans])


def _bounded(key: str) -> str:
    """A key's regex; Latin letters at its edges must not touch other letters, digits or URL characters
    (so "wx" never matches inside a word or a link)."""
    pat = re.escape(key)
    if key[0].isascii() and key[0].isalnum():
        pat = r"(?<![a-z0-9./:_\-])" + pat
    if key[-1].isascii() and key[-1].isalnum():
        pat += r"(?![a-z0-9./_\-])"
    return pat


def _pinyin_forms(word: str) -> Iterable[str]:
    """Pinyin spellings of a key word: tuibao, tui保, 退bao (the usual ways to dodge keyword filters)."""
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is a declared dependency
        return []
    if not all(_is_han(c) for c in word) or len(word) < 2:
        return []
    syl = lazy_pinyin(word)
    forms = {"".join(syl)}
    for k in range(len(word)):
        forms.add("".join(syl[:k]) + word[k:])  # pinyin prefix: tui保
        forms.add(word[:k] + "".join(syl[k:]))  # pinyin suffix: 退bao
        forms.add(word[:k] + syl[k] + word[k + 1 :])  # one syllable: 退bao理
    # whole-pinyin messages put spaces between words or syllables ("bao dan", "quane tuibao"): every
    # way of grouping the syllables with single spaces (at most 2**(n-1) forms; n ≤ 6)
    if len(syl) <= 6 and all(s.isascii() and s.isalpha() for s in syl):
        for mask in range(1, 2 ** (len(syl) - 1)):
            parts = [syl[0]]
            for k in range(1, len(syl)):
                if mask >> (k - 1) & 1:
                    parts.append(syl[k])
                else:
                    parts[-1] += syl[k]
            forms.add(" ".join(parts))
    forms.discard(word)
    # a bare pinyin syllable string shorter than 5 letters collides with English and URLs (e.g. "bao")
    return [f for f in forms if not (f.isascii() and len(f.replace(" ", "")) < 5)]


def load_rewriters(path=None) -> tuple[Rewriter, Rewriter]:
    """Build the variant and synonym rewriters from ``knowledge/normalization.yaml``."""
    import yaml

    path = path or KNOWLEDGE_DIR / "normalization.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        data = {}
    variants: dict[str, str] = {}
    for canon, spellings in (data.get("variants") or {}).items():
        canon = _clean_key(canon)
        for form in _pinyin_forms(canon):
            variants.setdefault(form, canon)
        for s in spellings or []:
            variants[_clean_key(s)] = canon
    try:  # same-sound spellings generated by tools/gen_homophones.py (the hand-written entries win)
        generated = yaml.safe_load((path.parent / "homophones.yaml").read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        generated = {}
    for canon, spellings in (generated.get("homophones") or {}).items():
        for s in spellings or []:
            variants.setdefault(_clean_key(s), _clean_key(canon))
    for word in data.get("pinyin_keywords") or []:
        for form in _pinyin_forms(_clean_key(word)):
            variants.setdefault(form, _clean_key(word))
    synonyms: dict[str, str] = {}
    for canon, spellings in (data.get("synonyms") or {}).items():
        for s in spellings or []:
            key, value = _clean_key(s), _clean_key(canon)
            synonyms[key] = value
            if key.isascii() and key[-1].isalpha() and len(key) >= 3:
                # an English phrase may end its sentence: "…a 9% annual return." (a Latin edge may not touch
                # a full stop, so that spellings never match inside links; the stop is part of this key)
                synonyms.setdefault(key + ".", value + "。")
    return Rewriter(variants), Rewriter(synonyms)


def _clean_key(s: str) -> str:
    """Normalize a data-file spelling the way message text is normalized (so both sides agree)."""
    t, idx = _basic(str(s))
    t, idx = _drop_separators(t, idx)
    t, _, _ = _simplify(t, idx)
    return t


class Normalizer:
    """The whole normalization step; built once (loads the rewrite tables), then applied per message."""

    def __init__(self, variants: Rewriter | None = None, synonyms: Rewriter | None = None):
        if variants is None or synonyms is None:
            variants, synonyms = load_rewriters()
        self.variants = variants
        self.synonyms = synonyms

    def __call__(self, text: str, basic_form: Normalized | None = None) -> Normalized:
        """Normalize ``text``; ``basic_form`` (``basic(text)``, if the caller has it) saves redoing that step."""
        if basic_form is not None and basic_form.original is text:
            t, idx = basic_form.text, list(basic_form.index)
        else:
            t, idx = _basic(text)
        t, idx = _drop_inner_dots(*_drop_separators(t, idx))
        t, idx, traditional = _simplify(t, idx)
        t, idx = self.variants.apply(t, idx)
        t, idx = _drop_separators(t, idx)  # a pinyin variant may now sit next to a separator
        t, idx = self.synonyms.apply(t, idx)
        return Normalized(text, t, idx, traditional)

    def canonical(self, text: str) -> str:
        """Just the normalized string (for stored scripts and data-file terms)."""
        return self(text).text
