"""The pydantic models of the verdict and lookup JSON (bot/faces/api/models.py) against what
``render.verdict_json`` / ``render.lookup_json`` really emit, for every message of the labeled corpus and
numbers of every lookup status: every emitted verdict field is declared (the verdict models forbid
others, so a new field without its model fails here), every value validates, and every declared lookup
field is emitted (the lookup model lets new fields through)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import render
from bot.faces.api import models

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "labeled.jsonl"
NUMBERS = ("95519", "12378", "+1 95519", "95591", "13912345678", "4008888888", "12", "abc", "+44 20 7946 0958")


def _texts() -> list[str]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [str(r["text"]) for r in rows] + ["", "   ", "😀😀", "繁體：您的保單可以解約轉投高收益理財", "x" * 6000]


def test_every_corpus_verdict_validates_against_the_verdict_model(engine) -> None:
    seen: set[str] = set()
    for text in _texts():
        data = json.loads(render.verdict_json(engine.analyze(text)))
        models.Verdict.model_validate(data)  # raises on an undeclared field or a wrong type
        seen.update(data)
        for m in data["matches"]:
            seen.update(f"matches.{k}" for k in m)
        for s in data["signals"]:
            seen.update(f"signals.{k}" for k in s)
    assert set(models.Verdict.model_fields) <= seen  # the model declares nothing the JSON never has
    assert {"matches.pattern_id", "matches.evidence", "signals.weight", "signals.evidence"} <= seen


def test_every_lookup_validates_and_every_declared_field_is_emitted(engine) -> None:
    statuses = set()
    for q in NUMBERS:
        data = json.loads(render.lookup_json(engine.lookup(q)))
        parsed = models.Lookup.model_validate(data)
        statuses.add(parsed.status)
        assert set(models.Lookup.model_fields) <= set(data), q
        assert parsed.model_dump() == data  # extra fields pass through unchanged
    assert {"official", "lookalike", "unknown", "invalid"} <= statuses
    link = json.loads(render.lookup_json(engine.lookup("https://pa-lipei.cc/x")))
    assert models.Lookup.model_validate(link).model_dump() == {**models.Lookup.model_validate(link).model_dump(), **link}


def test_the_verdict_model_refuses_an_undeclared_field_the_lookup_model_keeps_it(engine) -> None:
    data = json.loads(render.verdict_json(engine.analyze("您的保单可以退保转理财，年化10%保本")))
    with pytest.raises(ValidationError):
        models.Verdict.model_validate({**data, "new_field": 1})
    with pytest.raises(ValidationError):
        models.Verdict.model_validate({**data, "risk": "extreme"})
    lookup = json.loads(render.lookup_json(engine.lookup("95519")))
    assert models.Lookup.model_validate({**lookup, "warnings": ["x"]}).model_dump()["warnings"] == ["x"]
