"""Settings read from the environment, in one place, so every face (bot, chat, CLI) agrees; and
:func:`open_engine`, which builds the engine on its store from them."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.pipeline.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = ROOT / "knowledge"
PATTERNS_DIR = ROOT / "scam_patterns"
DEFAULT_DB_PATH = "data/policyguard.db"
#: Messages longer than this are cut before analysis; the reply says so. Telegram's own limit is 4,096.
MAX_TEXT_CHARS = 5000


#: A Telegram user id as written in BOT_ADMIN_IDS: digits, optionally after a "+" (at most 20 digits).
_ADMIN_ID = re.compile(r"^\+?(\d{1,20})$")
#: What a Bot API token looks like: the bot's numeric id, a colon, a URL-safe secret ("123456:ABC-def_…").
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,200}$")


class SettingsError(ValueError):
    """A setting that can't be used as written; the message names the variable and the bad value, so
    start-up stops with one clear line instead of failing later (or silently running without admins)."""


def _ids(raw: str) -> frozenset[int]:
    """BOT_ADMIN_IDS: ids separated by commas, semicolons and/or spaces, each optionally with a "+".
    Anything else is an error naming the entry: a typo must not silently leave the bot without admins."""
    out = set()
    for part in re.split(r"[,;\s]+", raw.strip()):
        if not part:
            continue
        m = _ADMIN_ID.fullmatch(part)
        if m is None:
            raise SettingsError(f"BOT_ADMIN_IDS 里的「{part[:40]}」不是 Telegram 用户 ID（应为数字，用逗号或空格分隔，"
                                "例如 BOT_ADMIN_IDS=11111111,22222222）。")
        out.add(int(m.group(1)))
    return frozenset(out)


def token_problem(token: str) -> str | None:
    """Why ``token`` can't be a Bot API token (None: it looks like one). The token itself is never
    quoted: it is a secret even when it is wrong."""
    if _TOKEN.fullmatch(token or "") is None:
        return ("TELEGRAM_BOT_TOKEN 的格式不对：应为 BotFather 给的「数字:字母数字」形式（例如 123456789:AAH…），"
                "请检查是否多了空格、引号或换行。")
    return None


def _int(raw: str | None, default: int) -> int:
    try:
        return int(str(raw).strip()) if raw is not None and str(raw).strip() else default
    except ValueError:
        return default


def _float(raw: str | None, default: float) -> float:
    try:
        value = float(str(raw).strip()) if raw is not None and str(raw).strip() else default
    except ValueError:
        return default
    return value if math.isfinite(value) else default


@dataclass(frozen=True)
class Settings:
    """Everything configurable; see the README's "Settings" table."""

    token: str = ""
    base_url: str = ""
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    db_path: str = DEFAULT_DB_PATH
    webhook_url: str = ""
    retention_days: int = 180
    #: BOT_WEBHOOK_LISTEN: where the webhook server listens; loopback unless told otherwise (a TLS proxy
    #: in front forwards to it), so a forged POST can't come straight from the internet
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443  # BOT_WEBHOOK_PORT
    #: BOT_WEBHOOK_SECRET: Telegram sends it in a header; others are refused. Empty: the bot makes one
    #: at start-up and registers it with setWebhook (bot/faces/tg/app.py), so a webhook is never open.
    webhook_secret: str = ""
    #: The HTTP API (``python run.py serve``): requests per minute per key (0: no limit), keyless use for
    #: local development, and how often each worker looks for admin changes and flushes its use counts.
    api_rate_per_minute: int = 120  # BOT_API_RATE_PER_MINUTE
    api_keys_open: bool = False  # BOT_API_KEYS_OPEN=1
    api_sync_seconds: float = 2.0  # BOT_API_SYNC_SECONDS

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """The settings from ``env`` (default: the process environment); :class:`SettingsError` for a
        value that can't be used (a bad BOT_ADMIN_IDS entry)."""
        env = dict(os.environ if env is None else env)
        try:
            retention = int(env.get("BOT_RETENTION_DAYS", "180"))
        except ValueError:
            retention = 180
        try:
            port = int(env.get("BOT_WEBHOOK_PORT", "") or 8443)
        except ValueError:
            port = 8443
        return cls(
            api_rate_per_minute=max(0, _int(env.get("BOT_API_RATE_PER_MINUTE"), 120)),
            api_keys_open=env.get("BOT_API_KEYS_OPEN", "").strip() == "1",
            api_sync_seconds=min(60.0, max(0.1, _float(env.get("BOT_API_SYNC_SECONDS"), 2.0))),
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            base_url=env.get("TELEGRAM_BASE_URL", "").strip(),
            admin_ids=_ids(env.get("BOT_ADMIN_IDS", "")),
            db_path=env.get("BOT_DB_PATH", "").strip() or DEFAULT_DB_PATH,
            webhook_url=env.get("BOT_WEBHOOK_URL", "").strip(),
            retention_days=max(1, retention),
            webhook_listen=env.get("BOT_WEBHOOK_LISTEN", "").strip() or "127.0.0.1",
            webhook_port=port if 0 < port < 65536 else 8443,
            webhook_secret=env.get("BOT_WEBHOOK_SECRET", "").strip(),
        )


def open_engine(settings: Settings) -> Engine:
    """The one place where the parts are wired together, for every face and the tests: open (create,
    migrate) the store at ``settings.db_path``, build the engine on it, bring the seeded rows in line
    with the data files, and load the script index."""
    from bot.pipeline.cache import cache_dir
    from bot.pipeline.engine import Engine
    from bot.store import connect
    from bot.store.seed import seed

    store = connect(settings.db_path)
    try:
        engine = Engine(store, cache_folder=cache_dir())
        if not store.readonly:  # a read-only database is used as it is
            seed(store, engine.script_forms, engine.number_key)
        engine.reload()
    except BaseException:
        store.close()
        raise
    return engine
