"""The admins' guided form for adding a scam script: /newpattern → type (buttons) → text → confirm.

Why a form besides ``/addpattern 类型 | 话术``: on a phone, typing an English type key and a pipe is
error-prone; buttons pick the type, the text is pasted as a message of its own, and nothing is stored
until the admin sees a preview and presses 确认. The change goes through :func:`bot.admin.add_pattern`,
like every other admin change, so it takes effect at once, persists and is audited.
"""

from __future__ import annotations

import warnings

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import admin, conversation
from bot.conversation.buttons import FORM_CANCEL, FORM_CONFIRM, FORM_TYPE
from bot.conversation.texts import FAILED, PATTERN_ADDED
from bot.faces.tg.services import services
from bot.model import SCAM_TYPES

TYPE, TEXT, CONFIRM = range(3)
#: An abandoned form ends by itself after this many seconds (the job queue runs the timeout).
FORM_TIMEOUT = 600
#: The mass-check summary shown in the preview is cut to this many characters (Telegram allows 4,096).
MAX_PREVIEW = 3500


def _forget(context: ContextTypes.DEFAULT_TYPE) -> None:
    for key in ("np_type", "np_result"):
        context.user_data.pop(key, None)


def _type_keyboard() -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(name, callback_data=FORM_TYPE.data(key)) for key, name in SCAM_TYPES.items()]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton("取消", callback_data=FORM_CANCEL.data())])
    return InlineKeyboardMarkup(rows)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/newpattern: admins get the type buttons; anyone else gets 无权限 and the form never starts."""
    msg = update.effective_message
    user = update.effective_user
    if msg is None or user is None:
        return ConversationHandler.END
    if not services(context).is_admin(user.id):
        from bot.faces.tg.handlers import log_refusal

        log_refusal(update, "/newpattern")
        await msg.reply_text(conversation.NO_PERMISSION)
        return ConversationHandler.END
    _forget(context)
    await msg.reply_text("添加诈骗话术（第 1 步，共 3 步）：请选择诈骗类型。随时发送 /cancel 取消。",
                         reply_markup=_type_keyboard())
    return TYPE


async def pick_type(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    q = update.callback_query
    assert q is not None and q.data is not None
    fields = FORM_TYPE.parse(q.data)
    key = str(fields[0]) if fields else ""
    if key not in SCAM_TYPES:
        await q.answer("未知类型，请重新选择。")
        return TYPE
    context.user_data["np_type"] = key
    await q.answer(SCAM_TYPES[key])
    await q.edit_message_text(f"类型：{SCAM_TYPES[key]}（{key}）\n第 2 步：请发送话术原文（至少 "
                              f"{admin.MIN_PATTERN_CHARS} 个字，写出诈骗的关键说法）。")
    return TEXT


async def got_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Step 2: the text. A dry run (admin.add_pattern's mass-check: what the script would flag among
    known-legitimate and corpus messages) is shown before anything is stored; a script the mass-check
    refuses is not offered for confirmation."""
    msg = update.effective_message
    assert msg is not None
    stype = context.user_data.get("np_type", "")
    try:
        result = await services(context).run(admin.add_pattern, stype, msg.text or "", dry_run=True)
    except admin.AdminError as e:
        await msg.reply_text(f"❌ {e}\n请重新发送话术，或发送 /cancel 取消。")
        return TEXT
    summary = getattr(result, "summary", "") or f"类型：{SCAM_TYPES[result.scam_type]}\n话术：{result.text}"
    if result.report.get("refused"):
        await msg.reply_text(f"❌ 这条话术不能上线：\n{summary[:MAX_PREVIEW]}\n\n请改写后重新发送，或发送 /cancel 取消。")
        return TEXT
    context.user_data["np_result"] = result
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("✅ 确认添加", callback_data=FORM_CONFIRM.data()),
                                      InlineKeyboardButton("取消", callback_data=FORM_CANCEL.data())]])
    await msg.reply_text(f"第 3 步：确认添加？\n{summary[:MAX_PREVIEW]}", reply_markup=keyboard)
    return CONFIRM


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Step 3: store it (the dry run just shown is reused, not run again)."""
    q = update.callback_query
    assert q is not None
    result = context.user_data.pop("np_result", None)
    context.user_data.pop("np_type", None)
    if result is None:
        await q.answer("表单已失效")
        return ConversationHandler.END
    try:
        r = await services(context).run(admin.add_pattern, result.scam_type, result.text, actor=str(q.from_user.id),
                                        precheck=result)
        done = PATTERN_ADDED.format(id=r.id, type=SCAM_TYPES[r.scam_type])
    except admin.AdminError as e:
        done = FAILED.format(error=e)
    await q.answer("完成")
    await q.edit_message_text(done)
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    _forget(context)
    if update.callback_query is not None:
        await update.callback_query.answer("已取消")
        await update.callback_query.edit_message_text("已取消，未做任何修改。")
    elif update.effective_message is not None:
        await update.effective_message.reply_text("已取消，未做任何修改。")
    return ConversationHandler.END


async def timed_out(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _forget(context)
    if isinstance(update, Update) and update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, "添加话术的表单已超时关闭，未做任何修改。")


def newpattern_form() -> ConversationHandler:
    """The form's ConversationHandler (private chats only; per user)."""
    private = filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # PTB warns that with per_message=False button presses are tracked per chat/user, not per
        # message. That is what we want: the form's state belongs to the admin, whichever message
        # the buttons are on.
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("newpattern", start, filters=private)],
            states={
                TYPE: [CallbackQueryHandler(pick_type, pattern=FORM_TYPE.route),
                       CallbackQueryHandler(cancel, pattern=FORM_CANCEL.route)],
                TEXT: [MessageHandler(private & filters.TEXT & ~filters.COMMAND, got_text)],
                CONFIRM: [CallbackQueryHandler(confirm, pattern=FORM_CONFIRM.route),
                          CallbackQueryHandler(cancel, pattern=FORM_CANCEL.route)],
                ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, timed_out),
                                              CallbackQueryHandler(timed_out)],
            },
            fallbacks=[CommandHandler("cancel", cancel), CallbackQueryHandler(cancel, pattern=FORM_CANCEL.route)],
            conversation_timeout=FORM_TIMEOUT,
            name="newpattern",
            allow_reentry=True,
        )

