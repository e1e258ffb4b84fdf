"""Segmentation: rjieba must cut every message exactly as jieba (the reference) cut it with the same
domain dictionary, since every rule, script term and highlight was tuned on jieba's tokens."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import jieba
import pytest

from bot.config import ROOT
from bot.pipeline.segment import BALANCE_WORD, DOMAIN_FREQ, Segmenter, dictionary_frequency, domain_words

jieba.setLogLevel(logging.WARNING)


def _corpus() -> list[str]:
    texts = []
    for path in [*sorted((ROOT / "tests" / "corpus").glob("*.jsonl")), ROOT / "bench" / "messages.jsonl"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


@pytest.fixture(scope="module")
def pair(engine, tmp_path_factory):
    """The engine's segmenter and a jieba.Tokenizer loaded the way segment.py loaded it before rjieba."""
    ref = jieba.Tokenizer()
    ref.tmp_dir = str(tmp_path_factory.mktemp("jieba"))
    ref.initialize()
    for w in domain_words(engine._vocabulary()):
        ref.add_word(w, freq=DOMAIN_FREQ)
    return engine, ref


def test_identical_tokens_on_every_corpus_message(pair):
    engine, ref = pair
    texts = _corpus()
    assert len(texts) > 4000
    differ = []
    for t in texts:
        norm = engine.normalizer(t).text
        for s in (norm, t):  # the normalized text the engine cuts, and raw text too
            if engine.segmenter.cut(s) != ref.lcut(s, HMM=False):
                differ.append(s)
    assert differ == []


def test_identical_on_odd_text(pair):
    engine, ref = pair
    for s in ["", " ", "\r\n\t", "ａｂｃ１２３", "abc123 def_45.6%", "😀😀保单", "\x00\x01", "a" * 3000,
              "95519", "+86 139-1234-5678", "www.pa-lipei.cc/x?y=1", "退保" * 500, "\ue000\ue001"]:
        assert engine.segmenter.cut(s) == ref.lcut(s, HMM=False), s


def test_lone_surrogates_are_cut_not_raised(pair):
    engine, ref = pair
    s = "您的\ud800保单\udfff退保abc"
    got = engine.segmenter.cut(s)
    assert "".join(got) == s
    assert got == ref.lcut(s, HMM=False)


def test_balance_is_the_old_frequencies_of_known_words(tmp_path):
    d = tmp_path / "dict.txt"
    d.write_text("保单 50 n\n退保 7 v\n理财 3 n\n", encoding="utf-8")
    assert dictionary_frequency(["退保", "理财", "新词"], d) == 10


def test_without_the_balance_rjieba_would_differ():
    """The reason for BALANCE_WORD: teach both segmenters 300 common dictionary words (their old frequencies
    then weigh in jieba's total); without the balance rjieba cuts many corpus messages differently, with it
    none. (The bot's own vocabulary is mostly new words, so on today's data the balance rarely matters.)"""
    from bot.pipeline.segment import jieba_dictionary

    rows = [line.split(" ") for line in jieba_dictionary().read_text(encoding="utf-8").splitlines()]
    words = [r[0] for r in sorted((r for r in rows if len(r[0]) == 2), key=lambda r: -int(r[1]))[:300]]
    seg = Segmenter(words, stopwords=frozenset())
    bare = Segmenter([], stopwords=frozenset())
    ref = jieba.Tokenizer()
    ref.initialize()
    for w in domain_words(words):
        bare.tok.add_word(w, DOMAIN_FREQ, None)
        ref.add_word(w, freq=DOMAIN_FREQ)
    assert seg.tok.has_word(BALANCE_WORD) and not bare.tok.has_word(BALANCE_WORD)
    texts = _corpus()
    assert sum(bare.cut(t) != ref.lcut(t, HMM=False) for t in texts) > 20
    assert [t for t in texts if seg.cut(t) != ref.lcut(t, HMM=False)] == []


def test_domain_words_are_whole_tokens(engine):
    assert "代理退保" in engine.segmenter.cut("有人说可以帮我代理退保")


def test_each_segmenter_has_its_own_dictionary(engine):
    """The first segmenter takes rjieba's default dictionary (already built at import); every later one
    builds its own, so two engines with different words never share them."""
    a = Segmenter(["甲乙丙丁词"], stopwords=frozenset())
    b = Segmenter([], stopwords=frozenset())
    assert a.tok is not b.tok and a.tok is not engine.segmenter.tok
    assert a.tok.has_word("甲乙丙丁词") and not b.tok.has_word("甲乙丙丁词")
    assert not engine.segmenter.tok.has_word("甲乙丙丁词")


def test_balance_is_cached_as_json(tmp_path):
    Segmenter(["代理退保", "保单", "理财"], stopwords=frozenset(), cache_dir=tmp_path)
    files = list(Path(tmp_path).glob("segmenter-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["balance"] > 0
