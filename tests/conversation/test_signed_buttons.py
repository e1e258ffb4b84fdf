"""Votes and reports from buttons (issue 15, items 6 and 8): the callback data carries an HMAC of
(action, check id, user id) under a secret kept in the database, so a vote or a report can't be made
on someone else's check by forging data; one vote per user per check; the admins' 误报 alert counts
distinct voters; a report from a button is confirmed first; only a message's author (or an admin)
reports its text, anyone else its number alone; /forgetme covers reports of your messages."""

from __future__ import annotations

import pytest
from conftest import tg_fresh_db

from bot import admin, conversation
from bot.admin import reports
from bot.config import Settings, open_engine
from bot.conversation import buttons
from bot.store import privacy

SCAM = ("【保单服务中心】尊敬的客户，您的保单收益过低，现可办理退保转入我司内部理财产品，年化10%保本保息，"
        "详询13912345678")
NOISY = "恭喜您的保单被抽中参加周年庆回馈，可免费领取一台按摩椅，只需先支付三百八十元运费到我们的收款码即可包邮到家"


@pytest.fixture
def engine(tmp_path, tg_seeded_db):
    e = open_engine(Settings(db_path=str(tg_fresh_db(tg_seeded_db, tmp_path / "pg.db"))))
    yield e
    e.close()


def _data(reply, label: str) -> str:
    return next(d for row in reply.buttons for lbl, d in row if lbl == label)


def _votes(engine, cid: int) -> int:
    return engine.db["feedback"].count_where("check_id = ?", [cid])


def test_button_data_is_signed_for_the_user_it_was_made_for(engine):
    reply = conversation.check_message(engine, SCAM, face="telegram", user_id=11)
    cid = reply.check_id
    up, fp, rp = _data(reply, "👍 有帮助"), _data(reply, "🙅 误报"), _data(reply, "🚩 举报")
    assert up.startswith(f"fb:{cid}:up:") and fp.startswith(f"fb:{cid}:fp:") and rp.startswith(f"rp:{cid}:")
    assert all(len(d.encode()) <= 64 for d in (up, fp, rp)) and len({up[-16:], fp[-16:], rp[-16:]}) == 3
    # someone else pressing (or forging) the data: nothing is counted
    ans = conversation.on_button(engine, fp, user_id=12)
    assert "不是" in ans.notice and not ans.remove_buttons and _votes(engine, cid) == 0
    forged = f"fb:{cid}:fp:" + "A" * 16
    assert _votes(engine, cid) == 0 and "不是" in conversation.on_button(engine, forged, user_id=12).notice
    # old unsigned data is stale
    assert "失效" in conversation.on_button(engine, f"fb:{cid}:fp", user_id=11).notice
    # the owner: counted once
    assert conversation.on_button(engine, fp, user_id=11).notice.startswith("谢谢") and _votes(engine, cid) == 1
    assert "已经反馈过" in conversation.on_button(engine, up, user_id=11).notice and _votes(engine, cid) == 1


def test_the_secret_is_kept_in_the_database_and_made_once(engine):
    conversation.check_message(engine, SCAM, face="telegram", user_id=1)
    rows = list(engine.db.query("select value from meta where key = 'button_secret'"))
    assert len(rows) == 1 and len(rows[0]["value"]) >= 32


def test_the_false_positive_alert_needs_three_different_people(engine):
    pid = admin.add_pattern(engine, "other_scam", NOISY, actor="t", force=True).id

    def vote(user: int):
        reply = conversation.check_message(engine, NOISY, face="telegram", user_id=user)
        assert pid in [m.pattern_id for m in reply.verdict.matches]
        return conversation.on_button(engine, _data(reply, "🙅 误报"), user_id=user)

    # one person, three checks: no alert however many votes
    assert [vote(21).admin_notice for _ in range(4)] == [None] * 4
    assert vote(22).admin_notice is None
    notice = vote(23).admin_notice  # the third different person
    assert notice and f"#{pid}" in notice
    assert vote(24).admin_notice is None  # told once


def test_a_report_from_a_button_asks_for_confirmation_first(engine):
    reply = conversation.check_message(engine, SCAM, face="telegram", user_id=31)
    before = engine.db["reports"].count
    ans = conversation.on_button(engine, _data(reply, "🚩 举报"), user_id=31, source_text=SCAM)
    assert engine.db["reports"].count == before and ans.remove_buttons and "确认" in ans.notice
    labels = [label for row in ans.keep_buttons for label, _ in row]
    assert labels == ["取消", "✅ 确认举报"]  # confirm on the right: a double tap lands on 取消
    cancel, confirm = [d for row in ans.keep_buttons for _, d in row]
    assert "失效" not in conversation.on_button(engine, cancel, user_id=31).notice
    assert engine.db["reports"].count == before
    assert "不是" in conversation.on_button(engine, confirm, user_id=32, source_text=SCAM).notice
    done = conversation.on_button(engine, confirm, user_id=31, source_text=SCAM)
    assert "感谢举报" in done.notice and engine.db["reports"].count == before + 1


def test_only_the_author_or_an_admin_reports_a_message_text(engine):
    text = "冒充监管部门说保单要升级，需要交保证金到指定账户，否则保单作废，联系13922223333 保单号 P2024000001"
    # another member: the number only, never the text
    res = conversation.report_text(engine, text, 41, author_id=40)
    assert res.data["status"] == "created" and "号码" in res.text
    rows = list(engine.db.query("select kind, text, number from reports where id = ?", [res.data["report_id"]]))
    assert rows[0]["kind"] == "number" and rows[0]["number"] == "+8613922223333"
    assert not rows[0]["text"] or "保单号" not in rows[0]["text"]
    # without a number in it: refused, nothing stored
    n = engine.db["reports"].count
    refused = conversation.report_text(engine, "冒充监管部门说保单要升级，需要交保证金到指定账户，否则保单作废", 41, author_id=40)
    assert refused.kind == "error" and "本人" in refused.text and engine.db["reports"].count == n
    # an admin reports the text; the author's /forgetme then removes it, though the admin filed it
    res = conversation.report_text(engine, text, 777, author_id=40, is_admin=True)
    assert res.data["status"] == "created"
    rid = res.data["report_id"]
    assert engine.db["reports"].get(rid)["kind"] == "text"
    out = privacy.forget_user(engine.db, 40)
    assert out.reports_deleted == 1, out
    assert not list(engine.db.query("select 1 from reports where id = ?", [rid]))
    # the author's own report of their message: as before
    assert conversation.report_text(engine, text + "。", 40, author_id=40).data["status"] == "created"


def test_forgetme_never_claims_nothing_is_held():
    msg = privacy.ForgetResult().message()
    assert "没有保存任何" not in msg and "无法确定" in msg


def test_signed_kinds_route_and_fit():
    secret = "s" * 32
    for row in buttons.feedback_buttons(secret, 5, 123456789012) + buttons.confirm_buttons(secret, 5, 123456789012):
        for _, data in row:
            assert buttons.kind_of(data) is not None and len(data.encode()) <= 64
    assert buttons.kind_of("rp:7") is None and buttons.kind_of("fb:1:up") is None
    assert reports.DAILY_CAP >= 1
