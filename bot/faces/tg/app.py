"""Build and run the Telegram Application: ``python run.py`` → :func:`run`.

The same :func:`build_application` serves production (long polling, or a webhook when
``BOT_WEBHOOK_URL`` is set) and the end-to-end tests (polling a Bot API emulator on 127.0.0.1), so
the tests exercise exactly what runs.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import admin, conversation, logguard
from bot.config import Settings, open_engine
from bot.conversation import buttons
from bot.faces.tg import batching, handlers, inline, photos, webhook
from bot.faces.tg.forms import newpattern_form
from bot.faces.tg.ratelimit import PerChatRateLimiter
from bot.faces.tg.services import PerUserUpdateProcessor, Services
from bot.pipeline.engine import Engine
from bot.store import privacy

log = logging.getLogger(__name__)

#: Only what the handlers use: fewer updates to fetch, and no edited messages re-checked.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER, Update.INLINE_QUERY]
#: getUpdates long-poll timeout in production (seconds); tests pass shorter ones to serve().
POLL_TIMEOUT = 10
#: Retries of the start-up calls (getMe, deleteWebhook) before giving up with a clear message.
BOOTSTRAP_RETRIES = 3
#: The throttle forgets idle users this often (seconds), via the job queue.
THROTTLE_PRUNE_EVERY = 600
#: Reports older than BOT_RETENTION_DAYS are purged at start-up and then this often (seconds).
RETENTION_EVERY = 24 * 3600
#: How often the bot looks whether another process (the CLI) changed scripts (seconds).
RELOAD_CHECK_EVERY = 60


def file_url_for(base_url: str) -> str:
    """The file-download base matching a Bot API base: ``…/bot`` → ``…/file/bot`` (the layout of
    api.telegram.org and of the local Bot API server); "" when there is nothing to derive."""
    if not base_url:
        return ""
    for tail in ("/bot", "/bot{token}"):
        if base_url.endswith(tail):
            return base_url[: -len(tail)] + "/file" + tail
    return ""


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _request(settings: Settings, pool: int) -> HTTPXRequest:
    """HTTP client settings. For a Bot API server on this machine (a local Bot API server, or the
    tests' emulator) the environment's proxy settings are ignored (trust_env off): a corporate
    HTTP(S)_PROXY would otherwise swallow requests to 127.0.0.1. Elsewhere the environment applies,
    so deployments behind a proxy work."""
    kwargs: dict[str, Any] = {"trust_env": False} if settings.base_url and is_loopback(settings.base_url) else {}
    return HTTPXRequest(connection_pool_size=pool, connect_timeout=10.0, read_timeout=15.0, write_timeout=15.0,
                        pool_timeout=5.0, httpx_kwargs=kwargs)


def build_application(settings: Settings, engine: Engine | None = None) -> Application:
    """The Application, with every handler registered. Without ``engine`` it opens one from
    ``settings.db_path`` in post_init and closes it in post_shutdown; a given engine is the caller's
    to close."""
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .request(_request(settings, pool=64))
        .get_updates_request(_request(settings, pool=2))
        # Telegram's flood limits (30 messages/s overall, 20/min per group); a 429 is retried after its
        # retry_after, pausing only the chat it was about (bot/faces/tg/ratelimit.py says why)
        .rate_limiter(PerChatRateLimiter(max_retries=3))
        .concurrent_updates(PerUserUpdateProcessor())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
        if file_url_for(settings.base_url):
            builder = builder.base_file_url(file_url_for(settings.base_url))
    # before anything can log: library debug lines carrying message contents are blanked, the token
    # is replaced, whatever handler writes the record (bot/logguard.py)
    logguard.install_log_guard([settings.token])
    app = builder.build()
    app.bot_data["services"] = Services(settings=settings, engine=engine)
    register_handlers(app)
    if app.job_queue is not None:
        app.job_queue.run_repeating(_prune_throttle, interval=THROTTLE_PRUNE_EVERY, first=THROTTLE_PRUNE_EVERY,
                                    name="prune-throttle")
        app.job_queue.run_repeating(_purge_expired, interval=RETENTION_EVERY, first=RETENTION_EVERY,
                                    name="retention")
        app.job_queue.run_repeating(_reload_if_changed, interval=RELOAD_CHECK_EVERY, first=RELOAD_CHECK_EVERY,
                                    name="reload-if-changed")
    return app


#: Commands that need more of Telegram than their text, with their own callbacks: /check and /report
#: read the message they reply to, /pending sends one message per card, /forgetme also clears what
#: this process holds about the user. Every other command of the table goes to handlers.on_command.
OWN_CALLBACKS = {"check": handlers.on_check, "report": handlers.on_report, "pending": handlers.on_pending,
                 "forgetme": handlers.on_forgetme}


def register_handlers(app: Application) -> None:
    """Every handler, in order. Within a group the first handler that matches wins, so the order
    below is the bot's routing table."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    new = filters.UpdateType.MESSAGE  # not edited messages: an edit must not trigger a second reply
    text = filters.TEXT | filters.CAPTION

    # Group -2: a command, photo or sticker in a private chat ends the forwards being collected into one
    #    conversation (bot/faces/tg/batching.py), so what follows is not taken as part of it.
    app.add_handler(TypeHandler(Update, batching.interrupt), group=-2)
    # Group -1 runs before everything else: the flood guard counts every message and button press and
    # stops over-limit ones before they cost an analysis or a reply.
    app.add_handler(TypeHandler(Update, handlers.throttle_gate), group=-1)

    # 1. The admins' /newpattern form comes first, so that while it is open the admin's next text
    #    is the script being added, not a message to analyse.
    app.add_handler(newpattern_form())
    #     Outside a private chat the form never starts: there /newpattern gets 无权限 or a hint.
    app.add_handler(CommandHandler("newpattern", handlers.on_newpattern_elsewhere, filters=new))
    # 2. Screenshots (bot/faces/tg/photos.py): /check in reply to an image, and photos and files in
    #    private chats, are read with OCR off the event loop and checked. Before the commands and the
    #    text handlers, so an image with a caption is read, not only its caption; non-image files get a
    #    refusal.
    app.add_handlers(photos.photo_handlers())
    # 3. Every command of the table (bot/conversation/commands.py), one handler each, in the table's
    #    order: its own callback (OWN_CALLBACKS) or conversation.respond — the terminal chat's code
    #    path. CommandHandler skips "/cmd@OtherBot", so in groups we never answer another bot's
    #    commands; a command not meant for groups (/cancel) is answered in private chats only. A row
    #    without a conversation handler (/newpattern) is the form's, registered above.
    for cmd in conversation.COMMAND_TABLE:
        if cmd.handler is not None:
            where = new if cmd.in_groups else new & private
            app.add_handler(CommandHandler(cmd.name, OWN_CALLBACKS.get(cmd.name, handlers.on_command), filters=where))
    # 4. Unknown commands get a hint in private chats only; in groups they are probably for others.
    app.add_handler(MessageHandler(private & new & filters.COMMAND, handlers.on_command))
    # 5. Customers: text, photo captions and forwarded messages in private chats are checked; forwards
    #    arriving together are judged as one conversation (bot/faces/tg/batching.py).
    app.add_handler(MessageHandler(private & new & text & ~filters.COMMAND, batching.on_private_text))
    # 6. Anything else in a private chat (stickers, voice…): say what can be checked.
    app.add_handler(MessageHandler(private & new & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
                                   handlers.on_private_other))
    # 7. Groups: every text is checked silently; only high-risk ones are answered.
    app.add_handler(MessageHandler(groups & new & text & ~filters.COMMAND, handlers.on_group_text))
    # 8. Inline buttons, one handler per kind (bot/conversation/buttons.py: feedback votes, 🚩 report,
    #    report-a-number, the admins' review), routed by the kind's pattern; the form's buttons
    #    matched in 1 while a form is open.
    for kind in buttons.KINDS:
        app.add_handler(handlers.button_handler(kind))
    #    Then any other press (an old or forged button, a form's button outside the form): "expired".
    app.add_handler(handlers.button_handler(None))
    # 9. Being added to a group: one short introduction.
    app.add_handler(ChatMemberHandler(handlers.on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    # 10. Inline mode (@bot … in any chat): the short answer as a result to send there, never stored
    #     or logged (bot/faces/tg/inline.py); its own flood limit, since Telegram sends one per pause.
    app.add_handler(inline.inline_handler())

    app.add_error_handler(handlers.on_error)


async def post_init(app: Application) -> None:
    """Open the engine (on its own thread: loading takes a second or two) and set the command menus."""
    svc: Services = app.bot_data["services"]
    svc.worker.start()
    if svc.engine is None:
        svc.engine = await svc.worker.call(open_engine, svc.settings)
        svc.owns_engine = True
    await svc.run(_purge, svc.settings.retention_days)  # at start-up too: a bot down for a while catches up
    await set_menus(app, svc.settings)
    log.info("PolicyGuard bot @%s ready (%s); Ctrl-C stops it", app.bot.username,
             "webhook" if svc.settings.webhook_url else "long polling")


async def post_shutdown(app: Application) -> None:
    """Close the engine if we opened it, and stop its thread."""
    svc: Services | None = app.bot_data.get("services")
    if svc is None:
        return
    if svc.engine is not None and svc.owns_engine:
        await svc.worker.call(svc.engine.close)
        svc.engine = None
    svc.worker.shutdown()


async def set_menus(app: Application, settings: Settings) -> None:
    """Everyone sees the customer commands; each admin also sees the admin commands in their own
    chat (BotCommandScopeChat). Failures are tolerated: an admin who has never opened a chat with
    the bot can't get a chat-scoped menu yet ("chat not found"), and the bot must start anyway."""
    public = [BotCommand(name, desc) for name, desc in conversation.menu(admin=False)]
    admin = public + [BotCommand(name, desc) for name, desc in conversation.menu(admin=True)]
    try:
        await app.bot.set_my_commands(public, scope=BotCommandScopeDefault())
    except TelegramError as e:
        log.warning("could not set the command menu: %s", handlers.describe_error(e))
    for admin_id in sorted(settings.admin_ids):
        try:
            await app.bot.set_my_commands(admin, scope=BotCommandScopeChat(admin_id))
        except TelegramError as e:
            log.warning("could not set the admin menu for one admin (%s)", handlers.describe_error(e))


async def _prune_throttle(context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = handlers.services(context)
    svc.throttle.prune()
    svc.group_throttle.prune()
    inline.inline_throttle(context).prune()


def _purge(engine: Engine, retention_days: int) -> privacy.PurgeResult:
    return privacy.purge_expired(engine.store, retention_days)


async def _purge_expired(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily BOT_RETENTION_DAYS purge (bot/store/privacy.py), on the engine thread."""
    svc = handlers.services(context)
    if svc.engine is not None:
        await svc.run(_purge, svc.settings.retention_days)


async def _reload_if_changed(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pick up scripts another process (``python run.py admin import``) added while the bot runs."""
    svc = handlers.services(context)
    if svc.engine is not None and await svc.run(admin.reload_if_changed):
        log.info("scripts changed in another process: index reloaded")


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram must send with every webhook POST: BOT_WEBHOOK_SECRET, or — never an open
    webhook — a random one made for this run (setWebhook registers it, so Telegram sends it; anyone
    else's POST is refused with 403)."""
    if settings.webhook_secret:
        return settings.webhook_secret
    log.warning("BOT_WEBHOOK_SECRET is not set: using a random secret for this run (registered with setWebhook)")
    return secrets.token_urlsafe(32)


def serve(app: Application, settings: Settings, *, in_thread: bool = False,
          poll_timeout: float = POLL_TIMEOUT) -> None:
    """Run until stopped: long polling, or a webhook server when ``settings.webhook_url`` is set.
    SIGINT/SIGTERM stop it gracefully (updates in flight finish, the engine is closed). A test that
    runs the bot in a thread passes ``in_thread`` (signal handlers belong to the main thread) and
    stops it with ``application.stop_running()`` on the bot's loop."""
    kwargs: dict[str, Any] = {"allowed_updates": ALLOWED_UPDATES, "bootstrap_retries": BOOTSTRAP_RETRIES}
    if in_thread:
        kwargs["stop_signals"] = None
    if settings.webhook_url:
        webhook.install_refusal_log()
        app.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                        url_path=urlsplit(settings.webhook_url).path.lstrip("/"), webhook_url=settings.webhook_url,
                        secret_token=webhook_secret(settings), **kwargs)
    else:
        app.run_polling(poll_interval=0.0, timeout=dt.timedelta(seconds=poll_timeout), **kwargs)


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter and blanks out secrets (the bot token is part of every Bot API
    URL, so any library that logs a URL or an exception with one would leak it)."""

    def __init__(self, inner: logging.Formatter | None, secrets: Sequence[str]):
        super().__init__()
        self.inner = inner or logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        out = self.inner.format(record)
        for s in self.secrets:
            out = out.replace(s, "<TOKEN>")
        return out


class _DropStartupTracebacks(logging.Filter):
    """PTB logs a refused token, and a Bot API it could not reach at start-up, with a long traceback
    before raising; :func:`run` then says it in one clear line, so the traceback is dropped — except at
    ``BOT_LOG_LEVEL=DEBUG``, where an unreachable server's traceback is kept for troubleshooting."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        err = record.exc_info[1] if record.exc_info else None
        if isinstance(err, InvalidToken):
            return False
        return self.debug or not isinstance(err, NetworkError)


def configure_logging(token: str, level: str | None = None) -> None:
    """INFO for our own logs, WARNING for httpx (it logs every request URL, token included), and the
    token redacted from every line whatever logs it. ``BOT_LOG_LEVEL=DEBUG`` (or ``level``) turns on
    every library's debug output for troubleshooting — still without message text or the token,
    because the log guard (bot/logguard.py) blanks those in the records themselves."""
    logguard.install_log_guard([token])
    wanted = (level or os.environ.get("BOT_LOG_LEVEL") or "INFO").strip().upper()
    debug = wanted == "DEBUG"
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    elif debug:
        root.setLevel(logging.DEBUG)
    for h in root.handlers:
        if not isinstance(h.formatter, RedactingFormatter):
            h.setFormatter(RedactingFormatter(h.formatter, [token]))
    ptb = logging.getLogger("telegram.ext")
    for f in [f for f in ptb.filters if isinstance(f, _DropStartupTracebacks)]:
        ptb.removeFilter(f)
    ptb.addFilter(_DropStartupTracebacks(debug))
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
    ours = logging.getLevelName(wanted)
    logging.getLogger("bot").setLevel(ours if isinstance(ours, int) else logging.INFO)


def run(settings: Settings) -> int:
    """``python run.py``: run the bot until SIGINT/SIGTERM. Returns the exit status: 0 after a
    graceful stop, 1 when the Bot API refuses the token or can't be reached."""
    configure_logging(settings.token)
    app = build_application(settings)
    try:
        serve(app, settings)
    except InvalidToken:
        log.error("Telegram 拒绝了 TELEGRAM_BOT_TOKEN（令牌无效或已被撤销）：请向 @BotFather 确认令牌后重试。")
        return 1
    except NetworkError as e:
        where = settings.base_url or "https://api.telegram.org"
        log.error("无法连接 Bot API（%s）：%s。请检查网络或 TELEGRAM_BASE_URL。", where, handlers.describe_error(e))
        return 1
    return 0
