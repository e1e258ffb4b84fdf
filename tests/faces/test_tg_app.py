"""Building the Application (bot.tg.app) without running it: settings, routing, logging."""

from __future__ import annotations

import logging

from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot import conversation
from bot.config import Settings
from bot.conversation import buttons
from bot.faces.tg.app import RedactingFormatter, build_application, file_url_for, is_loopback
from bot.faces.tg.services import PerUserUpdateProcessor


def test_file_url_follows_the_base_url():
    assert file_url_for("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"
    assert file_url_for("https://example.org/tg/bot{token}") == "https://example.org/tg/file/bot{token}"
    assert file_url_for("") == "" and file_url_for("http://x/weird") == ""


def test_loopback_detection():
    assert is_loopback("http://127.0.0.1:1/bot") and is_loopback("http://localhost/bot") and is_loopback("http://[::1]/")
    assert not is_loopback("https://api.telegram.org/bot") and not is_loopback("http://10.0.0.1/bot")


def test_settings_from_env():
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:a", "BOT_WEBHOOK_URL": "https://h/x", "BOT_WEBHOOK_PORT": "88",
                           "BOT_WEBHOOK_LISTEN": "127.0.0.1", "BOT_WEBHOOK_SECRET": "s", "BOT_ADMIN_IDS": "1, 2;+3"})
    assert (s.webhook_url, s.webhook_port, s.webhook_listen, s.webhook_secret) == ("https://h/x", 88, "127.0.0.1", "s")
    assert s.admin_ids == frozenset({1, 2, 3})
    d = Settings.from_env({"BOT_WEBHOOK_PORT": "nope"})
    assert (d.webhook_port, d.webhook_listen) == (8443, "127.0.0.1")


def test_the_application_is_assembled_as_designed(tmp_path):
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
                           "BOT_DB_PATH": str(tmp_path / "x.db")})
    app = build_application(s)
    assert isinstance(app.bot.rate_limiter, AIORateLimiter)
    assert isinstance(app.update_processor, PerUserUpdateProcessor)
    assert app.job_queue is not None and app.bot.base_url == "http://127.0.0.1:9/bot1:abc"
    assert app.bot.base_file_url == "http://127.0.0.1:9/file/bot1:abc"
    # the flood guard runs first, in its own group; the admin form precedes the generic handlers
    assert isinstance(app.handlers[-1][0], TypeHandler)
    assert isinstance(app.handlers[0][0], ConversationHandler)
    commands = set().union(*(h.commands for h in app.handlers[0] if isinstance(h, CommandHandler)))
    assert {"check", "lookup", "start", "help", "addpattern", "stats"} <= commands
    assert app.error_handlers
    assert app.bot_data["services"].engine is None  # opened in post_init, not at build time


def test_routing_comes_from_the_command_table_and_the_button_kinds(tmp_path):
    """One CommandHandler per command of the table (and none for a command it doesn't know), and one
    CallbackQueryHandler per button kind, routed by the kind's pattern, then one for stale buttons."""
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc", "BOT_DB_PATH": str(tmp_path / "x.db")})
    app = build_application(s)
    main = app.handlers[0]
    routed = set().union(*(h.commands for h in main if isinstance(h, CommandHandler)))
    assert routed == conversation.COMMANDS
    patterns = [h.pattern for h in main if isinstance(h, CallbackQueryHandler)]
    assert patterns == [k.route for k in buttons.KINDS] + [None]
    cancel = [h for h in main if isinstance(h, CommandHandler) and "cancel" in h.commands]
    assert len(cancel) == 1  # outside the form; in private chats only (in a group it is for another bot)


def test_the_token_is_redacted_from_every_log_line():
    fmt = RedactingFormatter(logging.Formatter("%(message)s"), ["123:SECRET"])
    rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "POST https://api/bot%s/getMe", ("123:SECRET",), None)
    assert fmt.format(rec) == "POST https://api/bot<TOKEN>/getMe"
