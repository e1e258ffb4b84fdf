"""The face-independent parts of the conversation the Telegram face relies on (bot.conversation): the checks
log, feedback votes, buttons, statistics, Traditional replies."""

from __future__ import annotations

import json

import pytest

from bot import conversation
from bot.faces.tg.handlers import MAX_CALLBACK_DATA

SCAM = ("【保单服务中心】尊敬的客户，您的保单收益过低，现可办理退保转入我司内部理财产品，年化10%保本保息，"
        "详询13912345678")
LEGIT = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"


def test_terminal_replies_record_nothing(engine):
    before = engine.db["checks"].count
    reply = conversation.respond(engine, SCAM, user_id="terminal")
    assert reply.kind == "verdict" and reply.check_id is None and reply.buttons == []
    assert engine.db["checks"].count == before


def test_a_recorded_check_keeps_counts_and_pattern_ids_only(engine):
    reply = conversation.check_message(engine, SCAM, face="telegram", user_id=7)
    row = engine.db["checks"].get(reply.check_id)
    assert set(row) == {"id", "at", "day", "risk", "score", "pattern_ids", "scam_types", "face"}
    assert row["risk"] == reply.verdict.risk and row["face"] == "telegram"
    assert json.loads(row["pattern_ids"]) == [m.pattern_id for m in reply.verdict.matches]
    assert "13912345678" not in json.dumps(row, ensure_ascii=False)
    [[(up_label, up), (fp_label, fp)], [(rp_label, rp)]] = reply.buttons  # signed for user 7
    assert (up_label, fp_label, rp_label) == ("👍 有帮助", "🙅 误报", "🚩 举报")
    assert up.startswith(f"fb:{reply.check_id}:up:") and fp.startswith(f"fb:{reply.check_id}:fp:")
    assert rp.startswith(f"rp:{reply.check_id}:")


@pytest.mark.parametrize("text", ["🙂🙂", "你好", "谢谢！", "你是谁？", "  ", "謝謝"])
def test_greetings_thanks_and_empty_messages_get_a_hint_not_a_verdict(engine, text):
    before = engine.db["checks"].count
    reply = conversation.check_message(engine, text, face="telegram")
    assert reply.verdict is None and reply.check_id is None and reply.buttons == []
    assert "保单卫士" in reply.text or "保單衛士" in reply.text
    assert not reply.text.startswith(("🔴", "🟠", "🟡", "🟢"))
    assert engine.db["checks"].count == before


def test_a_question_that_is_not_smalltalk_still_gets_a_verdict(engine):
    reply = conversation.check_message(engine, "你好，有人打电话说我的保单要升级，让我加微信，是真的吗", face="telegram")
    assert reply.verdict is not None and reply.check_id is not None


def test_a_group_sees_only_the_short_answer(engine):
    reply = conversation.check_group_message(engine, SCAM)
    assert reply is not None and reply.verdict.risk == "high"
    assert "<blockquote" not in reply.html and "私聊" in reply.text
    assert reply.text.startswith("🔴 高风险") and len(reply.text) <= 360


def test_a_taiwan_client_gets_taiwan_forms(engine):
    reply = conversation.check_message(engine, "95519", face="telegram", region="TW")
    assert "號碼" in reply.text or "号码" not in reply.text


def test_votes_count_once_per_user_with_a_salted_hash(engine):
    cid = conversation.check_message(engine, SCAM, face="telegram").check_id
    assert conversation.record_vote(engine, cid, 1, "up") == "recorded"
    assert conversation.record_vote(engine, cid, 1, "fp") == "duplicate"
    assert conversation.record_vote(engine, cid, 2, "fp") == "recorded"
    assert conversation.record_vote(engine, 10**9, 2, "fp") == "unknown"
    assert conversation.record_vote(engine, cid, 3, "meh") == "invalid"
    rows = list(engine.db.query("select user_hash, vote from feedback where check_id = ?", [cid]))
    assert sorted(r["vote"] for r in rows) == ["fp", "up"]
    assert all(len(r["user_hash"]) == 64 and r["user_hash"] not in ("1", "2") for r in rows)
    salts = list(engine.db.query("select value from meta where key = 'user_salt'"))
    assert len(salts) == 1  # generated once


def test_buttons(engine):
    reply = conversation.check_message(engine, SCAM, face="telegram", user_id=5)
    [[(_, up), (_, fp)], _] = reply.buttons
    ans = conversation.on_button(engine, fp, user_id=5)
    assert ans.notice.startswith("谢谢") and ans.remove_buttons
    assert "已经反馈过" in conversation.on_button(engine, up, user_id=5).notice
    for stale in ("fb:abc:up", "np:t:other_scam", "", "x" * 64):
        ans = conversation.on_button(engine, stale, user_id=5)
        assert "失效" in ans.notice and ans.reply is None
    ans = conversation.on_button(engine, "rn:+8613912345678", user_id=5)
    assert "感谢举报" in ans.notice and "/report +8613912345678" in ans.reply.text  # files a report
    assert len(ans.notice) <= 200
    assert "舉報" in conversation.on_button(engine, "rn:+8613912345678", user_id=5, traditional=True).reply.text


def test_lookup_buttons_only_for_reportable_numbers(engine):
    assert conversation.respond(engine, "/lookup 95519").buttons == []
    assert conversation.respond(engine, "/lookup abc").buttons == []
    [[(_, data)]] = conversation.respond(engine, "/lookup 13912345678").buttons
    assert data == "rn:+8613912345678" and len(data.encode()) <= MAX_CALLBACK_DATA


def test_a_forwarded_text_starting_with_a_slash_is_checked_not_run(engine):
    reply = conversation.check_message(engine, "/stats 这是一条转发来的消息")
    assert reply.kind == "verdict"


def test_traditional_help_and_lookup(engine):
    assert "詐騙" in conversation.respond(engine, "/help", traditional=True).text
    assert "詐騙" not in conversation.respond(engine, "/help").text
    assert "官方號碼" in conversation.check_message(engine, "95519", traditional=True).text
    assert conversation.respond(engine, "/cancel").text == "当前没有进行中的操作。"


def test_stats_counts_checks_risks_feedback_and_top_patterns(engine):
    reply = conversation.check_message(engine, SCAM, face="telegram_group")
    conversation.record_vote(engine, reply.check_id, 99, "fp")
    conversation.check_message(engine, LEGIT, face="telegram")
    s = conversation.stats(engine)
    assert s["total"] == engine.db["checks"].count and s["today"] == s["total"]
    assert sum(s["by_risk"].values()) == s["total"]
    assert s["feedback"]["fp"] >= 1 and s["by_face"]["telegram_group"] >= 1
    top = s["top_patterns"][0]
    assert top["n"] >= 1 and top["scam_type"]
    text = conversation.stats_text(engine)
    assert "检查总数" in text and "风险分布" in text and "用户反馈" in text and f"#{top['pid']}" in text
    assert "无权限" in conversation.respond(engine, "/stats", is_admin=False).text
    assert "检查总数" in conversation.respond(engine, "/stats", is_admin=True).text


def test_menus_and_commands_are_consistent():
    names = {n for n, _ in conversation.menu(admin=False) + conversation.menu(admin=True)}
    assert names <= conversation.COMMANDS
    assert all(n.islower() and len(n) <= 32 for n in names)  # Telegram's rules for command names


def test_a_message_that_is_only_a_link_gets_a_link_lookup(engine):
    reply = conversation.check_message(engine, "pingan-lipei.cc")
    assert reply.kind == "lookup" and reply.verdict is None
    assert reply.text.startswith("⚠️ 疑似仿冒网址 pingan-lipei[.]cc：不是中国平安的网址")
    assert reply.data["link"]["status"] == "lookalike"


def test_lookup_command_takes_a_domain_and_a_number(engine):
    reply = conversation.respond(engine, "/lookup www.icbc.com.cn", user_id="terminal")
    assert reply.text.startswith("✅ 官方网址 www.icbc.com.cn：中国工商银行的官方网址")
    reply = conversation.respond(engine, "/lookup 95533", user_id="terminal")
    assert reply.text.startswith("✅ 官方号码 95533：中国建设银行的官方号码") and reply.lookup.org_kind == "bank"
