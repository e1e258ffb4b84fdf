"""The command table: every command the bot knows, once — its handler, whether it is admin-only, its
menu text and its /help line. Everything else is generated from it: the menus a face shows
(Telegram: set_my_commands), the help text, the admin check, and the routing in :func:`respond`
(the Telegram face registers one handler per row too, see bot/faces/tg/app.py).

A handler takes the engine, the text after the command and the :class:`Caller`, and returns a Reply;
it runs only once the admin check has passed. A row without a handler is answered by a face alone
(Telegram's guided /newpattern form); elsewhere it is an unknown command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot import admin
from bot.admin import reports
from bot.conversation import texts
from bot.conversation.check import any_lookup_reply, check_text, reader_region, wrote_traditional
from bot.conversation.leaks import leaks_command
from bot.conversation.messages import Caller, Reply, parse_command, plain, traditional_reply
from bot.conversation.reporting import my_reports_reply, report_command
from bot.conversation.stats import stats_text
from bot.model import SCAM_TYPES
from bot.pipeline.engine import Engine
from bot.pipeline.safe_text import safe_text
from bot.store import privacy

Handler = Callable[[Engine, str, Caller], Reply]


@dataclass(frozen=True)
class Command:
    """One row of the command table.

    ``menu``: the description in the face's command menu (None: not in the menu). ``help``: its line in
    /help (None: not listed); ``same_line`` puts it on the previous command's line. ``in_groups``: a
    face answers it in group chats too (/cancel is not: there it is probably meant for another bot)."""

    name: str
    handler: Handler | None
    admin: bool = False
    menu: str | None = None
    help: str | None = None
    same_line: bool = False
    in_groups: bool = True


# --- the handlers ----------------------------------------------------------------------------------------


def _help(engine: Engine, arg: str, caller: Caller) -> Reply:
    return plain(help_text(admin=caller.is_admin), "help")


def _lookup(engine: Engine, arg: str, caller: Caller) -> Reply:
    return any_lookup_reply(engine, arg) if arg else plain(texts.LOOKUP_USAGE)


def _check(engine: Engine, arg: str, caller: Caller) -> Reply:
    return check_text(engine, arg, caller) if arg else plain(texts.CHECK_USAGE)


def _cancel(engine: Engine, arg: str, caller: Caller) -> Reply:
    return plain(texts.NOTHING_TO_CANCEL)


def _report(engine: Engine, arg: str, caller: Caller) -> Reply:
    return report_command(engine, arg, caller.user_id)


def _my_reports(engine: Engine, arg: str, caller: Caller) -> Reply:
    return my_reports_reply(engine, caller.user_id)


def _forget_me(engine: Engine, arg: str, caller: Caller) -> Reply:
    return forget_me(engine, caller.user_id)


def forget_me(engine: Engine, user_id: int | str) -> Reply:
    """/forgetme: delete everything held about this user (bot.store.privacy.forget_user); a face also
    clears its in-memory state about them (throttle counters, an open form)."""
    res = privacy.forget_user(engine.store, user_id)
    return plain(res.message(), "forget", data={"deleted": res.total, "deferred": res.deferred,
                                                 "traces_left": res.traces_left})


def erase_traces(engine: Engine) -> bool:
    """Finish a /forgetme whose WAL checkpoint a reader held up; True once the file holds nothing of
    the deleted rows (bot.store.privacy.erase_traces)."""
    return privacy.erase_traces(engine.store)


def _admin_change(change: Callable[[Engine, str, str], str]) -> Handler:
    """An admin command's handler: its message as an "admin" reply; a refused change (AdminError)
    answers ❌ and the reason."""

    def handler(engine: Engine, arg: str, caller: Caller) -> Reply:
        try:
            msg = change(engine, arg, str(caller.user_id))
        except admin.AdminError as e:
            msg = texts.FAILED.format(error=e)
        return plain(msg, "admin")

    return handler


def _add_pattern(engine: Engine, arg: str, actor: str) -> str:
    stype, sep, body = arg.partition("|")
    if not sep:
        raise admin.AdminError(texts.ADDPATTERN_USAGE)
    r = admin.add_pattern(engine, stype.strip(), body.strip(), actor=actor)
    return texts.PATTERN_ADDED.format(id=r.id, type=SCAM_TYPES[r.scam_type])


def _add_number(engine: Engine, arg: str, actor: str) -> str:
    parts = arg.split(maxsplit=2)
    if len(parts) < 2:
        raise admin.AdminError(texts.ADDNUMBER_USAGE)
    row = admin.add_number(engine, parts[0], parts[1], parts[2] if len(parts) > 2 else "", actor=actor)
    return texts.NUMBER_ADDED.format(number=row["number"], reports=row["reports"])


def _del_pattern(engine: Engine, arg: str, actor: str) -> str:
    if not arg:
        raise admin.AdminError(texts.DELPATTERN_USAGE)
    admin.del_pattern(engine, arg.split()[0], actor=actor)
    return texts.PATTERN_DELETED.format(id=arg.split()[0].lstrip("#"))


def _del_number(engine: Engine, arg: str, actor: str) -> str:
    if not arg:
        raise admin.AdminError(texts.DELNUMBER_USAGE)
    row = admin.del_number(engine, arg, actor=actor)
    return texts.NUMBER_DELETED.format(number=row["number"])


def _pending(engine: Engine, arg: str, actor: str) -> str:
    """The queue as one text (the terminal chat; Telegram sends cards, bot/conversation/reviews.py)."""
    return reports.format_pending(engine)


def _stats(engine: Engine, arg: str, actor: str) -> str:
    return stats_text(engine)


def _leaks(engine: Engine, arg: str, actor: str) -> str:
    return leaks_command(engine, arg)


def _undo(engine: Engine, arg: str, actor: str) -> str:
    return texts.UNDONE.format(message=admin.undo_last(engine, actor=actor).message)


# --- the table ---------------------------------------------------------------------------------------------

#: In menu order: customers' commands, then the admins'.
COMMAND_TABLE: tuple[Command, ...] = (
    Command("start", _help, menu="开始使用 / 使用说明"),
    Command("help", _help, menu="怎么用、会保存什么"),
    Command("lookup", _lookup, menu="查询电话号码或网址：/lookup 号码", help="/lookup 号码或网址 —— 查询号码或链接"),
    Command("check", _check, menu="检查一段文字（群里回复一条消息发 /check）", help="/check 文字 —— 检查一段文字",
            same_line=True),
    Command("report", _report, menu="举报诈骗号码或消息",
            help="/report —— 举报诈骗：回复那条消息发送 /report，或 /report 号码 对方说了什么，或点结果下面的 🚩 举报"),
    Command("myreports", _my_reports, menu="我的举报及处理结果", help="/myreports 查看处理结果", same_line=True),
    Command("forgetme", _forget_me, menu="删除我的全部数据", help="/forgetme —— 删除我们保存的与您有关的全部数据"),
    Command("cancel", _cancel, in_groups=False),
    Command("newpattern", None, admin=True, menu="分步添加诈骗话术",
            help="在 Telegram 中还可以用 /newpattern 分步添加话术（按钮选择类型，确认后生效）。"),
    Command("addpattern", _admin_change(_add_pattern), admin=True, menu="添加话术：类型 | 话术",
            help="/addpattern 类型 | 话术 —— 添加诈骗话术（立即生效）"),
    Command("addnumber", _admin_change(_add_number), admin=True, menu="登记号码：号码 类型 备注",
            help="/addnumber 号码 类型 备注 —— 登记诈骗号码"),
    Command("delpattern", _admin_change(_del_pattern), admin=True, menu="停用话术：编号", help="/delpattern 编号 —— 停用话术"),
    Command("delnumber", _admin_change(_del_number), admin=True, menu="移除号码：号码", help="/delnumber 号码 —— 移除号码"),
    Command("pending", _admin_change(_pending), admin=True,
            menu="待审核的举报", help="/pending —— 待审核的举报（按钮：通过 / 驳回 / 改为话术）"),
    Command("undo", _admin_change(_undo), admin=True, menu="撤销我最近的一次修改", help="/undo —— 撤销您最近的一次修改（可重复）"),
    Command("stats", _admin_change(_stats), admin=True, menu="统计",
            help="/stats —— 统计（每日检查数、风险分布、命中最多的话术、用户反馈）"),
    Command("leaks", _admin_change(_leaks), admin=True, menu="对方知道的信息：按保险公司统计",
            help="/leaks [YYYY-MM] —— 用户说骗子知道哪些信息（按保险公司、月份计数，少于 5 次不显示）"),
)
BY_NAME = {c.name: c for c in COMMAND_TABLE}
#: Every command name the bot knows; a face stays quiet on others in group chats (they may be meant
#: for another bot).
COMMANDS = frozenset(BY_NAME)


def find(name: str) -> Command | None:
    """The table's row for a command name (without the slash), if any."""
    return BY_NAME.get(name)


def menu(*, admin: bool) -> list[tuple[str, str]]:
    """(name, description) for a face's command menu: the customers' commands, or the admins' own."""
    return [(c.name, c.menu) for c in COMMAND_TABLE if c.admin == admin and c.menu]


def _help_lines(rows: list[Command]) -> list[str]:
    """Help lines in table order; a ``same_line`` row joins the line before it ("；")."""
    lines: list[str] = []
    for c in rows:
        if c.help is None:
            continue
        if c.same_line and lines:
            lines[-1] += "；" + c.help
        else:
            lines.append(c.help)
    return lines


def help_text(*, admin: bool = False) -> str:
    """/start and /help: what the bot does, the customers' commands, what it keeps; for an admin also
    the admin commands (those only a face answers last, as that face's extras) and the scam types."""
    customer = [c for c in COMMAND_TABLE if not c.admin]
    body = "\n".join([texts.HELP_HEAD] + [f"• {line}。" for line in _help_lines(customer)]) + "\n\n" + texts.HELP_TAIL
    if not admin:
        return body
    ours = [c for c in COMMAND_TABLE if c.admin and c.handler is not None]
    faces = [c for c in COMMAND_TABLE if c.admin and c.handler is None]
    lines = [texts.ADMIN_HELP_HEAD, *_help_lines(ours), *_help_lines(faces), texts.ADMIN_HELP_TAIL]
    return body + "\n\n" + "\n".join(lines)


HELP = help_text()


# --- routing -----------------------------------------------------------------------------------------------


def respond(engine: Engine, text: str, *, user_id: int | str = "local", is_admin: bool = False,
            face: str | None = None, traditional: bool = False, limit: int | None = None,
            region: str = "") -> Reply:
    """Answer one incoming message (a command or text to check). Never raises for bad input.

    ``face`` records verdicts in the checks log; ``limit`` is the face's longest HTML reply;
    ``traditional`` (the user's client language is Traditional Chinese; ``region`` its TW/HK forms)
    converts help, lookups and notices to Traditional — verdicts follow the script the user wrote."""
    text = safe_text(text) if isinstance(text, str) else ""  # lone surrogates would crash OpenCC and SQLite
    region = reader_region(traditional, region)
    reply = answer(engine, text, Caller(user_id, is_admin, face, limit, region))
    if reply.kind != "verdict" and (region or wrote_traditional(engine, text)):
        reply = traditional_reply(reply, region)
    return reply


def answer(engine: Engine, text: str, caller: Caller) -> Reply:
    """A command, by the table (an admin-only one checks the caller first); any other text is checked."""
    cmd = parse_command(text)
    if cmd is None:
        return check_text(engine, text, caller)
    name, arg = cmd
    row = find(name)
    if row is None or row.handler is None:
        return plain(texts.UNKNOWN_COMMAND.format(name=name[:30]))
    if row.admin and not caller.is_admin:
        return plain(texts.NO_PERMISSION, "error")
    return row.handler(engine, arg, caller)


def refused(text: str, *, is_admin: bool) -> str | None:
    """The admin command a non-admin's text would be refused ("/stats"), for a face to log as an event
    (the command's name only, never its arguments); None otherwise."""
    cmd = parse_command(text)
    row = find(cmd[0]) if cmd else None
    if row is None or row.handler is None or not row.admin or is_admin:
        return None
    return f"/{row.name}"
