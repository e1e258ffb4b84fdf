"""Forwarded messages that arrive together are judged as one conversation, end to end through the real
bot and the Bot API emulator: the first forward is answered at once; when the window closes its reply is
replaced by the conversation's verdict, naming the decisive message; a lone forward keeps its answer;
pasted messages are answered one by one; the size bound closes a batch; the texts are never stored or
logged and are gone from memory once answered.

One bot for the module (tg_module_bot); every test uses its own user ids."""

from __future__ import annotations

import logging
import time

from conftest import TgRunningBot
from db_support import db_rows

from bot.conversation.batching import MAX_CHARS
from bot.faces.tg.batching import WINDOW, batches_of

#: A fake customer-service chat, forwarded as four messages: harmless one by one until the offer.
CHAT = ["王阿姨您好，我是客服小李", "系统显示您2018年买的那份分红险，每年交一万二",
        "这份保单收益太低了，我们有个内部理财，年化9%保本保息", "您把保单退了转过来就行，加我微信 li88 详细说"]


def wait_edit(api, sent, timeout: float = WINDOW + 8):
    api.wait_for(lambda: sent.edits > 0, timeout, "the first reply to be replaced")
    return sent


def test_forwarded_chat_is_answered_once_with_the_decisive_message(tg_module_bot: TgRunningBot):
    api, user = tg_module_bot.api, 5201
    started = time.monotonic()
    first = api.message(user, CHAT[0], forwarded=True)
    [reply] = api.wait_replies(user, 1)
    assert time.monotonic() - started < WINDOW  # answered at once, not after the window
    assert reply.reply_to == first["message_id"]
    for text in CHAT[1:]:
        api.message(user, text, forwarded=True)
    wait_edit(api, reply)
    assert reply.plain.startswith("🔴"), reply.plain[:80]
    assert "您连续发来的 4 条消息已合起来判断" in reply.plain and "关键一步在第 3 条" in reply.plain
    # feedback buttons refer to the conversation's own checks-log row; no 🚩 (it reports one message)
    labels = [label for label, _ in reply.buttons]
    assert labels == ["👍 有帮助", "🙅 误报"]
    check_id = int(reply.buttons[0][1].split(":")[1])
    assert db_rows(tg_module_bot.db_path, "select risk from checks where id = ?", (check_id,)) == [("high",)]
    time.sleep(0.5)
    assert len(api.replies(user)) == 1  # the other three forwards got no reply of their own


def test_lone_forward_keeps_its_immediate_answer(tg_module_bot: TgRunningBot):
    api, user = tg_module_bot.api, 5202
    api.message(user, "【保单服务中心】您的保单收益过低，现可办理退保转入内部理财，年化10%保本保息，详询13912345678",
                forwarded=True)
    [reply] = api.wait_replies(user, 1)
    assert reply.plain.startswith("🔴")
    time.sleep(WINDOW + 0.8)
    assert reply.edits == 0 and len(api.replies(user)) == 1 and "合起来" not in reply.plain


def test_pasted_messages_are_answered_one_by_one(tg_module_bot: TgRunningBot):
    api, user = tg_module_bot.api, 5203
    for text in CHAT[:2]:
        api.message(user, text)
    got = api.wait_replies(user, 2)
    time.sleep(WINDOW + 0.5)
    assert all(s.edits == 0 for s in got) and len(api.replies(user)) == 2


def test_a_batch_is_bounded_in_size(tg_module_bot: TgRunningBot):
    api, user = tg_module_bot.api, 5204
    chunk = "今天去超市买了菜，晚上回家做饭。" * (MAX_CHARS // 2 // 16)  # ~2,500 characters
    for _ in range(3):
        api.message(user, chunk, forwarded=True)
    # the third did not fit: the first two were judged together, the third answered on its own at once
    first, third = api.wait_replies(user, 2)
    wait_edit(api, first)
    assert "2 条消息已合起来判断" in first.plain
    assert third.edits == 0 or "2 条" not in third.plain


def test_the_window_keeps_nothing_at_rest_and_forgets_after_answering(tg_module_bot: TgRunningBot, caplog):
    caplog.set_level(logging.DEBUG)
    api, user, marker = tg_module_bot.api, 5205, "BATCHMARK4417"
    api.message(user, CHAT[0] + marker, forwarded=True)
    [reply] = api.wait_replies(user, 1)
    for text in CHAT[1:]:
        api.message(user, text + marker, forwarded=True)
    wait_edit(api, reply)
    time.sleep(0.3)
    assert len(batches_of(tg_module_bot.app)) == 0  # the texts are gone from memory once answered
    db = tg_module_bot.db_path
    for p in [db, *db.parent.glob(db.name + "-*")]:
        assert marker.encode() not in p.read_bytes(), p.name
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert marker not in logged and "内部理财" not in logged
    assert any("conversation of 4 messages" in r.getMessage() for r in caplog.records)
