"""End-to-end: the real polling Application (bot.tg.app, as ``python run.py`` runs it) against the Bot
API emulator on 127.0.0.1. Each test has its own bot, emulator and temporary database."""

from __future__ import annotations

import json
import logging
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import TG_ADMIN_ID, TgRunningBot, tg_fresh_db
from db_support import db_rows

from bot import conversation
from bot.faces.tg.handlers import SLOW_DOWN

SCAM = ("【保单服务中心】尊敬的客户，您的保单收益过低，现可办理退保转入我司内部理财产品，年化10%保本保息，"
        "详询13912345678")
LEGIT = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"
#: A scheme the seed data doesn't know (a fee for a "free" prize), and the same scheme reworded.
NEW_SCRIPT = "恭喜您的保单被抽中参加周年庆回馈，可免费领取一台按摩椅，只需先支付三百八十元运费到我们的收款码即可包邮到家"
NEW_VARIANT = "恭喜，您的保险单被抽中参与周年回馈活动，可以免费领一台按摩椅，仅需先付三百八十元运费到收款码就能包邮到家"
CUSTOMER = 42


def badge(text: str) -> str:
    return text.split("（", 1)[0].strip()


def scam_badge(text: str) -> bool:
    return text.startswith(("🔴", "🟠"))


# --- customers ------------------------------------------------------------------------------------------


def test_forwarded_scam_sms_gets_badge_evidence_notice_advice_and_buttons(tg_bot, botapi, caplog):
    caplog.set_level(logging.INFO, logger="bot")  # our logs at the level production runs them
    botapi.message(CUSTOMER, SCAM, forwarded=True)
    [reply] = botapi.wait_replies(CUSTOMER, 1)
    assert scam_badge(reply.plain), reply.plain[:80]
    assert reply.parse_mode == "HTML"
    assert "<u><b>" in reply.text  # the matched phrases, highlighted in the user's own text
    # the short answer first; the details (reasons, notice, advice) folded in an expandable quote
    head, _, folded = reply.text.partition("<blockquote expandable>")
    assert folded.endswith("</blockquote>") and "👉" in head and "官方风险提示" not in head
    assert "官方风险提示" in folded and "更多建议" in folded
    assert "95519" not in reply.plain or "中国人寿" in reply.plain
    assert len(reply.text) <= 4096
    # one reply only, and the feedback buttons carry the check's id, not text
    time.sleep(0.3)
    assert len(botapi.replies(CUSTOMER)) == 1
    [(up_label, up), (fp_label, fp), (rp_label, rp)] = reply.buttons
    assert (up_label, fp_label, rp_label) == ("👍 有帮助", "🙅 误报", "🚩 举报")
    check_id = int(up.split(":")[1])
    # signed for this user (issue 15): fb:<check>:<vote>:<hmac>, rp:<check>:<hmac>
    assert up.startswith(f"fb:{check_id}:up:") and fp.startswith(f"fb:{check_id}:fp:") and rp.startswith(f"rp:{check_id}:")
    # the check was logged: counts and pattern ids, never the text
    [(risk, types, face)] = db_rows(tg_bot.db_path, "select risk, scam_types, face from checks where id = ?", (check_id,))
    assert risk in ("high", "medium") and "surrender_for_investment" in json.loads(types) and face == "telegram"
    dump = "\n".join(str(r) for t in ("checks", "feedback", "meta", "audit")
                     for r in db_rows(tg_bot.db_path, f"select * from {t}"))
    assert "13912345678" not in dump and "保单服务中心" not in dump
    # nothing of the message (nor the token) in the logs
    assert "13912345678" not in caplog.text and "保单服务中心" not in caplog.text
    assert botapi.token not in caplog.text


def test_legitimate_reminder_is_not_red_and_long_messages_fit(tg_bot, botapi):
    botapi.message(CUSTOMER, LEGIT)
    [reply] = botapi.wait_replies(CUSTOMER, 1)
    assert not reply.plain.startswith("🔴"), reply.plain[:120]

    text = (SCAM + "。" + "今天天气不错，我们去公园散步吧。" * 300)[:4096]  # Telegram's longest message
    botapi.message(CUSTOMER, text)
    reply = botapi.wait_replies(CUSTOMER, 2, timeout=15)[1]
    assert scam_badge(reply.plain) and len(reply.text) <= 4096


def test_lookup_official_number_and_report_button(tg_bot, botapi):
    botapi.message(CUSTOMER, "/lookup 95519")
    [reply] = botapi.wait_replies(CUSTOMER, 1)
    assert reply.plain.startswith("✅") and "中国人寿" in reply.plain
    assert reply.buttons == []  # an official number is not reportable

    botapi.message(CUSTOMER, "/lookup 139 1234 5678")
    reply = botapi.wait_replies(CUSTOMER, 2)[1]
    assert reply.plain.startswith("❔")
    [(label, data)] = reply.buttons
    assert data == "rn:+8613912345678" and len(data.encode()) <= 64
    botapi.press(CUSTOMER, reply)
    answer = botapi.wait_for(lambda: botapi.callback_answers, what="the button's answer")[0]
    assert "感谢举报" in answer["text"]  # the button files a number report at once (issue 4)
    howto = botapi.wait_replies(CUSTOMER, 3)[2]
    assert "/report +8613912345678" in howto.plain  # and says how to add what the caller said

    # a message that is only a number gets a lookup too
    botapi.message(CUSTOMER, "955 19")
    reply = botapi.wait_replies(CUSTOMER, 4)[3]
    assert reply.plain.startswith("✅") and "中国人寿" in reply.plain


def test_start_help_caption_and_traditional(tg_bot, botapi):
    botapi.message(CUSTOMER, "/start")
    help_text = botapi.wait_replies(CUSTOMER, 1)[0].plain
    assert "转发" in help_text and "不会被保存" in help_text and "/addpattern" not in help_text

    botapi.message(CUSTOMER, "/help", language_code="zh-hant")
    assert "詐騙" in botapi.wait_replies(CUSTOMER, 2)[1].plain

    botapi.message(CUSTOMER, "您的保單收益過低，現可辦理退保轉入我司內部理財產品，年化10%保本保息，詳詢13912345678")
    trad = botapi.wait_replies(CUSTOMER, 3)[2]
    assert trad.plain.startswith(("🔴 高風險", "🟠 中風險")) and [b[0] for b in trad.buttons] == ["👍 有幫助", "🙅 誤報", "🚩 舉報"]

    botapi.message(CUSTOMER, caption=SCAM, photo=b"\x89PNG fake")  # (screenshots: tests/test_tg_photo.py)
    assert scam_badge(botapi.wait_replies(CUSTOMER, 4)[3].plain)

    botapi.message(TG_ADMIN_ID, "/help")
    assert "/addpattern" in botapi.wait_replies(TG_ADMIN_ID, 1)[0].plain

    botapi.message(CUSTOMER, "/frobnicate")
    assert "未知命令" in botapi.wait_replies(CUSTOMER, 5)[4].plain
    botapi.push_update({"message": {"message_id": 99, "date": int(time.time()),
                                    "chat": {"id": CUSTOMER, "type": "private"},
                                    "from": {"id": CUSTOMER, "is_bot": False, "first_name": "A"},
                                    "sticker": {"file_id": "s1", "file_unique_id": "s1", "width": 1, "height": 1,
                                                "is_animated": False, "is_video": False, "type": "regular"}}})
    assert "只能检查文字" in botapi.wait_replies(CUSTOMER, 6)[5].plain


# --- admins ---------------------------------------------------------------------------------------------


def _counts(path: Path) -> tuple:
    return tuple(db_rows(path, f"select count(*) from {t}")[0][0] for t in ("patterns", "numbers", "audit"))


def test_non_admin_admin_commands_are_refused_and_change_nothing(tg_bot, botapi):
    before = _counts(tg_bot.db_path)
    commands = [f"/addpattern other_scam | {NEW_SCRIPT}", "/addnumber 13912345678 other_scam 测试", "/delpattern 1",
                "/delnumber 13912345678", "/stats", "/newpattern"]
    for i, cmd in enumerate(commands, 1):
        botapi.message(CUSTOMER, cmd)
        reply = botapi.wait_replies(CUSTOMER, i)[-1]
        assert "无权限" in reply.plain, (cmd, reply.plain)
        assert reply.buttons == []
    assert _counts(tg_bot.db_path) == before
    botapi.message(CUSTOMER, NEW_VARIANT)
    assert "按摩椅" not in db_rows(tg_bot.db_path, "select group_concat(text) from patterns")[0][0]


def test_admin_addpattern_catches_a_reworded_variant_at_once_and_persists(tg_bot_factory, botapi):
    bot = tg_bot_factory()
    botapi.message(TG_ADMIN_ID, f"/addpattern other_scam | {NEW_SCRIPT}")
    added = botapi.wait_replies(TG_ADMIN_ID, 1)[0].plain
    assert added.startswith("✅"), added
    pid = int(added.split("#")[1].split("（")[0])

    botapi.message(CUSTOMER, NEW_VARIANT)
    [reply] = botapi.wait_replies(CUSTOMER, 1)
    # customers are not shown ids: the new script is shown by its words
    shown = "和已知的诈骗话术很像：" + NEW_SCRIPT[:12]
    assert scam_badge(reply.plain) and shown in reply.plain, reply.plain[:400]
    assert f"#{pid}" not in reply.plain

    # persisted: a restarted bot on the same database still knows it
    bot.stop()
    tg_bot_factory(db_path=bot.db_path)
    botapi.message(CUSTOMER, NEW_VARIANT)
    reply = botapi.wait_replies(CUSTOMER, 2)[1]
    assert scam_badge(reply.plain) and shown in reply.plain

    # and retiring it takes effect at once too
    botapi.message(TG_ADMIN_ID, f"/delpattern {pid}")
    assert "已停用" in botapi.wait_replies(TG_ADMIN_ID, 2)[1].plain
    botapi.message(CUSTOMER, NEW_VARIANT)
    assert shown not in botapi.wait_replies(CUSTOMER, 3)[2].plain


def test_admin_addnumber_delnumber_and_stats(tg_bot, botapi):
    botapi.message(TG_ADMIN_ID, "/addnumber 13800001111 fake_customer_service 自称客服")
    assert "已登记" in botapi.wait_replies(TG_ADMIN_ID, 1)[0].plain
    botapi.message(CUSTOMER, "/lookup 13800001111")
    assert botapi.wait_replies(CUSTOMER, 1)[0].plain.startswith("⛔")
    botapi.message(TG_ADMIN_ID, "/delnumber 13800001111")
    assert "已移除" in botapi.wait_replies(TG_ADMIN_ID, 2)[1].plain
    botapi.message(CUSTOMER, "/lookup 13800001111")
    assert botapi.wait_replies(CUSTOMER, 2)[1].plain.startswith("❔")
    botapi.message(TG_ADMIN_ID, "/addpattern nonsense | 太短")
    assert "❌" in botapi.wait_replies(TG_ADMIN_ID, 3)[2].plain
    botapi.message(CUSTOMER, SCAM)
    botapi.wait_replies(CUSTOMER, 3)
    botapi.message(TG_ADMIN_ID, "/stats")
    stats = botapi.wait_replies(TG_ADMIN_ID, 4)[3].plain
    assert "检查总数：1" in stats and "用户反馈" in stats and "命中最多的话术" in stats


def test_newpattern_guided_form(tg_bot, botapi):
    botapi.message(TG_ADMIN_ID, "/newpattern")
    form = botapi.wait_replies(TG_ADMIN_ID, 1)[0]
    assert ("其他常见诈骗", "np:t:other_scam") in form.buttons
    botapi.press(TG_ADMIN_ID, form, "np:t:other_scam")
    botapi.wait_for(lambda: form.edits >= 1, what="the form to ask for the text")
    assert "第 2 步" in form.plain
    botapi.message(TG_ADMIN_ID, "太短了")  # refused, the form stays on this step
    assert "❌" in botapi.wait_replies(TG_ADMIN_ID, 2)[1].plain
    botapi.message(TG_ADMIN_ID, NEW_SCRIPT)
    preview = botapi.wait_replies(TG_ADMIN_ID, 3)[2]
    assert "确认添加" in preview.plain and ("✅ 确认添加", "np:ok") in preview.buttons
    botapi.press(TG_ADMIN_ID, preview, "np:ok")
    botapi.wait_for(lambda: preview.edits >= 1, what="the confirmation")
    assert preview.plain.startswith("✅ 已添加话术 #")
    assert db_rows(tg_bot.db_path, "select scam_type from patterns where text = ?", (NEW_SCRIPT,)) == [("other_scam",)]
    # the form is over: the admin's next text is checked like anyone's, and catches the variant
    botapi.message(TG_ADMIN_ID, NEW_VARIANT)
    assert scam_badge(botapi.wait_replies(TG_ADMIN_ID, 4)[3].plain)

    # cancel leaves everything as it was
    before = _counts(tg_bot.db_path)
    botapi.message(TG_ADMIN_ID, "/newpattern")
    botapi.wait_replies(TG_ADMIN_ID, 5)
    botapi.message(TG_ADMIN_ID, "/cancel")
    assert "已取消" in botapi.wait_replies(TG_ADMIN_ID, 6)[5].plain
    assert _counts(tg_bot.db_path) == before


# --- feedback --------------------------------------------------------------------------------------------


def test_feedback_buttons_are_answered_and_counted_once_per_user(tg_bot, botapi):
    botapi.message(CUSTOMER, SCAM)
    [reply] = botapi.wait_replies(CUSTOMER, 1)
    up, fp, _rp = (data for _, data in reply.buttons)
    presses = [botapi.press(CUSTOMER, reply, up), botapi.press(CUSTOMER, reply, up), botapi.press(CUSTOMER, reply, fp),
               botapi.press(43, reply, fp),  # another user (as in a group): not theirs to vote on
               botapi.press(CUSTOMER, reply, "fb:999999:up")]  # a forged / stale check id
    botapi.message(43, SCAM)  # … on their own verdict they may
    own = botapi.wait_replies(43, 1)[0]
    presses.append(botapi.press(43, own, dict((label, d) for label, d in own.buttons)["🙅 误报"]))
    botapi.wait_for(lambda: len(botapi.callback_answers) >= 6, what="6 answers")
    by_id = {a["callback_query_id"]: a.get("text", "") for a in botapi.callback_answers}
    texts = [by_id[q] for q in presses]
    assert texts[0].startswith("谢谢") and "已经反馈过" in texts[1] and "已经反馈过" in texts[2]
    assert "不是给您的" in texts[3] and "失效" in texts[4] and texts[5].startswith("谢谢")
    check_id = int(up.split(":")[1])
    rows = db_rows(tg_bot.db_path, "select vote, user_hash from feedback where check_id = ?", (check_id,))
    assert sorted(v for v, _ in rows) == ["up"]
    assert all(str(CUSTOMER) != h and len(h) == 64 for _, h in rows)  # salted hashes, not user ids
    assert botapi.calls_of("editMessageReplyMarkup")  # the voter's buttons were removed
    botapi.message(TG_ADMIN_ID, "/stats")
    assert "有帮助 1，误报 1" in botapi.wait_replies(TG_ADMIN_ID, 1)[0].plain


# --- groups ---------------------------------------------------------------------------------------------


def test_group_is_quiet_unless_high_risk_and_answers_check_in_reply(tg_bot, botapi):
    group = -1001
    legit = botapi.message(CUSTOMER, LEGIT, chat_type="supergroup", chat_id=group)
    botapi.message(CUSTOMER, "周末一起吃饭吗？", chat_type="supergroup", chat_id=group)
    scam = botapi.message(CUSTOMER, SCAM, chat_type="supergroup", chat_id=group)
    [warning] = botapi.wait_replies(group, 1)
    assert warning.plain.startswith("🔴") and warning.reply_to == scam["message_id"]
    # one user's updates are handled in order: the earlier messages were already passed over
    time.sleep(0.3)
    assert len(botapi.replies(group)) == 1
    assert db_rows(tg_bot.db_path, "select face from checks") == [("telegram_group",)]

    botapi.message(44, "/check", chat_type="supergroup", chat_id=group, reply_to=legit)
    answer = botapi.wait_replies(group, 2)[1]
    assert answer.reply_to == legit["message_id"] and not answer.plain.startswith("🔴")
    botapi.message(44, "/check@SomeOtherBot", chat_type="supergroup", chat_id=group, reply_to=legit)
    botapi.message(44, "/lookup 95519", chat_type="supergroup", chat_id=group)
    lookup = botapi.wait_replies(group, 3)[2]
    assert lookup.plain.startswith("✅")  # and the command for another bot was ignored
    # "report this number" in a group: the how-to goes to a pop-up for the presser, not to the chat
    botapi.message(44, "/lookup 13912345678", chat_type="supergroup", chat_id=group)
    unknown = botapi.wait_replies(group, 4)[3]
    botapi.press(44, unknown)
    [answer] = botapi.wait_for(lambda: botapi.callback_answers, what="the pop-up")
    assert answer["show_alert"] in (True, "true") and "/report +8613912345678" in answer["text"]
    time.sleep(0.3)
    assert len(botapi.replies(group)) == 4


# --- operations -------------------------------------------------------------------------------------------


def test_burst_from_one_user_is_throttled_without_dropping_others(tg_bot, botapi):
    flooder, other = 50, 60
    for i in range(30):
        botapi.message(flooder, f"你好，这是第 {i} 条消息")
        if i % 6 == 0:
            botapi.message(other, f"请帮我看看这条：{LEGIT}")
    assert len(botapi.wait_replies(other, 5, timeout=20)) == 5
    botapi.wait_for(lambda: any(r.plain == SLOW_DOWN for r in botapi.replies(flooder)), 20, "the slow-down reply")
    time.sleep(0.5)
    got = botapi.replies(flooder)
    warnings = [r for r in got if r.plain == SLOW_DOWN]
    verdicts = [r for r in got if r.plain != SLOW_DOWN]
    assert 1 <= len(warnings) <= 2  # once (twice only if a token came back mid-burst on a slow machine)
    assert 10 <= len(verdicts) <= 12
    assert len(botapi.replies(other)) == 5


def test_bot_survives_bot_api_errors_and_keeps_serving(tg_bot, botapi):
    sent = 0

    def ask(text: str = LEGIT) -> None:
        botapi.message(CUSTOMER, text)

    # 400 on the reply: logged, the admin is told (briefly, no user text); the next message is served
    botapi.fail("sendMessage", 400)
    ask(SCAM)
    notice = botapi.wait_replies(TG_ADMIN_ID, 1)[0].plain
    assert "BadRequest" in notice and "13912345678" not in notice and "保单服务中心" not in notice
    ask()
    sent += 1
    botapi.wait_replies(CUSTOMER, sent)
    # 403 (blocked by the user): nothing to tell anyone; keeps serving
    botapi.fail("sendMessage", 403)
    ask()
    ask()
    sent += 1
    botapi.wait_replies(CUSTOMER, sent)
    # 429 with retry_after: the rate limiter waits and retries, the reply still arrives
    botapi.fail("sendMessage", 429, retry_after=1)
    t = time.monotonic()
    ask()
    sent += 1
    botapi.wait_replies(CUSTOMER, sent)
    assert time.monotonic() - t >= 0.9
    # 500: retried once, the reply still arrives
    botapi.fail("sendMessage", 500)
    ask()
    sent += 1
    botapi.wait_replies(CUSTOMER, sent)
    # errors while polling: back-off and carry on
    botapi.fail("getUpdates", 500, times=2)
    botapi.wait_for(lambda: botapi.faults_left("getUpdates") == 0, what="the polling errors")
    ask()
    sent += 1
    botapi.wait_replies(CUSTOMER, sent, timeout=15)
    # a failing callback answer
    reply = botapi.replies(CUSTOMER)[-1]
    botapi.fail("answerCallbackQuery", 400)
    botapi.press(CUSTOMER, reply)
    botapi.press(CUSTOMER, reply)
    botapi.wait_for(lambda: botapi.callback_answers, what="the second answer")
    ask()
    sent += 1
    botapi.wait_replies(CUSTOMER, sent)
    assert tg_bot.alive and botapi.errors == []
    assert len(botapi.replies(TG_ADMIN_ID)) == 1  # one notice per kind of error, not one per error


def test_menus_are_set_per_scope_and_failures_are_tolerated(tg_bot_factory, botapi):
    botapi.fail("setMyCommands", 400, times=2)  # e.g. "chat not found" for an admin who never wrote
    tg_bot_factory(admin_ids=frozenset({TG_ADMIN_ID, 778, 779}))
    calls = botapi.calls_of("setMyCommands")
    assert len(calls) == 4
    scoped = {c["scope"].get("chat_id"): [x["command"] for x in c["commands"]] for c in calls}
    assert "addpattern" not in scoped[None] and "lookup" in scoped[None]
    assert "addpattern" in scoped[779] and "newpattern" in scoped[779]
    # the menus are the command table's (bot/conversation/commands.py), in its order
    table = conversation.COMMAND_TABLE
    assert scoped[None] == [c.name for c in table if c.menu and not c.admin]
    assert scoped[779] == scoped[None] + [c.name for c in table if c.menu and c.admin]
    botapi.message(CUSTOMER, LEGIT)
    botapi.wait_replies(CUSTOMER, 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode(botapi, tmp_path, tg_seeded_db):
    port = _free_port()
    env = {"BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/tg-hook", "BOT_WEBHOOK_LISTEN": "127.0.0.1",
           "BOT_WEBHOOK_PORT": str(port), "BOT_WEBHOOK_SECRET": "s3cret"}
    bot = TgRunningBot(botapi, tg_fresh_db(tg_seeded_db, tmp_path / "pg.db"), frozenset({TG_ADMIN_ID}), env)
    bot._thread.start()
    try:
        botapi.wait_for(lambda: botapi.calls_of("setWebhook"), 30, "setWebhook")
        [hook] = botapi.calls_of("setWebhook")
        assert hook["url"] == env["BOT_WEBHOOK_URL"] and hook["secret_token"] == "s3cret"
        update = {"update_id": 1, "message": {"message_id": 1, "date": int(time.time()),
                                              "chat": {"id": CUSTOMER, "type": "private"},
                                              "from": {"id": CUSTOMER, "is_bot": False, "first_name": "A"},
                                              "text": "/lookup 95519",
                                              "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}}

        def post(secret: str) -> int:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/tg-hook", json.dumps(update).encode(),
                                         {"Content-Type": "application/json",
                                          "X-Telegram-Bot-Api-Secret-Token": secret})
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                return opener.open(req, timeout=5).status
            except urllib.error.HTTPError as e:
                return e.code

        deadline = time.monotonic() + 15
        while True:  # the webhook server starts listening right after setWebhook
            try:
                status = post("wrong")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert status == 403
        assert post("s3cret") == 200
        assert "中国人寿" in botapi.wait_replies(CUSTOMER, 1)[0].plain
    finally:
        bot.stop()
