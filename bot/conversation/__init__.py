"""The conversation, independent of Telegram: what the bot answers to a message or command.

The Telegram face and the terminal chat both call :func:`respond`, so ``python run.py chat`` shows
exactly the replies the bot gives. Replies carry both HTML (Telegram) and plain text (terminal).

Everything here is face-independent: the checks log and the feedback votes (counts and pattern ids,
never text), the buttons a reply offers (as ``(label, callback data)`` pairs that a face renders its own
way), what a pressed button does, statistics, and Traditional-Chinese replies. A face only translates
its own events into these calls.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot import admin, render, store
from bot.admin import reports
from bot.model import SCAM_TYPES, Lookup, Verdict
from bot.pipeline.engine import Engine
from bot.pipeline.numbers import clean as clean_number
from bot.store import now, privacy, today, write

HELP = """保单卫士 —— 帮您识别冒充保险公司、监管部门的诈骗。

怎么用：
• 把可疑短信、微信消息直接转发或粘贴给我；
• 或者用自己的话描述对方在电话里说了什么；
• 只发一个电话号码，我会查它是不是保险公司的官方号码；
• /lookup 号码 —— 查询号码；/check 文字 —— 检查一段文字。
• /report —— 举报诈骗：回复那条消息发送 /report，或 /report 号码 对方说了什么，或点结果下面的 🚩 举报；/myreports 查看处理结果。
• /forgetme —— 删除我们保存的与您有关的全部数据。

我会告诉您：风险等级、像哪种已知骗局、可疑的说法、官方风险提示，以及现在该怎么做。

隐私：您发来检查的内容不会被保存或记录，只统计次数和风险等级；只有您主动 /report 举报的内容才会在去除身份证号、银行卡号、手机号和姓名后保存，供管理员审核。

记住：保险公司和监管部门不会让您退保去买高收益理财，不会要求先交手续费才能理赔或贷款，也不会索要验证码。拿不准时，请挂断后自行拨打保单上的官方客服电话，或拨打 12378 咨询、96110 反诈专线、110 报警。"""

ADMIN_HELP = """管理员命令：
/addpattern 类型 | 话术 —— 添加诈骗话术（立即生效）
/addnumber 号码 类型 备注 —— 登记诈骗号码
/delpattern 编号 —— 停用话术
/delnumber 号码 —— 移除号码
/pending —— 待审核的举报（按钮：通过 / 驳回 / 改为话术）
/undo —— 撤销您最近的一次修改（可重复）
/stats —— 统计（每日检查数、风险分布、命中最多的话术、用户反馈）
在 Telegram 中还可以用 /newpattern 分步添加话术（按钮选择类型，确认后生效）。
类型：""" + "、".join(f"{k}（{v}）" for k, v in SCAM_TYPES.items())

ADMIN_COMMANDS = {"addpattern", "addnumber", "delpattern", "delnumber", "pending", "stats", "undo"}
NO_PERMISSION = "⛔ 无权限：这个命令只有管理员可以使用。"

#: Command menus (name, description) — a face shows these (Telegram: set_my_commands); admins see both.
PUBLIC_MENU: list[tuple[str, str]] = [
    ("start", "开始使用 / 使用说明"),
    ("help", "怎么用、会保存什么"),
    ("lookup", "查询电话号码：/lookup 号码"),
    ("check", "检查一段文字（群里回复一条消息发 /check）"),
    ("report", "举报诈骗号码或消息"),
    ("myreports", "我的举报及处理结果"),
    ("forgetme", "删除我的全部数据"),
]
ADMIN_MENU: list[tuple[str, str]] = [
    ("newpattern", "分步添加诈骗话术"),
    ("addpattern", "添加话术：类型 | 话术"),
    ("addnumber", "登记号码：号码 类型 备注"),
    ("delpattern", "停用话术：编号"),
    ("delnumber", "移除号码：号码"),
    ("pending", "待审核的举报"),
    ("undo", "撤销我最近的一次修改"),
    ("stats", "统计"),
]
#: Every command this conversation answers; a face stays quiet on others in group chats (they may be
#: meant for another bot).
COMMANDS = {name for name, _ in PUBLIC_MENU} | ADMIN_COMMANDS | {"newpattern", "cancel"}

#: Feedback votes: callback data "fb:<check id>:up" (有帮助) / "fb:<check id>:fp" (误报).
VOTES = {"up": "有帮助", "fp": "误报"}
#: Lookup statuses for which a "report this number" button is offered (an official number can't be
#: reported; an invalid one has nothing to report).
REPORTABLE = {"unknown", "lookalike", "reported"}
#: Telegram refuses callback data over 64 bytes.
MAX_CALLBACK_DATA = 64

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
    #: Inline buttons, rows of (label, callback data); the data is an id or a number key, never text.
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    #: The checks-log row this reply was recorded as (feedback votes refer to it), if any.
    check_id: int | None = None


@dataclass
class ButtonAnswer:
    """What a pressed button does: a short notice (Telegram: the callback answer, at most 200
    characters), optionally a new message, and whether the buttons should go away."""

    notice: str
    alert: bool = False
    reply: Reply | None = None
    remove_buttons: bool = False
    #: A new version of the message the button is on (a review card after 通过 / 驳回).
    edit: Reply | None = None
    #: A short notice for every admin (e.g. a script whose 误报 votes just passed the threshold); no user text.
    admin_notice: str | None = None
    #: The press was refused (a non-admin pressing an admin button): the face logs it as an event.
    refused: bool = False
    #: With ``remove_buttons``: the buttons to leave in place of the old ones (e.g. 🚩 举报 after a vote).
    keep_buttons: list[list[tuple[str, str]]] = field(default_factory=list)


def _plain(s: str) -> Reply:
    return Reply(html.escape(s), s)


def traditional_reply(reply: Reply) -> Reply:
    """The same reply in Traditional characters (button labels included). Verdicts are already
    converted by render when the user wrote Traditional; this is for help, lookups and notices."""
    reply.html = render.to_traditional(reply.html)
    reply.text = render.to_traditional(reply.text)
    reply.buttons = [[(render.to_traditional(label), data) for label, data in row] for row in reply.buttons]
    return reply


def wrote_traditional(engine: Engine, text: str) -> bool:
    """Whether the user wrote Traditional characters (the normalizer detects it while simplifying)."""
    return bool(text) and engine.normalizer(text[:500]).traditional


def looks_like_number(text: str) -> bool:
    """A message that is only a phone number gets a lookup instead of an analysis."""
    t = text.strip()
    return bool(_NUMBER_ONLY.match(t)) and sum(c.isdigit() for c in clean_number(t)) >= 3


def check_text(engine: Engine, text: str, *, face: str | None = None) -> Reply:
    """Analyse a message (or look it up, when it is only a phone number).

    With ``face`` (e.g. ``"telegram"``), a verdict is also recorded in the checks log — counts and
    pattern ids only — and carries 有帮助 / 误报 buttons that refer to that record. Without it (the
    terminal chat, tests, group messages the bot stays quiet on) nothing is written."""
    if looks_like_number(text):
        return lookup_reply(engine.lookup(text))
    v = engine.analyze(text)
    reply = Reply(render.verdict_html(v), render.verdict_text(v), "verdict", verdict=v)
    if face:
        record_reply(engine, reply, face)
    return reply


def check_message(engine: Engine, text: str, *, face: str | None = None, traditional: bool = False) -> Reply:
    """A message to check, never read as a command (a forwarded text may start with "/"), with
    lookups and notices in Traditional when the user's client is set to Traditional Chinese."""
    reply = check_text(engine, text if isinstance(text, str) else "", face=face)
    if reply.kind != "verdict" and traditional:
        reply = traditional_reply(reply)
    return reply


def lookup_reply(lk: Lookup) -> Reply:
    """A lookup, with a button to report the number when reporting it makes sense."""
    reply = Reply(render.lookup_html(lk), render.lookup_text(lk), "lookup", lookup=lk)
    data = f"rn:{lk.normalized}"
    if lk.status in REPORTABLE and lk.normalized and len(data.encode()) <= MAX_CALLBACK_DATA:
        reply.buttons = [[("🚩 举报这个号码", data)]]
    return reply


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


def respond(engine: Engine, text: str, *, user_id: int | str = "local", is_admin: bool = False,
            face: str | None = None, traditional: bool = False) -> Reply:
    """Answer one incoming message (a command or text to check). Never raises for bad input.

    ``face`` records verdicts in the checks log (see :func:`check_text`); ``traditional`` (the user's
    client language is Traditional Chinese) converts help, lookups and notices to Traditional —
    verdicts follow the script the user actually wrote."""
    text = text if isinstance(text, str) else ""
    reply = _respond(engine, text, user_id=user_id, is_admin=is_admin, face=face)
    if reply.kind != "verdict" and (traditional or wrote_traditional(engine, text)):
        reply = traditional_reply(reply)
    return reply


def _respond(engine: Engine, text: str, *, user_id: int | str, is_admin: bool, face: str | None) -> Reply:
    cmd = parse_command(text)
    if cmd is None:
        return check_text(engine, text, face=face)
    name, arg = cmd
    if name in ("start", "help"):
        body = HELP + ("\n\n" + ADMIN_HELP if is_admin else "")
        return Reply(html.escape(body), body, "help")
    if name == "lookup":
        if not arg:
            return _plain("用法：/lookup 号码，例如 /lookup 95519")
        return lookup_reply(engine.lookup(arg))
    if name == "check":
        if not arg:
            return _plain("用法：/check 要检查的文字（在群里也可以回复一条消息并发送 /check）")
        return check_text(engine, arg, face=face)
    if name == "cancel":
        return _plain("当前没有进行中的操作。")
    if name == "report":
        return report_command(engine, arg, user_id)
    if name == "myreports":
        return my_reports_reply(engine, user_id)
    if name == "forgetme":
        return forget_me(engine, user_id)
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
            msg = reports.format_pending(engine)
        elif name == "undo":
            r = admin.undo_last(engine, actor=actor)
            msg = f"↩️ {r.message}。再次发送 /undo 可继续撤销更早的修改。"
        else:
            msg = "该命令暂不可用。"
    except admin.AdminError as e:
        msg = f"❌ {e}"
    return Reply(html.escape(msg), msg, "admin")


# --- the checks log and feedback ---------------------------------------------------------------------


def record_check(engine: Engine, v: Verdict, face: str) -> int:
    """Log one check for the statistics: risk, score, pattern ids, scam types, face — never text."""
    row = {"at": now(), "day": today(), "risk": v.risk, "score": round(float(v.score), 1),
           "pattern_ids": json.dumps([m.pattern_id for m in v.matches]),
           "scam_types": json.dumps(v.scam_types), "face": face}
    with write(engine.db):
        return int(engine.db["checks"].insert(row).last_pk)


def feedback_buttons(check_id: int) -> list[list[tuple[str, str]]]:
    """有帮助 / 误报, and 🚩 举报. All carry only the check id: the report button's text is read, when
    pressed, from the message the verdict replies to (see :func:`on_button`), so nothing of the user's
    message is stored unless they press it."""
    return [[("👍 有帮助", f"fb:{check_id}:up"), ("🙅 误报", f"fb:{check_id}:fp")],
            [("🚩 举报", f"rp:{check_id}")]]


def record_reply(engine: Engine, reply: Reply, face: str) -> Reply:
    """Record a verdict reply in the checks log and attach the feedback buttons that refer to it."""
    v = reply.verdict
    if v is None or v.empty:
        return reply
    reply.check_id = record_check(engine, v, face)
    labels = feedback_buttons(reply.check_id)
    if v.traditional:
        labels = [[(render.to_traditional(label), data) for label, data in row] for row in labels]
    reply.buttons = labels
    return reply


def record_vote(engine: Engine, check_id: int, user_id: int | str, vote: str) -> str:
    """One vote per user per check: ``recorded``, ``duplicate`` (the user voted already; the first vote
    stands), ``unknown`` (no such check) or ``invalid`` (not a vote)."""
    if vote not in VOTES:
        return "invalid"
    if not list(engine.db.query("select 1 from checks where id = ?", [int(check_id)])):
        return "unknown"
    return _vote(engine, check_id, user_id, vote)[0]


def _vote(engine: Engine, check_id: int, user_id: int | str, vote: str) -> tuple[str, list[dict[str, Any]]]:
    """The vote, and on a new 误报 the scripts that matched get a 误报 count (admin.record_feedback_fp)
    in the same transaction; returns the scripts that just reached the noisy threshold."""
    who = store.user_hash(engine.db, user_id)  # salted; the salt is made once per database
    noisy: list[dict[str, Any]] = []
    with write(engine.db):
        cur = engine.db.execute(
            "insert or ignore into feedback (check_id, user_hash, vote, at) values (?, ?, ?, ?)",
            [int(check_id), who, vote, now()])
        recorded = cur.rowcount == 1
        if recorded and vote == "fp":
            rows = list(engine.db.query("select pattern_ids from checks where id = ?", [int(check_id)]))
            try:
                pids = json.loads(rows[0]["pattern_ids"] or "[]") if rows else []
            except ValueError:
                pids = []
            noisy = admin.record_feedback_fp(engine, pids)
    return ("recorded" if recorded else "duplicate"), noisy


def noisy_notice(just_flagged: list[dict[str, Any]], engine: Engine) -> str:
    """The admins' notice when scripts' 误报 votes pass the threshold: ids, types and counts (a script's
    text is the admins' own data, shortened), and how many scripts are flagged in all."""
    lines = [f"⚠️ 话术误报提醒：以下话术的用户误报反馈已达 {admin.NOISY_THRESHOLD} 次，请检查是否需要停用（/delpattern 编号）："]
    for r in just_flagged:
        text = str(r.get("text") or "")
        lines.append(f"• #{r['id']}（{SCAM_TYPES.get(r.get('scam_type') or '', r.get('scam_type'))}）误报 "
                     f"{r.get('false_positives')} 次 / 命中 {r.get('hits') or 0} 次：{text[:40]}{'…' if len(text) > 40 else ''}")
    total = len(admin.flag_noisy_patterns(engine))
    if total > len(just_flagged):
        lines.append(f"目前共有 {total} 条话术误报较多（python run.py admin noisy 查看）。")
    return "\n".join(lines)


_FB = re.compile(r"^fb:(\d{1,18}):(up|fp)$")
_RP = re.compile(r"^rp:(\d{1,18})$")
#: Review buttons: rv:<report id>:<action>[:<scam type>] (see :func:`review_card`).
_RV = re.compile(r"^rv:(\d{1,18}):(approve|reject|as_pattern|as_number|force)(?::([a-z_]{1,40}))?$")
REVIEW_ACTIONS = {"approve": "通过", "reject": "驳回", "as_pattern": "改为话术", "as_number": "改为号码", "force": "强制通过"}
#: The notice a non-admin gets for an admin button (forged or forwarded): nothing happens.
NO_PERMISSION_NOTICE = "⛔ 无权限：只有管理员可以审核举报。"


def on_button(engine: Engine, data: str, *, user_id: int | str, is_admin: bool = False,
              traditional: bool = False, source_text: str | None = None) -> ButtonAnswer:
    """What a pressed inline button does. Button data is ``fb:<check id>:<vote>``, ``rp:<check id>``
    (report the checked message: ``source_text`` is the text of the message the verdict replies to,
    which the face reads from Telegram only for this button), ``rn:<number key>`` or, for admins,
    ``rv:<report id>:<action>``; anything else (an old or forged button) gets an honest "expired".
    Admin rights are checked here on every press, whatever the button looks like."""
    ans = _on_button(engine, data or "", user_id=user_id, is_admin=is_admin, source_text=source_text)
    if traditional:
        ans.notice = render.to_traditional(ans.notice)
        if ans.reply is not None:
            ans.reply = traditional_reply(ans.reply)
        ans.keep_buttons = [[(render.to_traditional(label), d) for label, d in row] for row in ans.keep_buttons]
    return ans


def _on_button(engine: Engine, data: str, *, user_id: int | str, is_admin: bool,
               source_text: str | None) -> ButtonAnswer:
    m = _FB.match(data)
    if m:
        check_id, vote = int(m.group(1)), m.group(2)
        if not list(engine.db.query("select 1 from checks where id = ?", [check_id])):
            return ButtonAnswer("这条结果的记录已不存在，无法反馈。")
        outcome, noisy = _vote(engine, check_id, user_id, vote)
        if outcome == "recorded":
            thanks = "谢谢！已记录：" + VOTES[vote] + ("。误报会交给管理员改进规则。" if vote == "fp" else "。")
            return ButtonAnswer(thanks, remove_buttons=True, keep_buttons=feedback_buttons(check_id)[1:],
                                admin_notice=noisy_notice(noisy, engine) if noisy else None)
        return ButtonAnswer("您已经反馈过这条结果了，每人只计一次。", remove_buttons=True,
                            keep_buttons=feedback_buttons(check_id)[1:])
    m = _RP.match(data)
    if m:
        if not list(engine.db.query("select 1 from checks where id = ?", [int(m.group(1))])):
            return ButtonAnswer("这条结果的记录已不存在，请回复原消息发送 /report 举报。")
        text = _reported_text(source_text)
        if not text:
            return ButtonAnswer("找不到原消息的文字（可能已删除，或是图片）。请回复原消息发送 /report，"
                                "或发送 /report 加上诈骗短信的文字。", alert=True)
        res = reports.submit_report(engine, user_id, text=text)
        return ButtonAnswer(res.message[:200], alert=True, reply=_plain(res.message))
    m = _RV.match(data)
    if m or data.startswith("rv:"):
        if not is_admin:
            return ButtonAnswer(NO_PERMISSION_NOTICE, alert=True, refused=True)
        if not m:
            return ButtonAnswer("这个按钮已失效，请重新发送 /pending。")
        return review(engine, int(m.group(1)), m.group(2), actor=str(user_id), scam_type=m.group(3))
    if data.startswith("rn:") and len(data) > 3:
        key = data[3:][:30]
        res = reports.submit_report(engine, user_id, number=key)
        body = res.message
        if res.ok:
            body += f"\n想补充对方说了什么，请发送：/report {key} 对方的说法"
        return ButtonAnswer(res.message[:200], alert=not res.ok, reply=_plain(body), remove_buttons=res.ok)
    return ButtonAnswer("这个按钮已失效，请重新发送消息。")


def _reported_text(source_text: str | None) -> str:
    """The text to report from the message a verdict replies to: "/check TEXT" → TEXT; another
    command → nothing (commands are not scam messages)."""
    text = (source_text or "").strip()
    cmd = parse_command(text)
    if cmd is not None:
        name, arg = cmd
        return arg if name in ("check", "report") else ""
    return text


# --- reports: the customers' side ---------------------------------------------------------------------

_LEADING_NUMBER = re.compile(r"^([+＋]?[\d０-９][\d０-９\s\-－()（）]{3,24}[\d０-９])(?=$|\s|[^\d０-９\s\-－()（）])")

REPORT_USAGE = ("用法：\n• 回复一条诈骗消息，发送 /report\n• /report 号码 对方说了什么，例如 /report 13912345678 自称保险公司客服，让我退保买理财\n"
                "• /report 后粘贴诈骗短信原文\n举报内容会先去除身份证号、银行卡号、手机号和姓名，再交管理员审核。")


def report_command(engine: Engine, arg: str, user_id: int | str) -> Reply:
    """/report 号码 [说明] or /report 文字 (the face handles /report in reply to a message through
    :func:`report_text`). Only what the user asks to report is stored, redacted (reports.submit_report)."""
    arg = (arg or "").strip()
    if not arg:
        return _plain(REPORT_USAGE)
    number, text = None, arg
    m = _LEADING_NUMBER.match(arg)
    if m and sum(c.isdigit() for c in clean_number(m.group(1))) >= 5:
        number, text = m.group(1), arg[m.end():].strip(" ：:，,")
    res = reports.submit_report(engine, user_id, text=text or None, number=number)
    return Reply(html.escape(res.message), res.message, "report" if res.ok else "error",
                 data={"report_id": res.report_id, "status": res.status})


def report_text(engine: Engine, text: str, user_id: int | str) -> Reply:
    """/report in reply to a message: report that message's text (redacted before it is stored)."""
    text = _reported_text(text)
    if not text:
        return _plain("被回复的消息里没有可举报的文字。请回复诈骗短信本身，或发送 /report 加上短信文字。")
    res = reports.submit_report(engine, user_id, text=text)
    return Reply(html.escape(res.message), res.message, "report" if res.ok else "error",
                 data={"report_id": res.report_id, "status": res.status})


def my_reports_reply(engine: Engine, user_id: int | str) -> Reply:
    return _plain(reports.format_my_reports(reports.my_reports(engine, user_id)))


def forget_me(engine: Engine, user_id: int | str) -> Reply:
    """/forgetme: delete everything held about this user (bot.privacy.forget_user); the face also
    clears its in-memory state about them (throttle counters, an open form)."""
    res = privacy.forget_user(engine.db, user_id)
    return Reply(html.escape(res.message()), res.message(), "forget", data={"deleted": res.total})


# --- reports: the admins' review --------------------------------------------------------------------------

#: Review cards /pending shows at once (one message each, with its buttons).
PENDING_CARDS = 5


def review_card(item: dict[str, Any]) -> Reply:
    """One report as a card with its buttons: rv:<id>:approve / reject / as_pattern / as_number."""
    text = reports.format_item(item)
    buttons = [[(label, f"rv:{item['id']}:{action}") for label, action in reports.review_actions(item)]]
    return Reply(html.escape(text), text, "admin", buttons=[row for row in buttons if row],
                 data={"report_id": item["id"]})


def pending_cards(engine: Engine, limit: int = PENDING_CARDS) -> tuple[Reply, list[Reply]]:
    """/pending in Telegram: a header, then one card per pending report (most reported first)."""
    items = reports.pending(engine, limit)
    total = reports.pending_count(engine)
    if not items:
        return _plain("暂无待审核的举报。"), []
    head = f"待审核的举报：{total} 条" + (f"（显示前 {len(items)} 条，处理后再发 /pending 查看更多）" if total > len(items) else "")
    head += "。通过：加入话术库或号码库，立即生效；驳回：保留计数以识别重复举报；每次操作都可 /undo 撤销。"
    return _plain(head), [review_card(it) for it in items]


def _type_buttons(rid: int, action: str) -> list[list[tuple[str, str]]]:
    keys = list(SCAM_TYPES)
    pairs = [(SCAM_TYPES[k], f"rv:{rid}:{action}:{k}") for k in keys]
    return [pairs[i:i + 2] for i in range(0, len(pairs), 2)]


def review(engine: Engine, rid: int, action: str, actor: str, scam_type: str | None = None) -> ButtonAnswer:
    """An admin's review action on report ``rid`` (the caller has checked admin rights). The card is
    replaced by the outcome; a report without a scam type asks for one with type buttons; a script the
    mass-check refuses offers 强制通过 with the figures."""
    try:
        if action == "reject":
            reports.reject(engine, rid, actor)
            item = reports.get_report(engine, rid)
            done = f"❌ 已驳回举报 #{rid}。（/undo 可撤销）"
        else:
            kind = {"as_pattern": "pattern", "as_number": "number"}.get(action)
            r = reports.approve(engine, rid, actor, as_type=scam_type, as_kind=kind, force=action == "force")
            item = reports.get_report(engine, rid)
            done = r.message + "（/undo 可撤销）"
    except admin.AdminError as e:
        msg = str(e)
        try:
            item = reports.get_report(engine, rid)
        except admin.AdminError:
            return ButtonAnswer(("❌ " + msg)[:200], alert=True, remove_buttons=True)
        card = reports.format_item(item)
        if "诈骗类型" in msg and item.get("status") == "pending":
            body = f"{card}\n\n请选择诈骗类型后通过："
            return ButtonAnswer("请先选择诈骗类型", edit=Reply(html.escape(body), body, "admin",
                                buttons=_type_buttons(rid, "approve" if action != "as_number" else action)))
        body = f"{card}\n\n❌ {msg}"
        edit = review_card(item)
        edit.html, edit.text = html.escape(body), body
        if item.get("status") == "pending" and action in ("approve", "as_pattern") and not scam_type:
            edit.buttons = [[("⚠️ 仍然通过（强制）", f"rv:{rid}:force"), ("❌ 驳回", f"rv:{rid}:reject")]]
        elif item.get("status") == "pending" and action in ("approve", "as_pattern"):
            edit.buttons = [[("⚠️ 仍然通过（强制）", f"rv:{rid}:force:{scam_type}"), ("❌ 驳回", f"rv:{rid}:reject")]]
        else:
            edit.buttons = []
        return ButtonAnswer(("❌ " + msg)[:200], alert=True, edit=edit)
    body = f"{reports.format_item(item)}\n\n{done}"
    return ButtonAnswer(done[:200], edit=Reply(html.escape(body), body, "admin"))


# --- statistics -------------------------------------------------------------------------------------

RISK_LABELS = {"high": "🔴 高", "medium": "🟠 中", "low": "🟡 低", "none": "🟢 无"}
FACE_LABELS = {"telegram": "私聊", "telegram_group": "群组"}


def stats(engine: Engine, days: int = 7, top: int = 5) -> dict[str, Any]:
    """The admins' statistics, from counts and pattern ids only (the checks log never holds text)."""
    db = engine.db
    since = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)).isoformat()

    def one(sql: str, params: list[Any] | None = None) -> int:
        return int(list(db.query(sql, params or []))[0]["n"] or 0)

    per_day = {r["day"]: r["n"] for r in db.query(
        "select day, count(*) n from checks where day >= ? group by day order by day desc", [since])}
    return {
        "total": one("select count(*) n from checks"),
        "today": one("select count(*) n from checks where day = ?", [today()]),
        "per_day": per_day,
        "by_risk": {r["risk"]: r["n"] for r in db.query("select risk, count(*) n from checks group by risk")},
        "by_face": {r["face"]: r["n"] for r in db.query("select face, count(*) n from checks group by face")},
        "feedback": {r["vote"]: r["n"] for r in db.query("select vote, count(*) n from feedback group by vote")},
        "top_patterns": [dict(r) for r in db.query(
            """select p.value pid, count(*) n,
                      sum(exists(select 1 from feedback f where f.check_id = c.id and f.vote = 'fp')) fp,
                      (select scam_type from patterns where id = p.value) scam_type
               from checks c, json_each(c.pattern_ids) p
               group by p.value order by n desc, p.value limit ?""", [top])],
        "patterns": one("select count(*) n from patterns where status = 'active'"),
        "numbers": one("select count(*) n from numbers where status = 'active'"),
    }


def stats_text(engine: Engine, days: int = 7) -> str:
    s = stats(engine, days=days)
    lines = ["📊 统计", f"检查总数：{s['total']}（今天 {s['today']}）"]
    if s["per_day"]:
        lines.append(f"最近 {days} 天每日检查：" + "，".join(f"{d[5:]} {n}" for d, n in s["per_day"].items()))
    lines.append("风险分布：" + "，".join(f"{label} {s['by_risk'].get(k, 0)}" for k, label in RISK_LABELS.items()))
    if s["by_face"]:
        lines.append("来源：" + "，".join(f"{FACE_LABELS.get(k, k)} {n}" for k, n in s["by_face"].items()))
    fb = s["feedback"]
    lines.append(f"用户反馈：有帮助 {fb.get('up', 0)}，误报 {fb.get('fp', 0)}")
    if s["top_patterns"]:
        lines.append("命中最多的话术：")
        for r in s["top_patterns"]:
            name = SCAM_TYPES.get(r["scam_type"] or "", r["scam_type"] or "已删除")
            lines.append(f"• #{r['pid']}（{name}）命中 {r['n']} 次，误报 {r['fp'] or 0} 次")
    lines.append(f"有效话术：{s['patterns']}；举报号码：{s['numbers']}")
    return "\n".join(lines)
