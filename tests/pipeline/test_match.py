"""Script matching (bot.match): candidates come from the inverted index, re-ranking is character-level,
admin changes update the index in place, and evidence points into the user's original text."""

from __future__ import annotations

import pytest

from bot.pipeline import match as match_mod
from bot.pipeline.engine import Engine
from bot.pipeline.match import ScriptIndex
from bot.pipeline.score import MATCH_SHOW

STORED = "您的分红险收益太低了，建议您先办理退保，把钱转入我们公司年化10%的保本理财产品，退保损失由公司全额补偿"
REWORDED = "你那份分红险的收益实在太低，不如退保吧，钱转到我们年化10%保本理财，退保的损失公司给你全额补偿。"


def _index(engine: Engine, texts: dict[int, str]) -> ScriptIndex:
    idx = ScriptIndex()
    for sid, text in texts.items():
        norm, terms = engine.script_forms(text)
        idx.add(sid, "surrender_for_investment", text, norm, terms)
    return idx


def test_a_script_sharing_no_rare_word_is_never_scored(engine: Engine, monkeypatch) -> None:
    unrelated = {100 + i: f"周末{w}聚餐，记得带上{w}的照片和礼物，晚上七点在老地方见" for i, w in enumerate("甲乙丙丁戊己庚辛壬癸")}
    idx = _index(engine, {1: STORED, **unrelated})
    scored: list[str] = []
    real = match_mod.fuzz.partial_ratio

    def spy(a: str, b: str, *args, **kw) -> float:
        scored.append(a)
        return real(a, b, *args, **kw)

    monkeypatch.setattr(match_mod.fuzz, "partial_ratio", spy)
    norm = engine.normalizer(REWORDED)
    terms = engine.segmenter.terms(engine.segmenter.cut(norm.text))
    out = idx.search(norm, terms)
    assert out and out[0].pattern_id == 1
    assert scored and all(s == idx.scripts[1].norm for s in scored)  # none of the unrelated scripts was scored
    assert 1 in {sid for _, sid in idx.candidates(set(terms))}
    assert not {sid for _, sid in idx.candidates(set(terms))} & set(unrelated)


def test_a_reworded_variant_of_a_stored_script_scores_high(engine: Engine) -> None:
    idx = _index(engine, {1: STORED, 2: "您的理赔款已审核通过，需先缴纳解冻费才能到账，请转入指定账户"})
    norm = engine.normalizer(REWORDED)
    out = idx.search(norm, engine.segmenter.terms(engine.segmenter.cut(norm.text)))
    assert out[0].pattern_id == 1 and out[0].similarity >= MATCH_SHOW


def test_adding_and_removing_a_script_updates_the_index(engine: Engine) -> None:
    idx = _index(engine, {2: "您的理赔款已审核通过，需先缴纳解冻费才能到账，请转入指定账户"})
    norm = engine.normalizer(REWORDED)
    terms = engine.segmenter.terms(engine.segmenter.cut(norm.text))
    assert not any(m.pattern_id == 1 for m in idx.search(norm, terms))
    idf_before = idx.idf("分红险")
    n_stored, terms_stored = engine.script_forms(STORED)
    idx.add(1, "surrender_for_investment", STORED, n_stored, terms_stored)
    assert idx.idf("分红险") < idf_before  # the cached IDF was dropped with the change
    assert idx.search(norm, terms)[0].pattern_id == 1
    idx.remove(1)
    assert 1 not in idx.scripts and all(1 not in p for p in idx.postings.values())
    assert not any(m.pattern_id == 1 for m in idx.search(norm, terms))
    assert idx.idf("分红险") == pytest.approx(idf_before)


def test_the_engine_index_follows_admin_changes(engine: Engine) -> None:
    pid = 990_001
    msg = "专业团队代办全额退保，内部关系百分百成功，先交定金三千元签委托书，加微信 qq_tb9917"
    engine.index_add(pid, "agent_surrender", "专业团队代办全额退保，内部关系保证百分百成功，先交三千元定金并签委托书")
    try:
        assert any(m.pattern_id == pid for m in engine.analyze(msg).matches)
    finally:
        engine.index_remove(pid)
    assert not any(m.pattern_id == pid for m in engine.analyze(msg).matches)


def test_evidence_spans_map_to_the_original_text(engine: Engine) -> None:
    idx = _index(engine, {1: STORED})
    raw = "妳那份分紅險的收益實在太低，不如退 保吧，錢轉到我們年化１０%保本理＊財，退保的損失公司給妳全額補償。"
    norm = engine.normalizer(raw)
    out = idx.search(norm, engine.segmenter.terms(engine.segmenter.cut(norm.text)))
    assert out and out[0].pattern_id == 1
    ev = out[0].evidence
    assert ev
    for e in ev:
        assert raw[e.start:e.end] == e.text  # a span of what the user wrote
    shown = {e.text for e in ev}
    assert any("分紅險" in t for t in shown)  # Traditional, as written
    assert any("退 保" in t for t in shown) or any("理＊財" in t for t in shown)  # separators kept as written
