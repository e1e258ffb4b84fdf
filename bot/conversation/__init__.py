"""The conversation, independent of any face: what the bot answers to a message, a command or a button.

The Telegram face and the terminal chat both call :func:`respond`, so ``python run.py chat`` shows
exactly the replies the bot gives. Replies carry both HTML (Telegram) and plain text (terminal), and
buttons as ``(label, callback data)`` pairs that a face renders its own way. A face only translates
its own events into these calls.

Where things are:

=================  ================================================================================
``commands``       the command table (handler, admin-only, menu text, help line) → menus, /help, the
                   admin check, routing (:func:`respond`)
``check``          checking a message (verdict or lookup), the checks log, feedback votes
``buttons``        every kind of inline button and its callback data (one format, written and read there)
``presses``        what a pressed button does (:func:`on_button`)
``reporting``      /report, the 🚩 buttons, /myreports
``reviews``        the admins' review cards (/pending) and their buttons
``stats``          /stats
``texts``          the wording
``messages``       the types in and out: Caller, Press, Reply, ButtonAnswer; parse_command
=================  ================================================================================
"""

from __future__ import annotations

from bot.conversation.check import (
    check_group_message,
    check_message,
    check_screenshot,
    check_text,
    group_warning,
    lookup_reply,
    record_check,
    record_reply,
    record_vote,
)
from bot.conversation.commands import (
    COMMAND_TABLE,
    COMMANDS,
    HELP,
    Command,
    erase_traces,
    find,
    forget_me,
    help_text,
    menu,
    refused,
    respond,
)
from bot.conversation.messages import (
    ButtonAnswer,
    Caller,
    Press,
    Reply,
    parse_command,
    plain,
    traditional_reply,
)
from bot.conversation.presses import on_button
from bot.conversation.reporting import report_text
from bot.conversation.reviews import pending_cards
from bot.conversation.stats import stats, stats_text
from bot.conversation.texts import NO_PERMISSION

__all__ = [
    "COMMAND_TABLE", "COMMANDS", "HELP", "NO_PERMISSION", "ButtonAnswer", "Caller", "Command", "Press", "Reply",
    "check_group_message", "check_message", "check_screenshot", "check_text", "erase_traces", "find", "group_warning", "forget_me", "help_text",
    "lookup_reply", "menu", "on_button", "parse_command", "pending_cards", "plain", "record_check", "record_reply",
    "record_vote", "refused", "report_text", "respond", "stats", "stats_text", "traditional_reply",
]
