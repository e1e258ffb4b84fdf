"""Webhook mode (issue 15, item 1): the real Application serving a webhook on 127.0.0.1 against the Bot
API emulator. Without BOT_WEBHOOK_SECRET the bot makes a secret and registers it with setWebhook, so a
forged POST (an admin's ``from.id``) is refused with 403, logged, and changes nothing."""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request

import pytest
from conftest import TG_ADMIN_ID, TgRunningBot, tg_fresh_db
from db_support import db_rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(port: int, update: dict, secret: str | None) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/tg", data=json.dumps(update).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if secret is not None:
        req.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code


def _forged_addnumber(update_id: int, number: str) -> dict:
    text = f"/addnumber {number} fake_customer_service 伪造"
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1700000000, "chat": {"id": TG_ADMIN_ID, "type": "private", "first_name": "a"},
        "from": {"id": TG_ADMIN_ID, "is_bot": False, "first_name": "a"}, "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len("/addnumber")}]}}


@pytest.fixture
def webhook_bot(botapi, tmp_path, tg_seeded_db):
    port = _free_port()
    db = tg_fresh_db(tg_seeded_db, tmp_path / "pg.db")
    bot = TgRunningBot(botapi, db, frozenset({TG_ADMIN_ID}),
                       env={"BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/tg", "BOT_WEBHOOK_PORT": str(port)})
    bot._thread.start()
    botapi.wait_for(lambda: botapi.calls_of("setWebhook") or bot.error, 30, "setWebhook")
    assert bot.error is None, bot.error

    def listening() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    botapi.wait_for(listening, 30, "the webhook server")
    yield bot, port
    bot.stop()


def test_webhook_without_a_secret_registers_one_and_refuses_forged_updates(webhook_bot, botapi, caplog):
    caplog.set_level(logging.INFO, logger="bot")
    bot, port = webhook_bot
    assert bot.settings.webhook_listen == "127.0.0.1" and bot.settings.webhook_secret == ""
    [call] = botapi.calls_of("setWebhook")
    secret = call.get("secret_token") or ""
    assert len(secret) >= 32  # made at start-up, registered with Telegram
    # a forged update claiming to come from an admin: no secret, or a wrong one → 403, nothing stored
    assert _post(port, _forged_addnumber(1, "13800009991"), None) == 403
    assert _post(port, _forged_addnumber(2, "13800009992"), "guess") == 403
    assert db_rows(bot.db_path, "select number from numbers where number like '%1380000999%'") == []

    def refused() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "webhook" in r.getMessage() and "refused" in r.getMessage()]
    botapi.wait_for(lambda: len(refused()) >= 2, 5, "two refusals logged")
    assert len(refused()) == 2 and all(r.levelno == logging.WARNING for r in refused())
    assert secret not in caplog.text
    # Telegram's own POST (with the registered secret) is served
    assert _post(port, _forged_addnumber(3, "13800009993"), secret) == 200
    [reply] = botapi.wait_replies(TG_ADMIN_ID, 1, timeout=20)
    assert reply.plain.startswith("✅"), reply.plain
    assert db_rows(bot.db_path, "select number from numbers where number = '+8613800009993'") != []
