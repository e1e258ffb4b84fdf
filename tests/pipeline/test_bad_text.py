"""Text no encoder accepts (lone surrogates, as JSON escapes like "\\ud800" produce them) is replaced at
the engine's entry and at every face's boundary, so no renderer, store write or face crashes on it
(issue 15, item 12)."""

from __future__ import annotations

import json

import pytest

from bot import conversation, render
from bot.admin.reports import submit_report
from bot.pipeline.engine import Engine
from bot.pipeline.safe_text import safe_text

BAD = [
    "\ud800",
    "退保\udfff理财年化10%保本保息，详询13912345678",
    "【中國人壽】\ud83d您的保單收益太低，可提前退保轉購年化10%理財",  # Traditional: OpenCC renders it
    "\udc80\udcff" * 50,  # what a non-UTF-8 byte becomes through surrogateescape (sys.argv)
    json.loads('"\\ud83d\\ude00 \\ud83d 退保"'),  # a valid pair joins, a lone half is replaced
]


@pytest.mark.parametrize("text", BAD)
def test_safe_text_leaves_only_encodable_text(text: str) -> None:
    clean = safe_text(text)
    clean.encode("utf-8")  # would raise on a surrogate
    assert len(clean) <= len(text)
    assert safe_text(clean) == clean


def test_safe_text_joins_pairs_and_keeps_good_text() -> None:
    assert safe_text("a\ud83d\ude00b") == "a😀b"
    assert safe_text("a\ud800b") == "a\ufffdb"
    good = "【中国人寿】尊敬的客户 😀 \x00\t"
    assert safe_text(good) is good


@pytest.mark.parametrize("text", BAD)
def test_engine_and_every_renderer_take_bad_text(engine: Engine, text: str) -> None:
    v = engine.analyze(text)
    for out in (render.verdict_html(v, 4000), render.verdict_text(v), render.verdict_json(v),
                render.verdict_short_html(v), render.verdict_short_text(v),
                render.verdict_html(v, 4000, region="tw"), render.verdict_text(v, region="hk")):
        out.encode("utf-8")


@pytest.mark.parametrize("text", BAD)
def test_respond_takes_bad_text(engine: Engine, text: str) -> None:
    for t in (text, "/lookup " + text, "/check " + text, "/report " + text):
        reply = conversation.respond(engine, t, user_id=515151, traditional=True)
        reply.text.encode("utf-8")
        reply.html.encode("utf-8")


def test_report_of_bad_text_is_stored_clean(engine: Engine) -> None:
    res = submit_report(engine, 525252, text="冒充平安客服\ud800说保单收益低，让我退保买年化12%理财，加微信 13912340000")
    assert res.ok, res.message
    stored = engine.store["reports"].get(res.report_id)["text"]
    assert "\ud800" not in stored and "\ufffd" in stored
