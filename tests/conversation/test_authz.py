"""Authorization (issue 6): every admin command, every admin button and forged admin callback data are
checked against BOT_ADMIN_IDS on every use; group admins are not bot admins; refusals are logged as
events without message text; nothing changes (the guarded tables are hashed before and after)."""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest
from conftest import TG_ADMIN_ID, TgRunningBot, tables_digest

from bot import conversation

NEW_SCRIPT = "恭喜您的保单被抽中参加周年庆回馈，可免费领取一台按摩椅，只需先支付三百八十元运费到我们的收款码即可包邮到家"
MARK = "AUTHZ-MARK-3141"
ADMIN_COMMANDS = [f"/addpattern other_scam | {NEW_SCRIPT} {MARK}", f"/addnumber 13912345678 other_scam {MARK}",
                  "/delpattern 1", "/delnumber 13912345678", "/pending", "/stats", "/undo", "/newpattern",
                  "/leaks"]


def test_every_admin_command_covered() -> None:
    names = {c.split()[0][1:] for c in ADMIN_COMMANDS}
    assert names >= {c.name for c in conversation.COMMAND_TABLE if c.admin} >= {"newpattern", "stats"}


@pytest.fixture(scope="module")
def pending_report(tg_module_bot: TgRunningBot) -> int:
    """A real pending report (the target of the forged review buttons), plus an admin change that /undo
    could undo — so a refused /undo or approve has something it would have changed."""
    api = tg_module_bot.api
    api.message(5001, f"/report 13911112222 自称保险公司客服，让我退保后把钱转到安全账户 {MARK}")
    reply = api.wait_replies(5001, 1)[0].plain
    assert "感谢举报" in reply, reply
    api.message(TG_ADMIN_ID, "/addnumber 13800002222 fake_customer_service 管理员登记")
    assert "已登记" in api.wait_replies(TG_ADMIN_ID, 1)[0].plain
    return int(reply.split("#")[1].split("）")[0])


@pytest.mark.parametrize("chat", ["private", "group"])
def test_non_admins_get_no_permission_for_every_admin_command(tg_module_bot: TgRunningBot, pending_report: int,
                                                              chat: str, caplog: pytest.LogCaptureFixture):
    """In a private chat, and in a group where the sender may well be a group administrator: Telegram
    group roles never make anyone a bot admin (the bot doesn't even ask for them)."""
    caplog.set_level(logging.INFO)
    api, db = tg_module_bot.api, tg_module_bot.db_path
    user = 5101 if chat == "private" else 5102
    kwargs = {} if chat == "private" else {"chat_type": "supergroup", "chat_id": -5102}
    target = user if chat == "private" else -5102
    before = tables_digest(db)
    for i, cmd in enumerate(ADMIN_COMMANDS, 1):
        api.message(user, cmd, **kwargs)
        reply = api.wait_replies(target, i)[-1]
        assert "无权限" in reply.plain, (cmd, reply.plain)
        assert reply.buttons == []
    time.sleep(0.3)
    assert tables_digest(db) == before
    assert not api.calls_of("getChatMember") and not api.calls_of("getChatAdministrators")
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused:")]
    assert len(refusals) >= len(ADMIN_COMMANDS), refusals
    assert all(MARK not in r and "13912345678" not in r for r in refusals)  # events, not text
    assert MARK not in caplog.text


def test_forged_admin_callbacks_change_nothing(tg_module_bot: TgRunningBot, pending_report: int,
                                               caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    api, db = tg_module_bot.api, tg_module_bot.db_path
    user, rid = 5201, pending_report
    api.message(user, "你好")
    carrier = api.wait_replies(user, 1)[0]  # any message of the bot's can carry a forged button press
    forged = [f"rv:{rid}:approve", f"rv:{rid}:reject", f"rv:{rid}:as_pattern", f"rv:{rid}:as_number",
              f"rv:{rid}:force", f"rv:{rid}:approve:other_scam", f"rv:{rid}:force:fake_regulator",
              "rv:999999:approve", "rv:x:approve", "rv:", "np:ok", "np:t:other_scam", "np:x"]
    before = tables_digest(db)
    # from several users, so that the flood throttle (10 per 30 s) doesn't answer before the check does
    qids = [api.press(user + i, carrier, data) for i, data in enumerate(forged)]
    api.wait_for(lambda: {a["callback_query_id"] for a in api.callback_answers} >= set(qids), what="all answers")
    texts = {a["callback_query_id"]: a.get("text", "") for a in api.callback_answers}
    for data, qid in zip(forged, qids, strict=True):
        if data.startswith("rv:"):
            assert "无权限" in texts[qid], (data, texts[qid])
        else:
            assert "失效" in texts[qid], (data, texts[qid])  # the form's buttons outside a form: expired
    time.sleep(0.3)
    assert tables_digest(db) == before
    assert db_status(db, rid) == "pending"
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused: button")]
    assert len(refusals) == sum(d.startswith("rv:") for d in forged)


def test_admin_buttons_recheck_rights_on_every_press(tg_module_bot: TgRunningBot, pending_report: int):
    """An admin's /pending card, pressed after the admin was removed from BOT_ADMIN_IDS (or forwarded to
    someone else): refused. The card's buttons carry no authority of their own."""
    api, db = tg_module_bot.api, tg_module_bot.db_path
    rid = pending_report
    n = len(api.replies(TG_ADMIN_ID))
    api.message(TG_ADMIN_ID, "/pending")
    card = api.wait_for(lambda: [r for r in api.replies(TG_ADMIN_ID)[n:] if r.plain.startswith(f"#{rid} ")],
                        what="the card")[0]
    svc = tg_module_bot.app.bot_data["services"]
    settings = svc.settings
    before = tables_digest(db)
    try:
        svc.settings = dataclasses.replace(settings, admin_ids=frozenset())
        qid = api.press(TG_ADMIN_ID, card, f"rv:{rid}:approve")
        api.wait_for(lambda: any(a["callback_query_id"] == qid for a in api.callback_answers), what="answer")
        assert "无权限" in [a for a in api.callback_answers if a["callback_query_id"] == qid][0]["text"]
        qid = api.press(5301, card, f"rv:{rid}:reject")  # someone the card was forwarded to
        api.wait_for(lambda: any(a["callback_query_id"] == qid for a in api.callback_answers), what="answer")
    finally:
        svc.settings = settings
    time.sleep(0.2)
    assert tables_digest(db) == before and card.edits == 0
    # and with the rights back, the same button works
    api.press(TG_ADMIN_ID, card, f"rv:{rid}:reject")
    api.wait_for(lambda: card.edits >= 1, what="the rejection")
    assert db_status(db, rid) == "rejected"


def test_admin_commands_in_a_group_and_pending_stays_private(tg_module_bot: TgRunningBot):
    api = tg_module_bot.api
    api.message(TG_ADMIN_ID, "/pending", chat_type="supergroup", chat_id=-5401)
    assert "私聊" in api.wait_replies(-5401, 1)[0].plain  # report contents are never shown in a group


def db_status(db, rid: int) -> str:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute("select status from reports where id = ?", (rid,)).fetchone()[0]
    finally:
        con.close()
