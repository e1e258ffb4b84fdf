"""Segmentation: rjieba (the Rust port of jieba) with a domain dictionary (insurer names, scam vocabulary).

jieba stays the reference: the same dictionary (rjieba ships jieba's ``dict.txt``), the same domain words at
the same frequency, and the same total frequency, so the most probable route through every sentence is the
same and the tokens are identical (``tests/pipeline/test_segment.py`` checks every corpus message against
a ``jieba.Tokenizer`` loaded the way this module used to load it). rjieba segments at about a tenth of
jieba's cost and needs no dictionary cache on disk.

One difference had to be made up for: adding a word that is already in the dictionary adds its new
frequency to jieba's total but only the difference to rjieba's. The sum of the old frequencies of the
domain words already in the dictionary is added back as the frequency of one private word
(:data:`BALANCE_WORD`, two private-use characters that never occur in a normalized message).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import rjieba

from bot.config import KNOWLEDGE_DIR
from bot.pipeline import cache

#: How often a domain word counts (jieba's ``add_word(w, freq=20000)``, as before rjieba).
DOMAIN_FREQ = 20000
#: The word that carries the frequency jieba counts twice and rjieba once (see the module's docstring).
BALANCE_WORD = "\ue000\ue001"
_SURROGATE = re.compile("[\ud800-\udfff]")


def load_stopwords(path: Path | None = None) -> frozenset[str]:
    path = path or KNOWLEDGE_DIR / "stopwords.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return frozenset()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def domain_words(words: Iterable[str]) -> list[str]:
    """The words taught to the segmenter, in the order they are added: two to twelve characters."""
    return [w for w in sorted(set(words)) if 2 <= len(w) <= 12]


def jieba_dictionary() -> Path:
    """jieba's own ``dict.txt`` (the reference dictionary; rjieba embeds the same file)."""
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


def dictionary_frequency(words: Iterable[str], path: Path | None = None) -> int:
    """The sum of the dictionary frequencies of ``words`` (0 for words not in it)."""
    want = set(words)
    total = 0
    with (path or jieba_dictionary()).open(encoding="utf-8") as fh:
        for line in fh:
            w, _, rest = line.partition(" ")
            if w in want:
                total += int(rest.split(" ", 1)[0])
    return total


def _balance(words: list[str], cache_dir: Path | None) -> int:
    """:func:`dictionary_frequency` of the domain words, cached (as JSON) by a hash of the words and versions:
    reading the 8 MB dictionary costs ~0.3 s, which a start-up should not pay."""
    h = hashlib.sha256()
    for pkg in ("jieba", "rjieba"):
        try:
            h.update(f"{pkg}={metadata.version(pkg)}|".encode())
        except metadata.PackageNotFoundError:
            h.update(pkg.encode())
    h.update("\n".join(words).encode("utf-8"))
    key = h.hexdigest()[:24]
    cached = cache.load_json(cache_dir, "segmenter", key)
    if isinstance(cached, dict) and isinstance(cached.get("balance"), int):
        return cached["balance"]
    value = dictionary_frequency(words)
    cache.save_json(cache_dir, "segmenter", key, {"balance": value})
    return value


_default_taken = threading.Lock()


def _tokenizer() -> rjieba.Jieba:
    """A dictionary of its own for each segmenter. Importing rjieba already built one (its module-level
    default, ~80 ms of start-up): the first segmenter of the process takes that one, later ones build
    theirs. Nothing else in the bot calls rjieba's module functions, so no one else sees our words."""
    if _default_taken.acquire(blocking=False):
        return rjieba._DEFAULT_JIEBA
    return rjieba.Jieba()


class Segmenter:
    """Segments normalized text; ``terms`` gives the content words used for script matching."""

    def __init__(self, words: Iterable[str] = (), stopwords: frozenset[str] | None = None,
                 cache_dir: str | Path | None = None):
        self.tok = _tokenizer()
        added = domain_words(words)
        for w in added:
            self.tok.add_word(w, DOMAIN_FREQ, None)
        balance = _balance(added, Path(cache_dir) if cache_dir is not None else None) if added else 0
        if balance:
            self.tok.add_word(BALANCE_WORD, balance, None)
        self.stopwords = load_stopwords() if stopwords is None else stopwords

    def cut(self, text: str) -> list[str]:
        """jieba's ``lcut(text, HMM=False)``. Lone surrogates (which cannot cross into Rust) are cut as
        one-character tokens of their own, as jieba cuts them."""
        try:
            return self.tok.cut(text, False)
        except UnicodeEncodeError:
            pass
        tokens = self.tok.cut(_SURROGATE.sub("\ufffd", text), False)
        out, pos = [], 0
        for t in tokens:  # the same lengths: give back the original characters
            out.append(text[pos : pos + len(t)])
            pos += len(t)
        return out

    def terms(self, tokens: Iterable[str]) -> list[str]:
        """Content words: two characters or more, not stopwords, not pure digits or punctuation."""
        out = []
        for t in tokens:
            if len(t) < 2 or t in self.stopwords or not any(c.isalpha() for c in t):
                continue
            if t.isascii() and not t.isalpha():
                continue
            out.append(t)
        return out
