"""The leak question ("对方知道您的哪些信息？") end to end through the real bot and the Bot API emulator:
asked after a high/medium verdict naming an insurer and with a /report, not otherwise; each press adds
one to (insurer, month, item) and nothing else is stored; the buttons left are the items not chosen;
/forgetme has nothing to delete there; the admins' /leaks hides cells below 5 and refuses others.

One bot for the module (tg_module_bot); every test uses its own user ids."""

from __future__ import annotations

import time

from conftest import TG_ADMIN_ID, TgRunningBot
from db_support import db_rows

from bot.conversation import leaks
from bot.store.leaks import this_month

SCAM_LIFE = "【中国人寿】尊敬的客户，您的保单收益太低，可提前退保转购年化10%保本理财，详询王经理13912345678"
LEGIT_LIFE = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"
SCAM_NO_INSURER = "【保单服务中心】尊敬的客户，您的保单收益过低，现可办理退保转入内部理财产品，年化10%保本保息，详询13912345678"


def counts(bot: TgRunningBot, insurer: str = "china-life") -> dict[str, int]:
    return dict(db_rows(bot.db_path, "select item, count from leak_counts where insurer = ? and month = ?",
                        (insurer, this_month())))


def answer(api, qid: str) -> str:
    got = api.wait_for(lambda: [a for a in api.callback_answers if a["callback_query_id"] == qid], what=qid)
    return got[0].get("text", "")


def test_question_after_a_scam_naming_an_insurer_counts_presses_only(tg_module_bot: TgRunningBot):
    api, user = tg_module_bot.api, 5301
    before = counts(tg_module_bot)
    api.message(user, SCAM_LIFE)
    verdict, question = api.wait_replies(user, 2)
    assert verdict.plain.startswith("🔴")
    assert question.plain.startswith("对方知道您的哪些信息？") and "中国人寿" in question.plain
    assert [label for label, _ in question.buttons] == [label for _, label in leaks.ITEMS]
    name = dict(question.buttons)["姓名"]
    assert name == "lk:china-life:name:0"

    assert "已记录：姓名" in answer(api, api.press(user, question, name))
    api.wait_for(lambda: question.edits >= 1, what="the keyboard to shrink")
    left = [label for label, _ in question.buttons]
    assert "姓名" not in left and "都不知道" not in left and "保单号" in left
    assert answer(api, api.press(user, question, dict(question.buttons)["保单号"]))
    after = counts(tg_module_bot)
    assert after.get("name", 0) == before.get("name", 0) + 1
    assert after.get("policy_no", 0) == before.get("policy_no", 0) + 1
    # a replayed press of an item already chosen (the mask says so) is not counted again
    answer(api, api.press(user, question, "lk:china-life:name:1"))
    assert counts(tg_module_bot).get("name", 0) == after.get("name", 0)
    # the table holds counts only: no user, no check id, no text
    cols = [r[1] for r in db_rows(tg_module_bot.db_path, "pragma table_info(leak_counts)")]
    assert cols == ["insurer", "month", "item", "count"]


def test_no_question_for_a_genuine_notice_or_a_scam_without_insurer(tg_module_bot: TgRunningBot):
    api = tg_module_bot.api
    api.message(5302, LEGIT_LIFE)
    api.message(5303, SCAM_NO_INSURER)
    api.wait_replies(5302, 1)
    api.wait_replies(5303, 1)
    time.sleep(0.6)
    assert len(api.replies(5302)) == 1 and len(api.replies(5303)) == 1


def test_report_offers_the_question_in_its_thanks(tg_module_bot: TgRunningBot):
    api, user = tg_module_bot.api, 5304
    api.message(user, "/report 13912340001 自称中国人寿客服，知道我的保单号，让我退保买理财")
    [thanks] = api.wait_replies(user, 1)
    assert "感谢举报" in thanks.plain and "对方知道您的哪些信息？" in thanks.plain
    before = counts(tg_module_bot)
    assert answer(api, api.press(user, thanks, dict(thanks.buttons)["都不知道"]))
    api.wait_for(lambda: thanks.edits >= 1, what="the buttons to go")
    assert thanks.buttons == []  # "都不知道" ends the question
    assert counts(tg_module_bot).get("none", 0) == before.get("none", 0) + 1


def test_forgetme_has_nothing_to_delete_in_the_counts(tg_module_bot: TgRunningBot):
    api, user = tg_module_bot.api, 5305
    api.message(user, SCAM_LIFE)
    _, question = api.wait_replies(user, 2)
    answer(api, api.press(user, question, dict(question.buttons)["家庭住址"]))
    table = db_rows(tg_module_bot.db_path, "select * from leak_counts order by insurer, month, item")
    api.message(user, "/forgetme")
    api.wait_replies(user, 3)
    assert db_rows(tg_module_bot.db_path, "select * from leak_counts order by insurer, month, item") == table


def test_admin_leaks_hides_small_cells_and_refuses_non_admins(tg_module_bot: TgRunningBot):
    api, engine = tg_module_bot.api, tg_module_bot.engine
    from bot.store import leaks as leak_rows

    for _ in range(6):
        leak_rows.add(engine.store, "ping-an", "payment", "2020-03")
    leak_rows.add(engine.store, "ping-an", "name", "2020-03")
    api.message(TG_ADMIN_ID, "/leaks 2020-03")
    reply = api.wait_for(lambda: [r for r in api.replies(TG_ADMIN_ID) if "2020-03" in r.plain], what="/leaks")[0]
    assert "中国平安" in reply.plain and "缴费金额或日期 6" in reply.plain and "姓名 <5" in reply.plain
    api.message(TG_ADMIN_ID, "/leaks 2020-3")
    api.wait_for(lambda: [r for r in api.replies(TG_ADMIN_ID) if "YYYY-MM" in r.plain], what="usage")
    api.message(5306, "/leaks")
    assert "无权限" in api.wait_replies(5306, 1)[0].plain


def test_the_leak_question_keeps_no_text_and_no_user_at_rest(tg_module_bot: TgRunningBot, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    api, user, marker = tg_module_bot.api, 5307, "LEAKMARK9902"
    api.message(user, SCAM_LIFE + marker)
    _, question = api.wait_replies(user, 2)
    answer(api, api.press(user, question, dict(question.buttons)["身份证号"]))
    db = tg_module_bot.db_path
    for p in [db, *db.parent.glob(db.name + "-*")]:
        assert marker.encode() not in p.read_bytes(), p.name
    for row in db_rows(db, "select * from leak_counts"):
        assert str(user) not in repr(row) and len(row) == 4
    assert marker not in caplog.text + "".join(r.getMessage() for r in caplog.records)
