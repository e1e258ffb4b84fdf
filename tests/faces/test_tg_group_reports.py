"""Reports from buttons through the real bot (issue 15, items 6 and 8): in a group the 🚩 under a
warning is the author's (signed for them), confirmed by a second press at least a second later, and
the outcome is shown only to the presser; in a private chat 🚩 turns into 取消 / ✅ 确认举报, so a double
tap on the shrunken keyboard files nothing."""

from __future__ import annotations

import time

from db_support import db_rows
from test_tg_e2e import SCAM


def _answer(api, qid: str) -> dict:
    return api.wait_for(lambda: [a for a in api.callback_answers if a["callback_query_id"] == qid],
                        what=f"answer {qid}")[0]


def _reports(bot) -> int:
    return db_rows(bot.db_path, "select count(*) from reports")[0][0]


def test_group_report_button_is_the_authors_and_needs_a_second_press(tg_bot, botapi):
    group, author, other = -5301, 5301, 5302
    botapi.message(author, SCAM, chat_type="supergroup", chat_id=group)
    [warning] = botapi.wait_replies(group, 1)
    rp = dict(warning.buttons)["🚩 举报"]
    assert "不是给您的" in _answer(botapi, botapi.press(other, warning, rp)).get("text", "")
    first = _answer(botapi, botapi.press(author, warning, rp))
    assert "再点一次" in first["text"] and first.get("show_alert")
    assert "再点一次" in _answer(botapi, botapi.press(author, warning, rp))["text"]  # a double tap is no confirmation
    assert _reports(tg_bot) == 0
    time.sleep(1.1)
    done = _answer(botapi, botapi.press(author, warning, rp))
    assert "感谢举报" in done["text"] and done.get("show_alert")
    assert _reports(tg_bot) == 1
    time.sleep(0.3)
    assert len(botapi.replies(group)) == 1  # nothing said in the group


def test_private_double_tap_on_the_shrunken_keyboard_files_nothing(tg_bot, botapi):
    user = 5303
    botapi.message(user, SCAM)
    [verdict] = botapi.wait_replies(user, 1)
    up = dict(verdict.buttons)["👍 有帮助"]
    _answer(botapi, botapi.press(user, verdict, up))
    botapi.wait_for(lambda: [label for label, _ in verdict.buttons] == ["🚩 举报"], what="the shrunken keyboard")
    # the second tap of a double tap lands where 👍 was: now 🚩 …
    assert "确认" in _answer(botapi, botapi.press(user, verdict, verdict.buttons[0][1]))["text"]
    botapi.wait_for(lambda: [label for label, _ in verdict.buttons] == ["取消", "✅ 确认举报"], what="confirm buttons")
    # … and a third tap there is 取消
    assert "取消" in _answer(botapi, botapi.press(user, verdict, verdict.buttons[0][1]))["text"]
    assert _reports(tg_bot) == 0
