"""The speed work (issue 5) changes no output: the fast normalization steps, the Aho-Corasick rewriter and
the rule pre-filter give exactly what the straightforward versions give, on the corpora and on random text."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import pytest

from bot.pipeline import normalize as nz
from bot.pipeline.rules.index import IndexedSignalSet
from bot.pipeline.rules.signals import SignalSet

ROOT = Path(__file__).resolve().parents[2]


def _texts() -> list[str]:
    out = []
    for f in (ROOT / "tests/corpus/labeled.jsonl", ROOT / "tests/corpus/heldout.jsonl", ROOT / "bench/messages.jsonl"):
        if f.exists():
            out += [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    r = random.Random(11)
    alpha = list("退保理财ＡＢｃ１２３ 　*/\\-_.·•|~^'\"`+=#@!&,:;()[]{}<>，。！？\u200b\u200d\ufeff😀🎁①㈱ﬁİ\r\x00\x7f"
                 "保單積分tuibao wx vip.cn/a ") + [chr(r.randint(0x20, 0x2FFF)) for _ in range(300)] + [
        chr(r.randint(0xF900, 0xFFFF)) for _ in range(200)]
    out += ["".join(r.choice(alpha) for _ in range(r.randint(0, 40))) for _ in range(2000)]
    return out


TEXTS = _texts()


# --- the straightforward versions (as first written), for reference ---------------------------------------


def ref_basic(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            if ch.isprintable() or ch in "\n\t":
                out.append(ch.lower())
                idx.append(i)
            continue
        if nz._is_invisible(ch):
            continue
        for c in unicodedata.normalize("NFKC", ch).lower():
            if not nz._is_invisible(c):
                out.append(c)
                idx.append(i)
    return "".join(out), idx


def ref_drop_separators(text: str, idx: list[int]) -> tuple[str, list[int]]:
    n = len(text)
    keep = [True] * n
    i = 0
    while i < n:
        ch = text[i]
        if (ch in nz.SEPARATORS or nz._is_symbol(ch)) and ch not in nz._KEEP_PUNCT or ch == " ":
            j = i
            while j < n and ((text[j] in nz.SEPARATORS or nz._is_symbol(text[j])) and text[j] not in nz._KEEP_PUNCT):
                j += 1
            left = text[i - 1] if i > 0 else ""
            right = text[j] if j < n else ""
            if left and right and nz._is_wordish(left) and nz._is_wordish(right) and (nz._is_han(left) or nz._is_han(right)):
                for k in range(i, j):
                    keep[k] = False
            i = j
        else:
            i += 1
    return "".join(c for c, k in zip(text, keep, strict=True) if k), [x for x, k in zip(idx, keep, strict=True) if k]


def ref_rewrite(rw: nz.Rewriter, text: str, idx: list[int]) -> tuple[str, list[int]]:
    pattern = rw.pattern
    if pattern is None:
        return text, idx
    out: list[str] = []
    out_idx: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        s, e = m.span()
        out.append(text[pos:s])
        out_idx.extend(idx[pos:s])
        repl = rw.mapping.get(m.group(0), m.group(0))
        src = idx[s:e]
        out.append(repl)
        out_idx.extend(src[min(len(src) - 1, k * len(src) // max(1, len(repl)))] for k in range(len(repl)))
        pos = e
    out.append(text[pos:])
    out_idx.extend(idx[pos:])
    return "".join(out), out_idx


def test_the_stable_character_class_is_really_stable() -> None:
    import re

    cls = re.compile(f"[{nz._STABLE_CLASS}]")
    for cp in range(0x110000):
        ch = chr(cp)
        if cls.match(ch) and not ("A" <= ch <= "Z"):
            assert nz._basic_char(ch) == ch, hex(cp)


def test_basic_and_separators_match_the_reference() -> None:
    for t in TEXTS:
        b = nz._basic(t)
        assert b == ref_basic(t), t
        assert nz._drop_separators(*b) == ref_drop_separators(*b), t


@pytest.fixture(scope="module")
def normalizer() -> nz.Normalizer:
    return nz.Normalizer()


def test_rewriters_match_the_regex_reference(normalizer: nz.Normalizer) -> None:
    for t in TEXTS:
        x = nz._drop_separators(*nz._basic(t))
        for rw in (normalizer.variants, normalizer.synonyms):
            assert rw.apply(*x) == ref_rewrite(rw, *x), t


def test_rewriter_edges_and_longest_match() -> None:
    rw = nz.Rewriter({"wx": "微信", "tuibao": "退保", "tui保": "退保", "解约": "退保", "解除保险合同": "退保"})
    for t in ["加wx", "wxid", "a.wx", "tuibaoli", "tui保理财", "请解除保险合同", "解约解约", "www.wx.com", "wx,tuibao"]:
        x = nz._basic(t)
        assert rw.apply(*x) == ref_rewrite(rw, *x), t


def test_rule_prefilter_fires_the_same_signals(tmp_path) -> None:
    from bot.config import Settings, open_engine
    from bot.pipeline.extract import extract

    e = open_engine(Settings(db_path=str(tmp_path / "s.db")))
    plain = SignalSet(e.rules)
    fast = e.signals
    assert isinstance(fast, IndexedSignalSet)
    texts = TEXTS[:1500] + [x for r in e.rules for x in r.examples_fire + r.examples_no_fire]
    for t in texts:
        norm = e.normalizer(t)
        ex = extract(nz.basic(t), norm, e.knowledge, e.orgs)
        feats = e._features(ex, e._lookups(ex), e._link_checks(ex))
        a = [(h.name, h.weight, [(v.start, v.end) for v in h.evidence]) for h in fast.evaluate(norm, feats)]
        b = [(h.name, h.weight, [(v.start, v.end) for v in h.evidence]) for h in plain.evaluate(norm, feats)]
        assert a == b, t
    e.close()
