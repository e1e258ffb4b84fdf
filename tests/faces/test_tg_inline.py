"""Inline mode through the real bot and the Bot API emulator: an ``inline_query`` update gets one
``answerInlineQuery`` with the short answer (and a lookup for a number), empty and long queries are
handled, and nothing of a query is stored or logged.

One bot for the module (tg_module_bot); every test uses its own user ids."""

from __future__ import annotations

import logging
import time

from conftest import TgRunningBot
from db_support import db_rows

from bot.conversation.inline import FOOTER, MAX_QUERY
from bot.faces.tg.inline import INLINE_PERIOD, START_PARAMETER

SCAM = "【中国人寿】尊敬的客户，您的保单收益太低，可提前退保转购年化10%保本理财，详询王经理13912345678"


def answer_for(bot: TgRunningBot, user: int, query: str, **kw) -> dict:
    qid = bot.api.inline_query(user, query, **kw)
    return bot.api.wait_inline_answer(qid)


def test_scam_query_gets_the_short_answer_and_the_numbers_lookup(tg_module_bot: TgRunningBot):
    ans = answer_for(tg_module_bot, 5101, SCAM)
    verdict, lookup = ans["results"]
    assert verdict["type"] == "article" and verdict["title"] == "🔴 高风险"
    sent = verdict["input_message_content"]
    assert sent["parse_mode"] == "HTML"
    text = sent["message_text"]
    assert text.startswith("<b>🔴 高风险</b>") and "95519" in text and FOOTER in text
    # only the short answer: no details, no quote of the user's text, no links
    assert "blockquote" not in text and "为什么这样判断" not in text and "13912345678" not in text
    assert "王经理" not in text
    assert lookup["title"] == "查询号码 +8613912345678"
    assert "❔ 未收录" in lookup["input_message_content"]["message_text"]
    assert ans["is_personal"] in (True, "true", "True") and int(ans["cache_time"]) == 30


def test_number_query_gets_a_lookup_result(tg_module_bot: TgRunningBot):
    ans = answer_for(tg_module_bot, 5102, "95519")
    [only] = ans["results"]
    assert only["title"] == "查询号码 95519"
    assert only["input_message_content"]["message_text"].startswith("✅ 官方号码 95519")


def test_empty_query_gets_no_results_and_a_button_to_the_private_chat(tg_module_bot: TgRunningBot):
    ans = answer_for(tg_module_bot, 5103, "   ")
    assert ans["results"] == []
    assert ans["button"]["start_parameter"] == START_PARAMETER and ans["button"]["text"]


def test_long_query_is_refused_without_analysis(tg_module_bot: TgRunningBot):
    ans = answer_for(tg_module_bot, 5104, SCAM * 5)
    assert len(SCAM * 5) > MAX_QUERY
    [only] = ans["results"]
    assert only["title"].startswith("📏") and "私聊" in only["input_message_content"]["message_text"]


def test_traditional_results_for_traditional_text_and_clients(tg_module_bot: TgRunningBot):
    # a verdict follows the script the user wrote, as in a private chat …
    ans = answer_for(tg_module_bot, 5105, "【中國人壽】尊敬的客戶，您的保單收益太低，可提前退保轉購年化10%保本理財，詳詢王經理13912345678")
    text = ans["results"][0]["input_message_content"]["message_text"]
    assert "高風險" in text and "這是" in text
    # … and a lookup follows the client's language
    ans = answer_for(tg_module_bot, 5105, "95519", language_code="zh-hant")
    assert "官方號碼" in ans["results"][0]["input_message_content"]["message_text"]


def test_inline_queries_have_their_own_flood_limit(tg_module_bot: TgRunningBot):
    from bot.faces.tg.throttle import Throttle

    api, user, bot_data = tg_module_bot.api, 5106, tg_module_bot.app.bot_data
    saved = bot_data.get("inline_throttle")
    bot_data["inline_throttle"] = Throttle(3, INLINE_PERIOD, clock=lambda: 0.0)  # time stands still: no refill
    try:
        ids = [api.inline_query(user, f"保单收益{i}") for i in range(5)]
        api.wait_inline_answer(ids[2])
        time.sleep(0.5)
        answered = {str(a["inline_query_id"]) for a in api.inline_answers}
        assert set(ids[:3]) <= answered and not set(ids[3:]) & answered
        # … and a user's inline queries don't use up their messages' budget
        api.message(user, "你好")
        assert api.wait_replies(user, 1)
    finally:
        bot_data["inline_throttle"] = saved


def test_inline_queries_are_neither_stored_nor_logged(tg_module_bot: TgRunningBot, caplog):
    caplog.set_level(logging.DEBUG)
    marker = "INLINEMARK7731"
    before = db_rows(tg_module_bot.db_path, "select count(*) from checks")[0][0]
    ans = answer_for(tg_module_bot, 5107, SCAM + marker)
    assert ans["results"]
    time.sleep(0.2)
    assert db_rows(tg_module_bot.db_path, "select count(*) from checks")[0][0] == before  # no checks-log row
    con_dump = "\n".join(repr(r) for t in ("checks", "reports", "feedback", "meta", "leak_counts")
                         for r in db_rows(tg_module_bot.db_path, f"select * from [{t}]"))
    assert marker not in con_dump
    for p in [tg_module_bot.db_path, *tg_module_bot.db_path.parent.glob("*-wal")]:
        assert marker.encode() not in p.read_bytes()
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert marker not in logged and "退保转购" not in logged
    assert any("inline query answered" in r.getMessage() for r in caplog.records)
