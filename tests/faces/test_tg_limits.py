"""Limits that survive /forgetme (issue 15, item 9): the flood limit and the daily report cap are kept
in memory under an anonymous key (a keyed hash of the user id), which /forgetme does not erase — so
sending /forgetme between bursts neither resets the throttle nor the cap."""

from __future__ import annotations

import time

from test_tg_e2e import LEGIT

from bot.admin import reports
from bot.faces.tg.handlers import SLOW_DOWN


def test_forgetme_does_not_reset_the_flood_limit(tg_bot, botapi):
    user = 5101
    for _ in range(9):
        botapi.message(user, LEGIT)
    botapi.message(user, "/forgetme")  # the 10th message of the window
    botapi.wait_replies(user, 10, timeout=30)
    for _ in range(5):
        botapi.message(user, LEGIT)
    time.sleep(2.0)
    later = [r.plain for r in botapi.replies(user)[10:]]
    assert SLOW_DOWN in later, later
    assert len([t for t in later if t != SLOW_DOWN]) <= 1, later  # at most one token came back meanwhile
    svc = tg_bot.app.bot_data["services"]
    assert user not in svc.throttle._buckets  # keyed anonymously, never by the user id itself


def test_forgetme_does_not_reset_the_daily_report_cap(tg_bot, botapi, monkeypatch):
    monkeypatch.setattr(reports, "DAILY_CAP", 2)
    user = 5102
    botapi.message(user, "/report 13655551001 冒充客服让我退保")
    botapi.message(user, "/report 13655551002 冒充客服让我退保")
    got = botapi.wait_replies(user, 2, timeout=20)
    assert all("感谢举报" in r.plain for r in got)
    botapi.message(user, "/forgetme")
    assert botapi.wait_replies(user, 3, timeout=20)[2].plain.startswith("🗑")
    botapi.message(user, "/report 13655551003 冒充客服让我退保")
    third = botapi.wait_replies(user, 4, timeout=20)[3].plain
    assert "上限" in third and "感谢举报" not in third, third
