"""Inline results (bot/conversation/inline.py): the short answer only, a lookup for a number, the empty
and long queries, and nothing recorded."""

from __future__ import annotations

from db_support import db_rows

from bot.conversation.inline import FOOTER, MAX_QUERY, inline_answer

SCAM = "【中国人寿】尊敬的客户，您的保单收益太低，可提前退保转购年化10%保本理财，详询王经理13912345678"


def test_short_answer_and_the_number_lookup(engine):
    ans = inline_answer(engine, SCAM)
    v, lk = ans.results
    assert v.title == "🔴 高风险" and FOOTER in v.html and "blockquote" not in v.html and "王经理" not in v.html
    assert lk.html.startswith("❔ 未收录") and ans.button is None


def test_number_empty_long_and_smalltalk_queries(engine):
    [lk] = inline_answer(engine, " 95519 ").results
    assert lk.html.startswith("✅ 官方号码 95519")
    empty = inline_answer(engine, "")
    assert empty.results == () and empty.button
    [long] = inline_answer(engine, "退" * (MAX_QUERY + 1)).results
    assert long.id == "long" and "私聊" in long.html
    [hint] = inline_answer(engine, "你好", bot_name="PGBot").results
    assert "@PGBot" in hint.html
    assert inline_answer(engine, None).button  # type: ignore[arg-type]


def test_result_ids_are_stable_and_nothing_is_recorded(engine):
    path = engine.store.conn.execute("pragma database_list").fetchone()[2]
    before = db_rows(path, "select count(*) from checks")
    assert inline_answer(engine, SCAM).results[0].id == inline_answer(engine, SCAM).results[0].id
    assert db_rows(path, "select count(*) from checks") == before
