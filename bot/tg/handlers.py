"""The typed async callbacks of the Telegram face. They translate Telegram events into
:mod:`bot.dialog` calls (run on the engine thread) and send what dialog answers.

Privacy: nothing here logs or stores message text. Logs carry update ids, chat types, risk levels and
timings; the checks log (dialog.record_check) keeps counts and pattern ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback

from telegram import (
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop, ContextTypes

from .. import dialog
from .services import services
from .throttle import Decision

log = logging.getLogger(__name__)

SLOW_DOWN = "⏳ 您发得太快了，请稍后再试（每 30 秒最多检查 10 条消息）。"
OTHER_HINT = "我只能检查文字和截图：请把可疑短信、聊天记录的文字或截图转发给我，或发送 /help 查看用法。"
GROUP_HELLO = ("大家好，我是保单卫士。我会安静地待在群里，只有发现高风险的诈骗消息时才会提醒；"
               "想检查某条消息，回复它并发送 /check。我不保存群里的聊天内容。\n"
               "（如果我收不到群消息，请群主在 @BotFather 关闭我的隐私模式，或把我设为管理员。）")
ERROR_REPLY = "抱歉，处理这条消息时出错了，请稍后再试。"
#: At most one admin notification per kind of error in this many seconds.
ADMIN_NOTICE_EVERY = 300.0
TRADITIONAL_LANGS = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def wants_traditional(user: User | None) -> bool:
    """The user's Telegram client is set to Traditional Chinese."""
    lang = ((user.language_code if user else None) or "").lower()
    return lang.startswith(TRADITIONAL_LANGS)


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def face_of(update: Update) -> str:
    return "telegram" if is_private(update) else "telegram_group"


def markup(reply: dialog.Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in reply.buttons])


async def send_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: dialog.Reply,
                     reply_to: int | None = None) -> Message | None:
    """Send a dialog reply as HTML with its buttons.

    Falls back to the plain-text version if Telegram rejects the HTML, and retries once on a server
    error (HTTP 5xx), because a lost verdict is worse than a late one. Rate limits (429) are retried
    by the AIORateLimiter; "bot blocked" (403) and other refusals go to the error handler."""
    chat = update.effective_chat
    if chat is None:
        return None
    kwargs = {
        "reply_markup": markup(reply),
        "link_preview_options": LinkPreviewOptions(is_disabled=True),
        "reply_parameters": ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
        if reply_to else None,
    }
    for attempt in (1, 2):
        try:
            try:
                return await context.bot.send_message(chat.id, reply.html, parse_mode=ParseMode.HTML, **kwargs)
            except BadRequest as e:
                if "entit" not in e.message.lower() and "parse" not in e.message.lower():
                    raise
                log.warning("Telegram rejected a reply's HTML (%s); sending it as plain text", e.message)
                return await context.bot.send_message(chat.id, reply.text[: MessageLimit.MAX_TEXT_LENGTH], **kwargs)
        except (BadRequest, TimedOut, Forbidden):
            raise
        except NetworkError:
            if attempt == 2:
                raise
            await asyncio.sleep(1.0)
    return None


def _log_check(update: Update, reply: dialog.Reply, started: float) -> None:
    v = reply.verdict
    log.info("update %s: %s in %s chat → %s%s (%.0f ms)", update.update_id, reply.kind,
             update.effective_chat.type if update.effective_chat else "?",
             v.risk if v else (reply.lookup.status if reply.lookup else "-"),
             f" score {v.score:.0f} check {reply.check_id}" if v else "", (time.perf_counter() - started) * 1000)


# --- group -1: the flood guard ------------------------------------------------------------------------


async def throttle_gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Count every message and button press per user; over the limit, answer once and stop."""
    user = update.effective_user
    if user is None or not (update.message or update.callback_query):
        return
    svc = services(context)
    decision = svc.throttle.hit(user.id)
    if decision is Decision.ALLOW:
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(SLOW_DOWN[:200])
    elif decision is Decision.WARN and is_private(update) and update.message is not None:
        log.info("update %s: user over the message limit, told to slow down", update.update_id)
        with contextlib.suppress(TelegramError):
            await update.message.reply_text(SLOW_DOWN)
    raise ApplicationHandlerStop


# --- customers -------------------------------------------------------------------------------------------


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text, a photo caption or a forwarded message in a private chat: check it, one reply."""
    msg = update.effective_message
    if msg is None:
        return
    started = time.perf_counter()
    text = msg.text or msg.caption or ""
    reply = await services(context).run(dialog.check_message, text, face="telegram",
                                        traditional=wants_traditional(update.effective_user))
    _log_check(update, reply, started)
    await send_reply(update, context, reply)


async def on_private_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, voice, files…: explain what the bot can check."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(OTHER_HINT)


async def on_group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in a group: analysed silently; answered (in reply to it) only when high-risk."""
    msg = update.effective_message
    if msg is None:
        return
    started = time.perf_counter()
    svc = services(context)
    reply = await svc.run(dialog.check_message, msg.text or msg.caption or "")
    if reply.verdict is None or reply.verdict.risk != "high":
        return
    reply = await svc.run(dialog.record_reply, reply, "telegram_group")
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
    trad = wants_traditional(update.effective_user)
    if target is not None and not args:
        text = target.text or target.caption or ""
        if not text.strip():
            await msg.reply_text("被回复的消息里没有文字，我只能检查文字。")
            return
        reply = await svc.run(dialog.check_message, text, face=face_of(update), traditional=trad)
        reply_to = target.message_id
    else:
        reply = await svc.run(dialog.respond, msg.text or "", user_id=update.effective_user.id
                              if update.effective_user else "?", is_admin=False, face=face_of(update), traditional=trad)
        reply_to = None if is_private(update) else msg.message_id
    _log_check(update, reply, started)
    await send_reply(update, context, reply, reply_to=reply_to)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every other command (/start, /help, /lookup, the admin commands, /report, unknown ones in a
    private chat) goes to dialog.respond, exactly as in the terminal chat. Admin rights come from
    BOT_ADMIN_IDS; everyone else gets 无权限 and nothing changes."""
    msg = update.effective_message
    user = update.effective_user
    if msg is None or user is None:
        return
    started = time.perf_counter()
    svc = services(context)
    reply = await svc.run(dialog.respond, msg.text or msg.caption or "", user_id=user.id,
                          is_admin=svc.is_admin(user.id), face=face_of(update), traditional=wants_traditional(user))
    _log_check(update, reply, started)
    await send_reply(update, context, reply, reply_to=None if is_private(update) else msg.message_id)


# --- buttons -----------------------------------------------------------------------------------------------


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Feedback (fb:<check id>:up|fp), "report this number" (rn:<number>) and stale buttons: always
    answered, so the user's client stops its spinner and shows what happened."""
    q = update.callback_query
    if q is None:
        return
    svc = services(context)
    ans = await svc.run(dialog.on_button, q.data or "", user_id=q.from_user.id, is_admin=svc.is_admin(q.from_user.id),
                        traditional=wants_traditional(q.from_user))
    private = is_private(update)
    if ans.reply is not None and not private:
        # in a group, instructions meant for one person go in a pop-up only they see, not the chat
        await q.answer(ans.reply.text[:200], show_alert=True)
    else:
        await q.answer(ans.notice[:200], show_alert=ans.alert)
    log.info("update %s: button %s answered", update.update_id, (q.data or "")[:3])
    # only in a private chat: in a group the buttons are there for the other members too
    if ans.remove_buttons and q.message is not None and private:
        with contextlib.suppress(BadRequest):  # already removed, or the message is too old
            await q.edit_message_reply_markup(reply_markup=None)
    if ans.reply is not None and private:
        await send_reply(update, context, ans.reply)


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
