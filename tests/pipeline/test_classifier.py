"""The statistical second opinion (bot/classifier.py, scam_patterns/model.yaml): it learns from the
project's labeled files, counts only for messages about insurance (points when sure of a scam, a smaller
deduction when sure of a legitimate notice), and is cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.pipeline import classifier
from bot.pipeline.classifier import MODEL_LEGIT_SIGNAL, MODEL_SIGNAL, Classifier, ModelSettings
from bot.pipeline.engine import Engine
from bot.pipeline.normalize import Normalizer

CANON = Normalizer().canonical


@pytest.fixture(scope="module")
def clf(tmp_path_factory: pytest.TempPathFactory) -> Classifier:
    c = classifier.build(CANON, tmp_path_factory.mktemp("cache"))
    assert c is not None
    return c


def test_it_learns_scams_from_notices(clf: Classifier) -> None:
    scam = CANON("您好，我是国寿售后，您那份保单收益太低，先解约把钱转到我们的稳健账户，年化9%保本")
    notice = CANON("【中国人寿】您的保单续期保费已扣款成功，感谢您的支持，客服95519。")
    assert clf.probability(scam) > 0.8
    assert clf.probability(notice) < 0.3


def test_points_are_zero_between_the_thresholds_and_linear_outside(clf: Classifier) -> None:
    s = clf.settings
    assert 0 < s.legit_threshold < s.threshold and s.legit_weight > 0 and s.weight > 0
    assert clf.points(s.threshold - 0.01) == 0.0
    assert clf.points(s.legit_threshold + 0.01) == 0.0
    assert clf.points(1.0) == s.weight
    mid = s.threshold + (1 - s.threshold) / 2
    assert clf.points(mid) == pytest.approx(s.weight / 2, abs=0.1)
    assert clf.points(0.0) == -s.legit_weight
    assert clf.points(s.legit_threshold / 2) == pytest.approx(-s.legit_weight / 2, abs=0.1)


def test_only_messages_about_insurance_get_points(clf: Classifier) -> None:
    # the same push-to-pay wording with nothing about insurance: the model stays silent
    off_topic = CANON("亲，您的快递已签收，好评返现5元，加微信领取")
    assert not clf.on_topic(off_topic, names_an_org=False)
    hit = clf.hit(off_topic, names_an_org=False)
    assert hit is None or hit.weight < 0  # never points for a scam off topic; a deduction may apply anywhere
    assert clf.on_topic(CANON("您的医保卡异常"), names_an_org=False)
    assert clf.on_topic(CANON("国寿客服通知"), names_an_org=True)


def test_the_deduction_applies_off_topic_too(clf: Classifier) -> None:
    """A news story or warning about a parcel or a bill (no insurance word) can still read legitimate: the
    rules fire on such texts, so the deduction is not gated by topic."""
    news = CANON("警方提醒：近日多名市民接到自称快递客服的电话，称快递丢失要赔偿，随后被骗，请大家提高警惕。")
    assert not clf.on_topic(news, names_an_org=False)
    assert clf.probability(news) < clf.settings.legit_threshold
    hit = clf.hit(news, names_an_org=False)
    assert hit is not None and hit.weight < 0


def test_the_engine_adds_the_model_as_a_positive_signal(engine: Engine) -> None:
    v = engine.analyze("阿姨，您那份老保单放着不划算，先把单子结了，钱放到我们这边的稳健账户，每月有固定收益。")
    hits = [s for s in v.signals if s.name == MODEL_SIGNAL]
    assert hits and 0 < hits[0].weight <= engine.classifier.settings.weight
    legit = engine.analyze("【中国人寿】您申请的退保已办理完成，退保金已转入您尾号6621的银行卡，客服95519。")
    assert all(s.name != MODEL_SIGNAL for s in legit.signals) and not legit.is_scam
    # a notice it is sure of gets the (smaller) deduction, as a negative signal
    deduction = [s for s in legit.signals if s.name == MODEL_LEGIT_SIGNAL]
    assert deduction and -engine.classifier.settings.legit_weight <= deduction[0].weight < 0


def test_the_deduction_cannot_clear_a_demand_for_money(engine: Engine) -> None:
    # a scam that borrows an insurer's polite notice style still asks for a fee first: the rules carry it
    v = engine.analyze("【中国人寿】尊敬的客户，您的理赔款已审核通过，需先转500元手续费到指定账户才能到账，客服专员138 1234 5678。")
    assert v.is_scam, [(s.name, s.weight) for s in v.signals]


def test_the_fitted_model_is_cached(tmp_path: Path) -> None:
    first = classifier.build(CANON, tmp_path)
    files = list(tmp_path.glob("classifier-*.npz"))
    assert first is not None and len(files) == 1
    # a second start reads the file instead of retraining: same answers, file untouched
    mtime = files[0].stat().st_mtime_ns
    second = classifier.build(CANON, tmp_path)
    assert second is not None and files[0].stat().st_mtime_ns == mtime
    text = CANON("保单贷款放款前需先交解冻金2000元")
    assert second.probability(text) == first.probability(text)


def test_a_change_to_the_normalizer_data_retrains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model is fitted on normalized text, so the normalizer's data is part of the cache key."""
    data = tmp_path / "normalization.yaml"
    data.write_text("variants: {}\n", encoding="utf-8")
    monkeypatch.setattr(classifier, "_normalizer_inputs", lambda: [data])
    settings, files = ModelSettings(), [Path("tests/corpus/labeled.jsonl")]
    before = classifier._key(settings, files)
    data.write_text("variants: {退保: [解约]}\n", encoding="utf-8")
    assert classifier._key(settings, files) != before


def test_the_normalizer_inputs_are_the_normalizer_and_its_data() -> None:
    assert {p.name for p in classifier._normalizer_inputs()} == {"normalize.py", "normalization.yaml", "homophones.yaml"}


def test_no_training_data_or_zero_weight_means_no_model(tmp_path: Path) -> None:
    assert classifier.build(CANON, tmp_path, ModelSettings(training=["nowhere/*.jsonl"])) is None
    assert classifier.build(CANON, tmp_path, ModelSettings(weight=0, training=["tests/corpus/labeled.jsonl"])) is None


def test_training_rows_read_every_kind_of_file() -> None:
    rows = list(classifier.training_rows(["scam_patterns/scripts/*.yaml", "scam_patterns/known_legit.yaml",
                                          "tests/corpus/labeled.jsonl"]))
    assert sum(y for _, y in rows) >= 132 + 219
    assert sum(not y for _, y in rows) >= 76 + 225


def test_the_fast_path_computes_what_scikit_learn_computes(clf: Classifier) -> None:
    import json

    texts = [json.loads(line)["text"] for line in (Path(__file__).resolve().parents[1] / "corpus" / "dev3.jsonl").open()]
    texts += ["", "  ", "a", "退保", "保单  收益\t太低 ,,, 年化10% http://x.cn", "ＡＢＣ 医保卡 冻结"]
    for t in texts:
        n = CANON(t)
        assert clf.probability(n) == pytest.approx(clf.probability_reference(n), abs=1e-9), t


def _dict_probability(clf, params, norm_text: str) -> float:
    """The classifier's probability as it was computed before the gram arrays: one slice and one
    dictionary read per position. The arrays must give the same float, bit for bit."""
    import math
    import re

    text = re.sub(r"\s\s+", " ", norm_text.lower())
    counts: dict[str, int] = {}
    for n in clf._sizes:
        for i in range(len(text) - n + 1):
            g = text[i : i + n]
            if g in params:
                counts[g] = counts.get(g, 0) + 1
    dot = norm = 0.0
    for g, c in counts.items():
        idf, w = params[g]
        x = (1.0 + math.log(c)) * idf
        dot += x * w
        norm += x * x
    z = clf._intercept + (dot / math.sqrt(norm) if norm else 0.0)
    return 1.0 / (1.0 + math.exp(-z))


def test_gram_arrays_give_the_dictionary_result_bit_for_bit(engine):
    import json

    from bot.config import ROOT

    clf = engine.classifier
    params = clf._weights.params
    texts = ["", " ", "a", "保单", "\ud800退保\udfff", "ＡＢ  C\n\n保险", "😀" * 5]
    for path in sorted((ROOT / "tests" / "corpus").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for t in texts:
        norm = engine.normalizer(t).text
        assert clf.probability(norm) == _dict_probability(clf, params, norm), t
