"""Screenshots in Telegram: a photo, or an image sent as a file, is read with OCR and checked.

Where: in a private chat, every photo and image file; in any chat, ``/check`` in reply to an image
(how one asks in a group, where the bot never reads pictures by itself). Non-image files in a private
chat get a clear refusal.

How, and why in this order:
1. the size Telegram reports (``file_size``) is checked BEFORE downloading — a 30 MB file is refused
   without fetching a byte (and the Bot API would not serve files over 20 MB anyway);
2. the image is downloaded into memory (never written to disk);
3. the text is read by :func:`bot.ocr.read_image_async` on the OCR worker thread — seconds of CPU that
   must not stall the event loop, nor the engine thread that answers other users' text meanwhile;
4. the text is checked through :func:`bot.conversation.check_screenshot` on the engine thread, exactly
   like a pasted message (same verdict, same feedback buttons but 🚩, same checks log);
5. the reply is the usual verdict, badge first, with a note right after the badge showing the text
   that was read (shortened, a :class:`bot.render.Note`), so the user can see what was analysed. When
   the recognition is poor the reply says so and asks for the text instead of guessing.

At most :data:`MAX_PENDING` screenshots are queued for OCR in the whole process (each needs a few
hundred MB while it is read); beyond that the user is asked to retry or paste the text.

Privacy: the image and its text are neither stored nor logged (log lines: sizes, risk, timings).
"""

from __future__ import annotations

import contextlib
import logging
import time

from telegram import Document, Message, PhotoSize, Update
from telegram.constants import ChatAction
from telegram.error import Forbidden, TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import conversation, render
from bot.faces.tg import handlers
from bot.faces.tg.services import services
from bot.pipeline import ocr

log = logging.getLogger(__name__)

#: Screenshots waiting for or in OCR, process-wide; more are turned away politely.
MAX_PENDING = 4
#: Characters of recognised text shown in the reply.
SHOWN_CHARS = 160
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")

NOT_IMAGE = ("📎 这个文件不是图片，我无法读取。请发送短信或聊天记录的截图（图片或 PNG/JPG 文件），"
             "或把文字直接复制粘贴给我。")
POOR = "📷 没能看清这张图片里的文字，为免误判，这次不作判断。\n{reason}"
DOWNLOAD_FAILED = "📷 图片下载失败，请稍后重新发送，或把文字直接复制粘贴给我。"
BUSY = "⏳ 现在要识别的截图较多，请稍等一会儿再发送，或把文字直接复制粘贴给我（文字可以立即检查）。"
#: The note under the badge when only the caption could be checked (it stays in Simplified characters).
CAPTION_ONLY = render.Note(lead="📷 图片里的文字没能看清，以下只检查了图片说明文字。", follows_script=False)


def read_note(confidence: float, text: str) -> render.Note:
    """The note under the badge: what OCR read (shortened) and how sure it was."""
    return render.Note(lead="📷 ", title="识别出的文字", rest=f"（OCR，置信度 {confidence:.0%}）：",
                       quote=_shorten(text, SHOWN_CHARS))

_pending = 0  # touched only on the event loop's thread


# --- which messages -----------------------------------------------------------------------------------


def image_of(msg: Message | None) -> PhotoSize | Document | None:
    """The image a message carries: its largest photo size within the limit, or an image document."""
    if msg is None:
        return None
    if msg.photo:
        fitting = [p for p in msg.photo if p.file_size is None or p.file_size <= ocr.MAX_IMAGE_BYTES]
        return max(fitting or msg.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
    doc = msg.document
    if doc is not None and is_image_document(doc):
        return doc
    return None


def is_image_document(doc: Document) -> bool:
    mime = (doc.mime_type or "").strip().lower()
    if mime.startswith("image/"):
        return True
    # some clients send screenshots as application/octet-stream (or no type): go by the file name
    return mime in ("", "application/octet-stream") and (doc.file_name or "").lower().endswith(IMAGE_SUFFIXES)


class _ReplyToImage(filters.MessageFilter):
    """``/check`` (without text after it) in reply to a photo or an image file."""

    def filter(self, message: Message) -> bool:
        if image_of(message.reply_to_message) is None:
            return False
        return len((message.text or "").split(maxsplit=1)) == 1


REPLY_TO_IMAGE = _ReplyToImage(name="ReplyToImage")


def photo_handlers() -> list[BaseHandler]:
    """The handlers, in order; registered together by bot.tg.app.register_handlers, before /check and
    the text handlers (so an image with a caption is read, not only its caption)."""
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    # image files always; other files only without a caption (with one, the caption is checked as text)
    files = filters.Document.IMAGE | (filters.Document.ALL & ~filters.CAPTION)
    return [
        CommandHandler("check", on_check_image, filters=new & REPLY_TO_IMAGE),
        MessageHandler(private & new & (filters.PHOTO | files), on_private_image),
    ]


# --- callbacks --------------------------------------------------------------------------------------------


async def on_private_image(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo or a file in a private chat: read and check it, or say why not."""
    msg = update.effective_message
    if msg is None:
        return
    image = image_of(msg)
    if image is None:
        log.info("update %s: a non-image file (%s) refused", update.update_id, _mime(msg))
        await msg.reply_text(NOT_IMAGE)
        return
    await check_image(update, context, msg, image, caption=msg.caption or "", reply_to=None)


async def on_check_image(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/check`` in reply to an image (groups, or private chats): the answer goes to that image."""
    msg = update.effective_message
    target = msg.reply_to_message if msg is not None else None
    image = image_of(target)
    if msg is None or target is None or image is None:
        return
    await check_image(update, context, target, image, caption=target.caption or "", reply_to=target.message_id)


async def check_image(update: Update, context: ContextTypes.DEFAULT_TYPE, msg: Message,
                      image: PhotoSize | Document, *, caption: str, reply_to: int | None) -> None:
    """Size check → download → OCR (worker thread) → verdict (engine thread) → reply."""
    global _pending
    started = time.perf_counter()
    chat_id = msg.chat_id

    async def say(text: str) -> None:
        await context.bot.send_message(chat_id, text, reply_parameters=_reply_params(reply_to))

    refusal = ocr.too_big(image.file_size)
    if refusal:
        log.info("update %s: image of %s bytes refused before download", update.update_id, image.file_size)
        await say("📷 " + refusal)
        return
    if _pending >= MAX_PENDING:
        log.info("update %s: OCR queue full (%d), asked to retry", update.update_id, _pending)
        await say(BUSY)
        return
    _pending += 1
    try:
        with contextlib.suppress(TelegramError):
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        data, refusal = await _download(context, image)
        if data is None:
            await say(("📷 " + refusal) if refusal else DOWNLOAD_FAILED)
            return
        res = await ocr.read_image_async(data)
        del data
    finally:
        _pending -= 1

    region = handlers.region_of(update.effective_user)
    face = handlers.face_of(update)
    svc = services(context)
    if not res.ok:
        log.info("update %s: image not readable (%.1f s)", update.update_id, time.perf_counter() - started)
        poor = POOR.format(reason=res.reason)
        if not caption.strip():
            await say(render.to_traditional(poor, region) if region else poor)
            return
        # the picture can't be read, but the caption can: check that, and say what happened
        text, note = caption, CAPTION_ONLY
    else:
        text = res.text if not caption.strip() else res.text + "\n" + caption
        note = read_note(res.confidence, res.text)
    reply = await svc.run(conversation.check_screenshot, text, note, face=face, region=region,
                          limit=handlers.REPLY_LIMIT,
                          user_id=update.effective_user.id if update.effective_user else None)
    log.info("update %s: screenshot %dx%d, %d lines, confidence %.2f → %s (%.1f s)", update.update_id,
             res.width, res.height, res.lines, res.confidence,
             reply.verdict.risk if reply.verdict else reply.kind, time.perf_counter() - started)
    await handlers.send_reply(update, context, reply, reply_to=reply_to)


# --- helpers ---------------------------------------------------------------------------------------------------


async def _download(context: ContextTypes.DEFAULT_TYPE, image: PhotoSize | Document) -> tuple[bytes | None, str]:
    """The file's bytes, in memory; or (None, refusal) when it is too big (the size in the message was
    missing or wrong), or (None, "") when Telegram can't give it (expired, too big for the Bot API,
    network)."""
    try:
        f = await context.bot.get_file(image.file_id)
        refusal = ocr.too_big(f.file_size)
        if refusal:
            return None, refusal
        data = bytes(await f.download_as_bytearray())
    except Forbidden:
        raise
    except TelegramError as e:  # BadRequest (file too big for the Bot API, expired id), network errors
        log.warning("could not download an image: %s", handlers.describe_error(e))
        return None, ""
    refusal = ocr.too_big(len(data))
    return (None, refusal) if refusal else (data, "")


def _reply_params(reply_to: int | None):  # noqa: ANN202 - telegram.ReplyParameters | None
    from telegram import ReplyParameters

    return ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None


def _mime(msg: Message) -> str:
    return (msg.document.mime_type or "?") if msg.document else "?"


def _shorten(text: str, n: int) -> str:
    s = " ".join(text.split())
    return s if len(s) <= n else s[: n - 1] + "…"
