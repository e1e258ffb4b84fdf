"""Detection quality as a regression guard: the engine keeps its measured recall and false-positive rate
on the project's own corpora (figures in the README). The floors sit a little under today's figures, so a
rule change that loses real scams, or starts flagging warnings and insurers' notices, fails here first.
``heldout.jsonl`` is not asserted on: it is for measuring, not for tuning against."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.admin.evaluate import evaluate, read_labeled
from bot.pipeline.engine import Engine

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.parametrize(
    "name, min_recall, max_fpr",
    [
        ("labeled.jsonl", 0.99, 0.01),  # tuned on: near perfect
        ("dev2.jsonl", 0.92, 0.01),  # second dev set: SMS/chat, users' retellings, evasions
        ("dev3.jsonl", 0.75, 0.025),  # fresh set the classifier is not trained on
        ("real_train.jsonl", 0.6, 0.03),  # real scammers' words and real warnings (issue 12): tuned on
    ],
)
def test_corpus_quality_holds(engine: Engine, name: str, min_recall: float, max_fpr: float) -> None:
    m = evaluate(engine, read_labeled(CORPUS / name))["metrics"]["all"]
    assert m["recall"] >= min_recall, m
    assert m["fpr"] <= max_fpr, m


def test_dev2_covers_every_type_and_both_sides() -> None:
    rows = list(read_labeled(CORPUS / "dev2.jsonl"))
    scams = [r for r in rows if r["label"] == "scam"]
    legit = [r for r in rows if r["label"] == "legit"]
    assert len(scams) >= 300 and len(legit) >= 300
    assert len({r["type"] for r in scams}) == 9
    assert sum(r["hard"] for r in scams) >= len(scams) / 3 and sum(r["hard"] for r in legit) >= len(legit) / 3


def test_real_corpus_is_split_by_source_page_and_sourced() -> None:
    """real_train / real_test: every row keeps its page and how it was taken; no page is in both."""
    train = list(read_labeled(CORPUS / "real_train.jsonl"))
    test = list(read_labeled(CORPUS / "real_test.jsonl"))
    for r in train + test:
        assert r["source"].startswith("http") and r["how"] in ("quoted", "excerpt"), r
    assert not {r["source"] for r in train} & {r["source"] for r in test}
    assert len(test) >= (len(train) + len(test)) / 4
    scams = [r for r in train + test if r["label"] == "scam"]
    assert len(scams) >= 150 and len(train) + len(test) - len(scams) >= 600
    assert sum(r["lang"] == "zh-Hant" for r in train + test) >= 160


def test_real_test_is_measured_but_not_tuned(engine: Engine) -> None:
    """The real test split is only totalled (never tuned on); this guards against it collapsing."""
    m = evaluate(engine, read_labeled(CORPUS / "real_test.jsonl"))["metrics"]["all"]
    assert m["recall"] >= 0.3 and m["fpr"] <= 0.1, m

