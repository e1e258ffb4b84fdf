"""Segmentation: jieba with a domain dictionary (insurer names, scam vocabulary), loaded once.

A private ``jieba.Tokenizer`` (not the global one) so the bot's words never leak into other users of
jieba in the same process; it reuses jieba's dictionary cache (kept in the engine's cache folder when it
has one, so it survives temp-folder clean-ups), so start-up costs one cache read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import jieba

from bot.config import KNOWLEDGE_DIR

jieba.setLogLevel(logging.WARNING)


def load_stopwords(path=None) -> frozenset[str]:
    path = path or KNOWLEDGE_DIR / "stopwords.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return frozenset()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


class Segmenter:
    """Segments normalized text; ``terms`` gives the content words used for script matching."""

    def __init__(self, words: Iterable[str] = (), stopwords: frozenset[str] | None = None,
                 cache_dir: str | Path | None = None):
        self.tok = jieba.Tokenizer()
        if cache_dir is not None:
            self.tok.tmp_dir = str(cache_dir)
        self.tok.initialize()
        for w in sorted(set(words)):
            if 2 <= len(w) <= 12:
                self.tok.add_word(w, freq=20000)
        self.stopwords = load_stopwords() if stopwords is None else stopwords

    def cut(self, text: str) -> list[str]:
        return self.tok.lcut(text, HMM=False)

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
