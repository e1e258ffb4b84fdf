"""The command table (bot/conversation/commands.py) is the one list of commands: /help, the menus, the
admin check and the routing come from it, and every command in it is documented in /help (as
``python run.py chat`` prints it) and in the README."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot import conversation
from bot.conversation import buttons
from bot.faces.cli.chat import run_chat

ROOT = Path(__file__).resolve().parents[2]
#: Commands /help does not list: /start and /help are the help itself, /cancel only leaves a form.
#: (Listing them would change the recorded replies, tests/golden; a product decision, not a refactor.)
NOT_IN_HELP = {"start", "help", "cancel"}
#: Commands the README does not mention yet (reported to the maintainers; the README is theirs to edit).
#: When it does, empty this set: the test then holds the README to every command.
README_LACKS: set[str] = set()


def _chat_help(engine, *, admin: bool) -> str:
    out = io.StringIO()
    run_chat(engine, admin=admin, stdin=io.StringIO("/help\n"), stdout=out)
    return out.getvalue()


def _mentioned(name: str, text: str) -> bool:
    return re.search(rf"/{re.escape(name)}(?![a-z])", text) is not None


def test_every_command_is_in_the_chat_help(engine):
    admin_help, customer_help = _chat_help(engine, admin=True), _chat_help(engine, admin=False)
    missing = {c.name for c in conversation.COMMAND_TABLE if not _mentioned(c.name, admin_help)}
    assert missing == NOT_IN_HELP, f"/help (python run.py chat --admin) lacks {sorted(missing - NOT_IN_HELP)}"
    assert {c.name for c in conversation.COMMAND_TABLE if c.help is None} == NOT_IN_HELP
    # customers see their own commands, and none of the admins'
    for c in conversation.COMMAND_TABLE:
        if c.help is not None:
            assert _mentioned(c.name, customer_help) == (not c.admin), c.name
    assert customer_help.strip() == conversation.HELP


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = {c.name for c in conversation.COMMAND_TABLE if not _mentioned(c.name, readme)}
    assert missing <= README_LACKS, f"README.md does not mention {sorted(missing - README_LACKS)}"
    assert missing == README_LACKS, f"README.md now mentions {sorted(README_LACKS - missing)}: drop them from README_LACKS"


def test_the_table_is_the_routing(engine):
    """Admin-only rows refuse non-admins; a row without a handler (the Telegram form) is unknown here;
    an unknown command gets the hint. No `if name == …` anywhere else decides this."""
    for c in conversation.COMMAND_TABLE:
        reply = conversation.respond(engine, f"/{c.name}", user_id="t-routing", is_admin=False)
        if c.handler is None:
            assert reply.text.startswith("未知命令"), c.name
        elif c.admin:
            assert reply.text == conversation.NO_PERMISSION and reply.kind == "error", c.name
            assert conversation.refused(f"/{c.name}@SomeBot x", is_admin=False) == f"/{c.name}"
            assert conversation.refused(f"/{c.name}", is_admin=True) is None
        else:
            assert not reply.text.startswith(("未知命令", "⛔")), c.name
            assert conversation.refused(f"/{c.name}", is_admin=False) is None
    assert conversation.respond(engine, "/frobnicate").text == "未知命令 /frobnicate。发送 /help 查看用法。"
    assert [n for n, _ in conversation.menu(admin=False)] == ["start", "help", "lookup", "check", "report",
                                                              "myreports", "forgetme"]
    assert [n for n, _ in conversation.menu(admin=True)][0] == "newpattern"


def test_button_data_has_one_format_and_round_trips():
    mac = "A" * buttons.MAC_CHARS
    assert buttons.VOTE.data(12, "fp", mac) == f"fb:12:fp:{mac}" and buttons.VOTE.parse(f"fb:12:fp:{mac}") == ("12", "fp", mac)
    assert buttons.REVIEW.parse("rv:3:approve:other_scam") == ("3", "approve", "other_scam")
    assert buttons.REVIEW.parse("rv:3:approve") == ("3", "approve", None)
    assert buttons.REPORT_NUMBER.parse("rn:" + "1" * 40) == ("1" * 30,)  # at most 30 characters are read
    assert buttons.FORM_TYPE.data("other_scam") == "np:t:other_scam" and buttons.FORM_CONFIRM.data() == "np:ok"
    for data, kind in [(f"fb:1:up:{mac}", buttons.VOTE), (f"rp:7:{mac}", buttons.REPORT_CHECK),
                       (f"rc:7:{mac}", buttons.REPORT_CONFIRM), ("rn:+86139", buttons.REPORT_NUMBER),
                       ("rv:1:approve", buttons.REVIEW), ("rv:garbage", buttons.REVIEW),  # a review's to refuse
                       ("fb:1:up", None), ("rp:7", None), ("fb:x:up", None), ("rn:", None), ("np:ok", None), ("", None)]:
        assert buttons.kind_of(data) is kind, data
    for row in buttons.feedback_buttons("s" * 64, 5, 12345) + buttons.type_buttons(9, "approve"):
        for _, data in row:
            assert buttons.kind_of(data) is not None and len(data.encode()) <= 64
