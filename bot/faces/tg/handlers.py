"""The typed async callbacks of the Telegram face. They translate Telegram events into
:mod:`bot.conversation` calls (one per update, run on the engine thread) and send what it answers.

Privacy: nothing here logs or stores message text. Logs carry update ids, chat types, risk levels and
timings; the checks log (conversation.record_check) keeps counts and pattern ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
import traceback

import httpx
from telegram import (
    Bot,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, InlineKeyboardButtonLimit, MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, ContextTypes

from bot import conversation, render
from bot.admin import reports
from bot.conversation import leaks, texts
from bot.conversation.buttons import REPORT_CHECK, REPORT_CONFIRM, REPORT_NUMBER, ButtonKind
from bot.conversation.texts import GROUP_REPORT_DM, GROUP_REPORT_NO_DM
from bot.faces.tg.services import Services, services
from bot.faces.tg.throttle import Decision
from bot.model import Verdict

log = logging.getLogger(__name__)

SLOW_DOWN = "⏳ 您发得太快了，请稍后再试（每 30 秒最多检查 10 条消息）。"
OTHER_HINT = "我只能检查文字和截图：请把可疑短信、聊天记录的文字或截图转发给我，或发送 /help 查看用法。"
GROUP_HELLO = ("大家好，我是保单卫士。我会安静地待在群里，只有发现高风险的诈骗消息时才会提醒；"
               "想检查某条消息，回复它并发送 /check。我不保存群里的聊天内容。\n"
               "（如果我收不到群消息，请群主在 @BotFather 关闭我的隐私模式，或把我设为管理员。）")
ERROR_REPLY = "抱歉，处理这条消息时出错了，请稍后再试。"
#: Longer texts are refused before any analysis (Telegram's own limit is 4,096; only a forged or
#: oversized update gets here). Up to this, the engine cuts at config.MAX_TEXT_CHARS and says so.
MAX_UPDATE_CHARS = 20_000
TOO_LONG = "📏 消息太长（超过 2 万字），无法检查。请只发送可疑的那一段短信或聊天内容。"
PENDING_PRIVATE_ONLY = "请在与我的私聊中使用 /pending：举报内容只给管理员看，不在群里显示。"
REPLY_TO_BOT = "请回复诈骗消息本身（而不是我的回复）再发送 /report，或点检查结果下面的 🚩 举报。"
#: Report outcomes that count towards the daily cap (as bot.admin.reports counts them in the database).
COUNTED_REPORTS = ("created", "repeat")
#: Buttons that file a report (the daily cap applies), and those that report the replied-to message.
REPORTING = (REPORT_CHECK, REPORT_CONFIRM, REPORT_NUMBER)
READS_SOURCE = (REPORT_CHECK, REPORT_CONFIRM)
#: At most one admin notification per kind of error in this many seconds.
ADMIN_NOTICE_EVERY = 300.0
TRADITIONAL_LANGS = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
#: The longest reply Telegram accepts (characters); the conversation composes replies to fit it.
REPLY_LIMIT = MessageLimit.MAX_TEXT_LENGTH
#: Telegram refuses a button whose callback data is over 64 bytes: such a button is left out.
MAX_CALLBACK_DATA = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


def wants_traditional(user: User | None) -> bool:
    """The user's Telegram client is set to Traditional Chinese."""
    lang = ((user.language_code if user else None) or "").lower()
    return lang.startswith(TRADITIONAL_LANGS)


def region_of(user: User | None) -> str:
    """Which Traditional forms the user's client asks for: Hong Kong's (zh-HK, zh-MO), Taiwan's
    (zh-TW, zh-Hant), or none."""
    lang = ((user.language_code if user else None) or "").lower()
    if lang.startswith(("zh-hk", "zh-mo")):
        return "HK"
    return "TW" if lang.startswith(TRADITIONAL_LANGS) else ""


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def face_of(update: Update) -> str:
    return "telegram" if is_private(update) else "telegram_group"


def markup(reply: conversation.Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard; a button whose data Telegram would refuse (over
    :data:`MAX_CALLBACK_DATA` bytes, e.g. an absurdly long number key) is left out."""
    rows = [[InlineKeyboardButton(label, callback_data=data) for label, data in row
             if len(data.encode()) <= MAX_CALLBACK_DATA] for row in reply.buttons]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


#: Waits (seconds) before the second and the third try after a server error (HTTP 5xx) or a connection
#: that could not be opened: a lost verdict is worse than a late one.
RETRY_DELAYS = (1.0, 2.0)
APOLOGY = "抱歉，Telegram 暂时出了问题，结果没能发出。请稍后重新发送这条消息。"
#: After a connection lost once the request had gone out: the verdict may well have arrived, so it is
#: not sent a second time; this one line covers the case where it did not.
RESEND_HINT = "⚠️ 网络中断：如果您没有看到检查结果，请重新发送这条消息。"
TOO_LONG_NOTE = "（完整说明超出 Telegram 的长度限制，已省略。）"


def never_sent(err: NetworkError) -> bool:
    """Whether the request surely never reached Telegram (a connection that could not be opened, a
    full pool) or was refused by it with a server error — then sending again can't make a duplicate.
    A connection lost after the request went out (or a read timeout) is not: it may have been done."""
    cause = err.__cause__
    if isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return True
    return not isinstance(err, TimedOut) and cause is None  # PTB's own NetworkError for an HTTP 5xx answer


def shorter(reply: conversation.Reply, region: str) -> tuple[str, str | None]:
    """A shorter form of a reply Telegram found too long: a verdict's short answer (badge, what this
    is, what to do) and a note; anything else, its plain text cut to fit."""
    if reply.verdict is not None:
        return render.verdict_short_html(reply.verdict, region) + "\n" + html.escape(TOO_LONG_NOTE), ParseMode.HTML
    return reply.text[: REPLY_LIMIT // 2], None


async def _send_once(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: conversation.Reply, region: str,
                     kwargs: dict) -> Message:
    """One try: HTML; plain text if Telegram rejects the HTML; the short form if it is too long."""
    try:
        return await context.bot.send_message(chat_id, reply.html, parse_mode=ParseMode.HTML, **kwargs)
    except BadRequest as e:
        why = e.message.lower()
        if "too long" in why:
            log.warning("Telegram found a reply too long (%s); sending its short form", e.message)
            text, mode = shorter(reply, region)
            return await context.bot.send_message(chat_id, text, parse_mode=mode, **kwargs)
        if "entit" not in why and "parse" not in why:
            raise
        log.warning("Telegram rejected a reply's HTML (%s); sending it as plain text", e.message)
        return await context.bot.send_message(chat_id, reply.text[: MessageLimit.MAX_TEXT_LENGTH], **kwargs)


async def _say(context: ContextTypes.DEFAULT_TYPE, chat_id: int, text: str) -> None:
    """A one-line notice, best effort (it is what we say when sending already failed)."""
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat_id, text)


async def send_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: conversation.Reply,
                     reply_to: int | None = None) -> Message | None:
    """Send a dialog reply as HTML with its buttons.

    Falls back to plain text if Telegram rejects the HTML, and to the short form if it finds it too
    long. A server error (HTTP 5xx) or a connection that could not be opened is retried after
    :data:`RETRY_DELAYS`, and when every try failed the user gets a short apology. A connection lost
    after a verdict went out is not retried (Telegram has no way to ask whether it arrived, and a
    second verdict is confusing): one line asks to resend if nothing came. Rate limits (429) are the
    rate limiter's (bot/faces/tg/ratelimit.py); "bot blocked" (403) and other refusals go to the
    error handler."""
    chat = update.effective_chat
    if chat is None:
        return None
    kwargs = {
        "reply_markup": markup(reply),
        "link_preview_options": LinkPreviewOptions(is_disabled=True),
        "reply_parameters": ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
        if reply_to else None,
    }
    region = region_of(update.effective_user)
    for delay in (*RETRY_DELAYS, None):
        try:
            return await _send_once(context, chat.id, reply, region, kwargs)
        except (BadRequest, Forbidden):
            raise
        except NetworkError as e:
            if reply.verdict is not None and not never_sent(e):
                log.warning("connection lost after sending a verdict (%s): not sent twice", describe_error(e))
                await _say(context, chat.id, RESEND_HINT)
                return None
            if delay is None:
                log.warning("a reply could not be sent after %d tries (%s)", len(RETRY_DELAYS) + 1, describe_error(e))
                await _say(context, chat.id, APOLOGY)
                return None
            await asyncio.sleep(delay)
    return None


def _log_check(update: Update, reply: conversation.Reply, started: float) -> None:
    v = reply.verdict
    log.info("update %s: %s in %s chat → %s%s (%.0f ms)", update.update_id, reply.kind,
             update.effective_chat.type if update.effective_chat else "?",
             v.risk if v else (reply.lookup.status if reply.lookup else "-"),
             f" score {v.score:.0f} check {reply.check_id}" if v else "", (time.perf_counter() - started) * 1000)


# --- group -1: the flood guard ------------------------------------------------------------------------


async def throttle_gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The cheap checks every update passes before any handler: per-user flood limit (over it: told
    once, then silence), per-group limit (over it: silence in that group), and oversized text (refused
    without analysis). Each costs microseconds, so a flood can't reach the engine thread."""
    user = update.effective_user
    if user is None or not (update.message or update.callback_query):
        return
    svc = services(context)
    decision = svc.throttle.hit(svc.anon(user.id))
    if decision is not Decision.ALLOW:
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer(SLOW_DOWN[:200])
        elif decision is Decision.WARN and is_private(update) and update.message is not None:
            log.info("update %s: user over the message limit, told to slow down", update.update_id)
            with contextlib.suppress(TelegramError):
                await update.message.reply_text(SLOW_DOWN)
        raise ApplicationHandlerStop
    msg = update.message
    if msg is None:
        return
    if not is_private(update) and svc.group_throttle.hit(msg.chat_id) is not Decision.ALLOW:
        log.info("update %s: group over its limit, staying silent", update.update_id)
        raise ApplicationHandlerStop
    if len(msg.text or msg.caption or "") > MAX_UPDATE_CHARS:
        log.info("update %s: oversized text (%d chars) refused", update.update_id, len(msg.text or msg.caption or ""))
        if is_private(update):
            with contextlib.suppress(TelegramError):
                await msg.reply_text(TOO_LONG)
        raise ApplicationHandlerStop


def log_refusal(update: Update, what: str) -> None:
    """A refused admin action, as an event: what was tried (a command or button kind from a fixed set,
    never its text or arguments), the update id and the chat type."""
    log.warning("refused: %s by a non-admin (update %s, %s chat)", what, update.update_id,
                update.effective_chat.type if update.effective_chat else "?")


# --- customers -------------------------------------------------------------------------------------------


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text, a photo caption or a forwarded message in a private chat: check it, one reply (then the
    optional leak question). Forwards arriving together go through bot/faces/tg/batching.py first."""
    reply, _ = await check_and_reply(update, context)
    if reply is not None and update.effective_chat is not None:
        await send_leak_question(context.bot, services(context), update.effective_chat.id, reply.verdict,
                                 region_of(update.effective_user))


async def check_and_reply(update: Update, context: ContextTypes.DEFAULT_TYPE
                          ) -> tuple[conversation.Reply | None, Message | None]:
    """Check a private message and send the reply; the reply and the message sent."""
    msg = update.effective_message
    if msg is None:
        return None, None
    started = time.perf_counter()
    text = msg.text or msg.caption or ""
    reply = await services(context).run(conversation.check_message, text, face="telegram",
                                        region=region_of(update.effective_user), limit=REPLY_LIMIT,
                                        user_id=update.effective_user.id if update.effective_user else None)
    _log_check(update, reply, started)
    # in reply to the message checked: the 🚩 举报 button finds the text there when (and only when) the
    # user presses it, so the bot never has to keep the text itself
    return reply, await send_reply(update, context, reply, reply_to=msg.message_id)


async def send_leak_question(bot: Bot, svc: Services, chat_id: int, verdict: Verdict | None, region: str = "") -> None:
    """The optional "对方知道您的哪些信息？" (bot/conversation/leaks.py), as its own message, after a high
    or medium verdict that names an insurer."""
    question = leaks.question_for_verdict(svc.engine.knowledge, verdict) if svc.engine is not None else None
    if question is None:
        return
    if region:
        question = conversation.traditional_reply(question, region)
    await bot.send_message(chat_id, question.html, parse_mode=ParseMode.HTML, reply_markup=markup(question))


async def on_private_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, voice, files…: explain what the bot can check."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(OTHER_HINT)


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in a group: analysed silently; answered (in reply to it) only when high-risk. One
    trip to the engine thread: the conversation decides, and records, in the same call."""
    msg = update.effective_message
    if msg is None:
        return
    started = time.perf_counter()
    # the buttons are signed for the message's author: the one who may vote on it and report its text
    reply = await services(context).run(conversation.check_group_message, msg.text or msg.caption or "",
                                        limit=REPLY_LIMIT, user_id=msg.from_user.id if msg.from_user else None)
    if reply is None:
        return
    _log_check(update, reply, started)
    await send_reply(update, context, reply, reply_to=msg.message_id)


async def on_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/check TEXT, or /check in reply to a message (its text or caption is checked, and the answer
    goes to that message) — the way to ask in a group, where the bot is otherwise quiet."""
    msg = update.effective_message
    if msg is None:
        return
    started = time.perf_counter()
    svc = services(context)
    target = msg.reply_to_message
    args = " ".join(context.args or [])
    region = region_of(update.effective_user)
    if target is not None and not args:
        text = target.text or target.caption or ""
        if not text.strip():
            await msg.reply_text("被回复的消息里没有文字，我只能检查文字。")
            return
        reply = await svc.run(conversation.check_message, text, face=face_of(update), region=region,
                              limit=REPLY_LIMIT, user_id=update.effective_user.id if update.effective_user else None)
        reply_to = target.message_id
    else:
        reply = await svc.run(conversation.respond, msg.text or "", user_id=update.effective_user.id
                              if update.effective_user else "?", is_admin=False, face=face_of(update), region=region,
                              limit=REPLY_LIMIT)
        reply_to = msg.message_id  # (🚩 举报 reads "/check TEXT" from here if pressed)
    _log_check(update, reply, started)
    await send_reply(update, context, reply, reply_to=reply_to)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every other command (/start, /help, /lookup, the admin commands, /report, unknown ones in a
    private chat) goes to conversation.respond, exactly as in the terminal chat. Admin rights come from
    BOT_ADMIN_IDS; everyone else gets 无权限 and nothing changes."""
    msg = update.effective_message
    user = update.effective_user
    if msg is None or user is None:
        return
    started = time.perf_counter()
    svc = services(context)
    text = msg.text or msg.caption or ""
    admin = svc.is_admin(user.id)
    refused = conversation.refused(text, is_admin=admin)
    if refused:
        log_refusal(update, refused)
    reply = await svc.run(conversation.respond, text, user_id=user.id, is_admin=admin, face=face_of(update),
                          region=region_of(user), limit=REPLY_LIMIT)
    _log_check(update, reply, started)
    await send_reply(update, context, reply, reply_to=None if is_private(update) else msg.message_id)


async def on_newpattern_elsewhere(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/newpattern outside a private chat (the guided form is private-only): 无权限 for non-admins,
    like every admin command; admins are asked to use it in their private chat with the bot."""
    msg = update.effective_message
    user = update.effective_user
    if msg is None or user is None:
        return
    if not services(context).is_admin(user.id):
        log_refusal(update, "/newpattern")
        await msg.reply_text(conversation.NO_PERMISSION)
    else:
        await msg.reply_text("请在与我的私聊中使用 /newpattern。")


async def on_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report in reply to a message reports that message's text — its author's or an admin's to
    report; anyone else's /report reports the number in it alone; /report 号码 / 文字 reports what
    follows. Only then is anything of a user's message stored — redacted, by reports.submit_report —
    and the DB write is done before the thanks is sent, so a failed reply never loses a report. In a
    group the outcome goes to the reporter privately (it says what they reported before)."""
    msg = update.effective_message
    user = update.effective_user
    if msg is None or user is None:
        return
    svc = services(context)
    target = msg.reply_to_message
    region = region_of(user)
    admin = svc.is_admin(user.id)
    if svc.reports_today.count(svc.anon(user.id)) >= reports.DAILY_CAP:
        reply = conversation.plain(texts.REPORT_CAP.format(cap=reports.DAILY_CAP), "error")
    elif target is not None and not context.args:
        if target.from_user is not None and target.from_user.id == context.bot.id:
            reply = conversation.plain(REPLY_TO_BOT, "error")
        else:
            author = target.from_user.id if target.from_user is not None else None
            reply = await svc.run(conversation.report_text, target.text or target.caption or "", user.id,
                                  author_id=author, is_admin=admin)
        if region:
            reply = conversation.traditional_reply(reply, region)
    else:
        reply = await svc.run(conversation.respond, msg.text or "", user_id=user.id, is_admin=admin,
                              face=face_of(update), region=region,
                              limit=REPLY_LIMIT)
    if reply.data.get("status") in COUNTED_REPORTS:
        svc.reports_today.add(svc.anon(user.id))
    log.info("update %s: report → %s", update.update_id, reply.data.get("status", reply.kind))
    if is_private(update):
        if reply.kind == "report":  # the optional leak question, in the same message
            reported = (target.text or target.caption or "") if target is not None and not context.args \
                else " ".join(context.args or [])
            question = await svc.run(leaks.question_for_report, reported)
            if question is not None:
                reply = leaks.with_question(reply, conversation.traditional_reply(question, region) if region else question)
        await send_reply(update, context, reply)
        return
    await group_report_ack(update, context, reply, user.id, msg.message_id)


async def group_report_ack(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: conversation.Reply,
                           user_id: int, reply_to: int) -> None:
    """A report's outcome in a group goes to the reporter's private chat; the group sees only that it
    was received (or, when the bot can't write to them, where to look)."""
    try:
        await context.bot.send_message(user_id, reply.text, link_preview_options=LinkPreviewOptions(is_disabled=True))
        public = GROUP_REPORT_DM
    except (Forbidden, BadRequest):  # they never opened a chat with the bot
        public = GROUP_REPORT_NO_DM
    await send_reply(update, context, conversation.plain(public), reply_to=reply_to)


async def on_forgetme(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forgetme: delete what the database holds about the user (conversation.forget_me) and an open
    form's data, then say so. If another program holds the database, the rest is finished by a job
    (:func:`finish_forgetting`) and the reply says so. The anonymous limit counters stay: they are not
    about anyone, and clearing them would let /forgetme reset the flood limit and the report cap."""
    msg = update.effective_message
    user = update.effective_user
    if msg is None or user is None:
        return
    svc = services(context)
    reply = await svc.run(conversation.forget_me, user.id)
    if "batches" in context.application.bot_data:  # forwards still being collected (bot/faces/tg/batching.py)
        context.application.bot_data["batches"].forget(user.id)
    with contextlib.suppress(KeyError):
        context.application.drop_user_data(user.id)
    if reply.data.get("deferred"):
        svc.forget_later.add(user.id)
    svc.traces_left |= bool(reply.data.get("traces_left"))
    if svc.forget_later or svc.traces_left:
        schedule_forget_retry(context)
    log.info("update %s: forgetme %s (%s items)", update.update_id,
             "deferred" if reply.data.get("deferred") else "done", reply.data.get("deleted"))
    region = region_of(user)
    if region:
        reply = conversation.traditional_reply(reply, region)
    await send_reply(update, context, reply, reply_to=None if is_private(update) else msg.message_id)


#: How often a deferred /forgetme, or its WAL clean-up, is retried (seconds).
FORGET_RETRY_EVERY = 15.0


def schedule_forget_retry(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start the retry job of :func:`finish_forgetting` unless it runs already."""
    jq = context.application.job_queue
    if jq is not None and not jq.get_jobs_by_name("finish-forgetting"):
        jq.run_repeating(finish_forgetting, interval=FORGET_RETRY_EVERY, first=FORGET_RETRY_EVERY,
                         name="finish-forgetting")


async def finish_forgetting(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Retry the /forgetme requests that found the database locked (telling each user when done), then
    the checkpoint that empties the WAL of deleted text; stops itself when nothing is left."""
    svc = services(context)
    for user_id in sorted(svc.forget_later):
        reply = await svc.run(conversation.forget_me, user_id)
        if reply.data.get("deferred"):
            continue
        svc.forget_later.discard(user_id)
        svc.traces_left |= bool(reply.data.get("traces_left"))
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(user_id, reply.text)
    if svc.traces_left and not svc.forget_later:
        svc.traces_left = not await svc.run(conversation.erase_traces)
        if not svc.traces_left:
            log.info("forgetme: deleted rows are now gone from the file and the WAL")
    if not svc.forget_later and not svc.traces_left and context.job is not None:
        context.job.schedule_removal()


async def on_pending(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pending (admins, private chat): a header, then one review card per report with 通过 / 驳回 /
    改为话术 buttons. Every press of those buttons re-checks admin rights (conversation.on_button)."""
    msg = update.effective_message
    user = update.effective_user
    if msg is None or user is None:
        return
    svc = services(context)
    if not svc.is_admin(user.id):
        log_refusal(update, "/pending")
        await send_reply(update, context, conversation.plain(conversation.NO_PERMISSION, "error"),
                         reply_to=None if is_private(update) else msg.message_id)
        return
    if not is_private(update):
        await msg.reply_text(PENDING_PRIVATE_ONLY)
        return
    head, cards = await svc.run(conversation.pending_cards)
    await send_reply(update, context, head)
    for card in cards:
        await send_reply(update, context, card)


# --- buttons -----------------------------------------------------------------------------------------------


def button_handler(kind: ButtonKind | None) -> CallbackQueryHandler:
    """The handler for one kind of inline button (bot/conversation/buttons.py): PTB routes a press by
    ``pattern=kind.route``; ``None``: every press no other handler took (an old or forged button, the
    form's buttons outside a form), which the conversation answers "expired"."""

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await answer_button(update, context, kind)

    return CallbackQueryHandler(on_press, pattern=kind.route if kind else None)


async def answer_button(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: ButtonKind | None) -> None:
    """A press, always answered (so the user's client stops its spinner and shows what happened):
    the conversation's notice, and the edits, messages and admin notices it asks for. Review buttons
    re-check admin rights on every press (in the conversation)."""
    q = update.callback_query
    if q is None:
        return
    svc = services(context)
    data = q.data or ""
    source, author = None, None
    if kind in REPORTING and svc.reports_today.count(svc.anon(q.from_user.id)) >= reports.DAILY_CAP:
        with contextlib.suppress(TelegramError):
            await q.answer(texts.REPORT_CAP.format(cap=reports.DAILY_CAP)[:200], show_alert=True)
        return
    if kind in READS_SOURCE and isinstance(q.message, Message) and q.message.reply_to_message is not None:
        # read only for this button: the text of the message the verdict answered (Telegram gives it)
        target = q.message.reply_to_message
        source = target.text or target.caption or ""
        author = target.from_user.id if target.from_user is not None else None
    private = is_private(update)
    press = {"user_id": q.from_user.id, "is_admin": svc.is_admin(q.from_user.id),
             "traditional": wants_traditional(q.from_user), "source_text": source, "author_id": author}
    ans = await svc.run(conversation.on_button, data, **press)
    if ans.needs_confirm and not private:
        # a group message's buttons are everyone's: confirm by a second press instead of new buttons
        if not svc.second_press(svc.anon(q.from_user.id) + data):
            await q.answer(texts.CONFIRM_AGAIN, show_alert=True)
            return
        ans = await svc.run(conversation.on_button, data, confirmed=True, **press)
    if ans.report_status in COUNTED_REPORTS:
        svc.reports_today.add(svc.anon(q.from_user.id))
    if ans.refused:
        log_refusal(update, f"button {data[:3]}")
    if ans.reply is not None and not private:
        # in a group, instructions meant for one person go in a pop-up only they see, not the chat
        await q.answer(ans.reply.text[:200], show_alert=True)
    else:
        await q.answer(ans.notice[:200], show_alert=ans.alert)
    log.info("update %s: button %s answered", update.update_id, data[:3])
    if ans.edit is not None and isinstance(q.message, Message):
        with contextlib.suppress(BadRequest):  # unchanged, or too old to edit
            await q.edit_message_text(ans.edit.html, parse_mode=ParseMode.HTML, reply_markup=markup(ans.edit),
                                      link_preview_options=LinkPreviewOptions(is_disabled=True))
    # only in a private chat: in a group the buttons are there for the other members too
    elif ans.remove_buttons and q.message is not None and private:
        keep = markup(conversation.Reply("", "", buttons=ans.keep_buttons))
        with contextlib.suppress(BadRequest):  # already removed, or the message is too old
            await q.edit_message_reply_markup(reply_markup=keep)
    if ans.reply is not None and private:
        await send_reply(update, context, ans.reply)
    if ans.admin_notice:
        await notify_admins(context, ans.admin_notice)


async def notify_admins(context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A short message to every admin (their own chats); failures (an admin who never opened a chat
    with the bot) are ignored."""
    for admin_id in sorted(services(context).settings.admin_ids):
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(admin_id, text)


# --- groups: joining -----------------------------------------------------------------------------------------


async def on_my_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Added to a group: introduce itself once, saying it stays quiet."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    joined = change.new_chat_member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)
    was_out = change.old_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
    if joined and was_out:
        with contextlib.suppress(Forbidden):
            await context.bot.send_message(change.chat.id, GROUP_HELLO)


# --- errors --------------------------------------------------------------------------------------------------


def describe_update(update: object) -> str:
    """Which update failed, without its content."""
    if not isinstance(update, Update):
        return "no update (polling or a job)"
    kind = "callback" if update.callback_query else "message" if update.effective_message else "update"
    chat = update.effective_chat.type if update.effective_chat else "-"
    return f"update {update.update_id} ({kind}, {chat} chat)"


def describe_error(err: BaseException | None) -> str:
    """The error's type, plus Telegram's own description for API errors (which never holds user
    text); other exceptions' messages are left out because they might quote the user's message."""
    if err is None:
        return "unknown error"
    if isinstance(err, TelegramError):
        return f"{type(err).__name__}: {err.message}"
    return type(err).__name__


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every error (traceback frames, never user text), tell the user when their message could
    not be handled, and notify the admins — briefly, without user text, at most once per kind of error
    every few minutes."""
    err = context.error
    where = describe_update(update)
    if isinstance(err, Forbidden):  # the user blocked the bot or removed it from a group: nothing to fix
        log.info("%s: %s", where, describe_error(err))
        return
    if update is None and isinstance(err, NetworkError):  # polling hiccup; PTB retries with back-off
        log.warning("Bot API unreachable while polling: %s", describe_error(err))
        return
    frames = "".join(traceback.format_tb(err.__traceback__)) if err is not None else ""
    log.error("error while handling %s: %s\n%s", where, describe_error(err), frames.rstrip())
    svc = services(context)
    if (isinstance(update, Update) and update.effective_message is not None and is_private(update)
            and not isinstance(err, NetworkError)):
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(update.effective_message.chat_id, ERROR_REPLY)
    kind = type(err).__name__ if err is not None else "unknown"
    if svc.settings.admin_ids and svc.should_notify(kind, ADMIN_NOTICE_EVERY):
        text = f"⚠️ 保单卫士出错：{kind}（{where}）。详情见服务器日志；同类错误 {int(ADMIN_NOTICE_EVERY // 60)} 分钟内不再提醒。"
        for admin_id in sorted(svc.settings.admin_ids):
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(admin_id, text)
