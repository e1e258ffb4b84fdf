"""The conversation, independent of Telegram: what the bot answers to a message or command.

The Telegram face and the terminal chat both call :func:`respond`, so ``python run.py chat`` shows
exactly the replies the bot gives. Replies carry both HTML (Telegram) and plain text (terminal).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from . import admin, render
from .engine import Engine
from .numbers import clean as clean_number
from .verdict import SCAM_TYPES, Lookup, Verdict

HELP = """保单卫士 —— 帮您识别冒充保险公司、监管部门的诈骗。

怎么用：
• 把可疑短信、微信消息直接转发或粘贴给我；
• 或者用自己的话描述对方在电话里说了什么；
• 只发一个电话号码，我会查它是不是保险公司的官方号码；
• /lookup 号码 —— 查询号码；/check 文字 —— 检查一段文字。

我会告诉您：风险等级、像哪种已知骗局、可疑的说法、官方风险提示，以及现在该怎么做。

隐私：您发来检查的内容不会被保存或记录，只统计次数和风险等级；只有您主动 /report 举报的内容才会在去除身份证号、银行卡号、手机号和姓名后保存，供管理员审核。

记住：保险公司和监管部门不会让您退保去买高收益理财，不会要求先交手续费才能理赔或贷款，也不会索要验证码。拿不准时，请挂断后自行拨打保单上的官方客服电话，或拨打 12378 咨询、96110 反诈专线、110 报警。"""

ADMIN_HELP = """管理员命令：
/addpattern 类型 | 话术 —— 添加诈骗话术（立即生效）
/addnumber 号码 类型 备注 —— 登记诈骗号码
/delpattern 编号 —— 停用话术
/delnumber 号码 —— 移除号码
/pending —— 待审核的举报
/stats —— 统计
类型：""" + "、".join(f"{k}（{v}）" for k, v in SCAM_TYPES.items())

ADMIN_COMMANDS = {"addpattern", "addnumber", "delpattern", "delnumber", "pending", "stats", "undo"}
NO_PERMISSION = "⛔ 无权限：这个命令只有管理员可以使用。"

_NUMBER_ONLY = re.compile(r"^[\s+＋()（）\-－—\d０-９]{3,30}$")


@dataclass
class Reply:
    """One reply: HTML for Telegram, plain text for the terminal, and what it was about."""

    html: str
    text: str
    kind: str = "info"  # verdict | lookup | help | admin | error | info
    verdict: Verdict | None = None
    lookup: Lookup | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _plain(s: str) -> Reply:
    return Reply(html.escape(s), s)


def looks_like_number(text: str) -> bool:
    """A message that is only a phone number gets a lookup instead of an analysis."""
    t = text.strip()
    return bool(_NUMBER_ONLY.match(t)) and sum(c.isdigit() for c in clean_number(t)) >= 3


def check_text(engine: Engine, text: str) -> Reply:
    if looks_like_number(text):
        lk = engine.lookup(text)
        return Reply(render.lookup_html(lk), render.lookup_text(lk), "lookup", lookup=lk)
    v = engine.analyze(text)
    return Reply(render.verdict_html(v), render.verdict_text(v), "verdict", verdict=v)


def parse_command(text: str) -> tuple[str, str] | None:
    """'/lookup@MyBot 95519' → ('lookup', '95519'); None when not a command."""
    t = text.strip()
    if not t.startswith("/"):
        return None
    head, _, rest = t.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = more + (" " + rest if rest else "")
    name = head[1:].split("@", 1)[0].lower()
    return name, rest.strip()


def respond(engine: Engine, text: str, *, user_id: int | str = "local", is_admin: bool = False) -> Reply:
    """Answer one incoming message (a command or text to check). Never raises for bad input."""
    text = text if isinstance(text, str) else ""
    cmd = parse_command(text)
    if cmd is None:
        return check_text(engine, text)
    name, arg = cmd
    if name in ("start", "help"):
        body = HELP + ("\n\n" + ADMIN_HELP if is_admin else "")
        return Reply(html.escape(body), body, "help")
    if name == "lookup":
        if not arg:
            return _plain("用法：/lookup 号码，例如 /lookup 95519")
        lk = engine.lookup(arg)
        return Reply(render.lookup_html(lk), render.lookup_text(lk), "lookup", lookup=lk)
    if name == "check":
        if not arg:
            return _plain("用法：/check 要检查的文字（在群里也可以回复一条消息并发送 /check）")
        return check_text(engine, arg)
    if name in ADMIN_COMMANDS:
        if not is_admin:
            return Reply(html.escape(NO_PERMISSION), NO_PERMISSION, "error")
        return admin_command(engine, name, arg, actor=str(user_id))
    return _plain(f"未知命令 /{name[:30]}。发送 /help 查看用法。")


def admin_command(engine: Engine, name: str, arg: str, actor: str) -> Reply:
    try:
        if name == "addpattern":
            stype, sep, body = arg.partition("|")
            if not sep:
                raise admin.AdminError("用法：/addpattern 类型 | 话术，例如 /addpattern agent_surrender | 专业团队代办全额退保，不成功不收费")
            r = admin.add_pattern(engine, stype.strip(), body.strip(), actor=actor)
            msg = f"✅ 已添加话术 #{r.id}（{SCAM_TYPES[r.scam_type]}），立即生效。"
        elif name == "addnumber":
            parts = arg.split(maxsplit=2)
            if len(parts) < 2:
                raise admin.AdminError("用法：/addnumber 号码 类型 备注，例如 /addnumber 13912345678 fake_regulator 冒充银保监")
            row = admin.add_number(engine, parts[0], parts[1], parts[2] if len(parts) > 2 else "", actor=actor)
            msg = f"✅ 已登记号码 {row['number']}（累计举报 {row['reports']} 次）。"
        elif name == "delpattern":
            if not arg:
                raise admin.AdminError("用法：/delpattern 编号")
            admin.del_pattern(engine, arg.split()[0], actor=actor)
            msg = f"✅ 已停用话术 #{arg.split()[0].lstrip('#')}。"
        elif name == "delnumber":
            if not arg:
                raise admin.AdminError("用法：/delnumber 号码")
            row = admin.del_number(engine, arg, actor=actor)
            msg = f"✅ 已移除号码 {row['number']}。"
        elif name == "stats":
            msg = stats_text(engine)
        elif name == "pending":
            msg = "暂无待审核的举报。"
        else:
            msg = "该命令暂不可用。"
    except admin.AdminError as e:
        msg = f"❌ {e}"
    return Reply(html.escape(msg), msg, "admin")


def stats_text(engine: Engine) -> str:
    db = engine.db
    total = list(db.query("select count(*) n from checks"))[0]["n"]
    by_risk = {r["risk"]: r["n"] for r in db.query("select risk, count(*) n from checks group by risk")}
    patterns = list(db.query("select count(*) n from patterns where status = 'active'"))[0]["n"]
    nums = list(db.query("select count(*) n from numbers where status = 'active'"))[0]["n"]
    lines = [f"检查总数：{total}", "风险分布：" + "，".join(f"{k} {by_risk.get(k, 0)}" for k in ("high", "medium", "low", "none")),
             f"有效话术：{patterns}；举报号码：{nums}"]
    return "\n".join(lines)
