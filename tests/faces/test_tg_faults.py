"""Bot API faults (issue 15, item 13), through the real bot and the emulator: a reply Telegram finds
too long falls back to the short answer; server errors are retried with back-off, then a short apology;
a connection lost after the verdict was delivered does not bring a second verdict; a 429 for one chat
pauses only that chat."""

from __future__ import annotations

import time

from test_tg_e2e import LEGIT, SCAM

BADGES = ("🔴", "🟠", "🟡", "🟢")


def verdicts(replies) -> list:
    return [r for r in replies if r.plain.startswith(BADGES)]


def test_a_too_long_reply_falls_back_to_the_short_answer(tg_bot, botapi):
    botapi.fail("sendMessage", 400, description="too long")
    botapi.message(41, SCAM)
    [reply] = botapi.wait_replies(41, 1, timeout=15)
    assert reply.plain.startswith(("🔴", "🟠")) and "👉" in reply.plain, reply.plain
    assert "<blockquote" not in reply.text  # the details were left out
    assert [label for label, _ in reply.buttons] == ["👍 有帮助", "🙅 误报", "🚩 举报"]


def test_two_server_errors_are_retried_then_an_apology(tg_bot, botapi):
    botapi.fail("sendMessage", 500, times=2)
    t = time.monotonic()
    botapi.message(43, SCAM)
    [reply] = botapi.wait_replies(43, 1, timeout=20)
    assert reply.plain.startswith(("🔴", "🟠")) and time.monotonic() - t >= 1.0  # backed off between tries
    # every try fails: the user is told, briefly, instead of hearing nothing
    botapi.fail("sendMessage", 500, times=3)
    botapi.message(43, LEGIT)
    second = botapi.wait_replies(43, 2, timeout=30)[1]
    assert "抱歉" in second.plain and "重新发送" in second.plain and len(second.plain) < 80, second.plain
    assert botapi.faults_left("sendMessage") == 0


def test_a_connection_lost_after_delivery_brings_no_second_verdict(tg_bot, botapi):
    botapi.drop("sendMessage", after=True)
    botapi.message(44, SCAM)
    botapi.wait_replies(44, 1, timeout=15)
    time.sleep(2.5)  # longer than the retry back-off
    assert len(verdicts(botapi.replies(44))) == 1, [r.plain[:30] for r in botapi.replies(44)]
    # the bot keeps serving
    botapi.message(44, LEGIT)
    botapi.wait_for(lambda: len(verdicts(botapi.replies(44))) == 2, 15, "the next verdict")


def test_a_429_for_one_chat_pauses_only_that_chat(tg_bot, botapi):
    slow, other = 45, 46
    botapi.fail("sendMessage", 429, retry_after=4, chat_id=slow)
    t = time.monotonic()
    botapi.message(slow, LEGIT)
    botapi.wait_for(lambda: botapi.faults_left("sendMessage") == 0, 15, "the 429")
    botapi.message(other, LEGIT)
    botapi.wait_replies(other, 1, timeout=15)
    other_at = time.monotonic() - t
    botapi.wait_replies(slow, 1, timeout=15)
    slow_at = time.monotonic() - t
    assert slow_at >= 3.9  # the limited chat waited its retry_after …
    assert other_at < 3.0, other_at  # … and nobody else did
