"""Judging several messages as one conversation (bot/conversation/batching.py): the joined verdict,
the decisive message, the safeguard that keeps a high-risk message's 🔴, the bounds of a batch, and the
conversation test set's figures (tests/corpus/conversations.jsonl) as floors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.conversation.batching import MAX_CHARS, MAX_MESSAGES, Batch, conversation_reply, join, judge

ROOT = Path(__file__).resolve().parents[2]
CHAT = ["王阿姨您好，我是客服小李", "系统显示您2018年买的那份分红险，每年交一万二",
        "这份保单收益太低了，我们有个内部理财，年化9%保本保息", "您把保单退了转过来就行，加我微信 li88 详细说"]


def test_join_keeps_each_messages_span():
    joined, spans = join(["ab", "cde", ""])
    assert joined == "ab\ncde\n" and [joined[a:b] for a, b in spans] == ["ab", "cde", ""]


def test_conversation_names_the_decisive_message(engine):
    cv = judge(engine, CHAT)
    assert cv.verdict.risk == "high" and cv.decisive == 2
    assert cv.phrase and cv.phrase in CHAT[2] and cv.reason
    assert cv.alone[0] in ("none", "low") and len(cv.alone) == 4


def test_split_scheme_is_caught_only_together(engine):
    parts = ["您好，我是您保单的服务专员", "您那份保单收益太低了，放着就是亏", "我们有个稳健账户，年化8%，保本保息"]
    cv = judge(engine, parts)
    if cv.caught_only_together:
        assert cv.verdict.is_scam and not any(r in ("high", "medium") for r in cv.alone)
    assert cv.verdict.is_scam


def test_a_high_risk_message_keeps_its_red_badge_when_joined(engine):
    scam = "对方说他是泰康人寿客服，说我的保单要和国家养老金并轨，不办理的话之前交的钱就作废，让我下载app开屏幕共享，教我操作"
    cv = judge(engine, ["刚才接到个电话，", scam, "我没敢操作就挂了，这是骗子吧？"])
    assert cv.alone[1] == "high" and cv.verdict.risk == "high" and cv.decisive == 1


def test_legitimate_conversation_is_not_flagged(engine):
    cv = judge(engine, ["【中国人寿】尊敬的客户，您的保单将于下月到期，", "请按时缴纳续期保费。", "如有疑问请拨打95519。"])
    assert not cv.verdict.is_scam and cv.decisive is None


def test_reply_has_the_note_under_the_badge_and_no_report_button(engine):
    reply = conversation_reply(engine, CHAT, face="test", limit=4096, user_id=7)
    lines = reply.text.split("\n")
    assert lines[0] == "🔴 高风险" and lines[1].startswith("📎 您连续发来的 4 条消息已合起来判断；关键一步在第 3 条")
    assert reply.html.split("\n")[1].startswith("📎") and len(reply.html) <= 4096
    assert [label for row in reply.buttons for label, _ in row] == ["👍 有帮助", "🙅 误报"]
    assert all(data.startswith("fb:") for row in reply.buttons for _, data in row)  # signed votes
    assert conversation_reply(engine, CHAT, face="test", limit=4096).buttons == []  # for nobody: none
    assert reply.data == {"messages": 4, "decisive": 2, "alone": list(judge(engine, CHAT).alone)}


def test_batch_is_bounded_in_count_and_size():
    b = Batch()
    assert all(b.add("短消息") for _ in range(MAX_MESSAGES)) and not b.add("再一条")
    b = Batch()
    assert b.add("字" * (MAX_CHARS - 10)) and not b.add("字" * 10) and b.add("字" * 9)
    assert b.chars == MAX_CHARS


def test_bad_input_is_harmless(engine):
    cv = judge(engine, ["", None, "   "])  # type: ignore[list-item]
    assert cv.verdict.risk == "none" and cv.alone == ("none", "none", "none")


def test_conversation_set_is_built_from_the_corpora_and_up_to_date():
    rows = [json.loads(line) for line in (ROOT / "tests/corpus/conversations.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sum(r["label"] == "scam" for r in rows) >= 60 and sum(r["label"] == "legit" for r in rows) >= 60
    assert all(len(r["messages"]) >= 2 for r in rows)
    assert not [r for r in rows if "heldout" in r["source"] or "real_test" in r["source"]]
    done = subprocess.run([sys.executable, "tools/make_conversations.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_conversation_figures_hold(engine):
    """The figures in the README and the closing note, as floors: judged as a conversation, more scams
    are caught than by any single message, and no more legitimate conversations are flagged."""
    sys.path.insert(0, str(ROOT / "tools"))
    from eval_conversations import judge_all, read, summarize

    s = summarize(judge_all(engine, read(str(ROOT / "tests/corpus/conversations.jsonl"))))
    assert s["scam"]["joined"] >= 88.0 and s["scam"]["joined"] > s["scam"]["alone_any"]
    assert s["legit"]["joined"] <= 1.0 and s["legit"]["joined"] <= s["legit"]["alone_any"]
    assert s["scam"]["only_alone"] == 0  # joining never loses a scam a single message showed
