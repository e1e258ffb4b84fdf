"""Settings read from the environment, in one place, so every face (bot, chat, CLI) agrees; and
:func:`open_engine`, which builds the engine on its store from them."""

from __future__ import annotations

import os
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


def _ids(raw: str) -> frozenset[int]:
    out = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if part.lstrip("-").isdigit():
            out.add(int(part))
    return frozenset(out)


@dataclass(frozen=True)
class Settings:
    """Everything configurable; see the README's "Settings" table."""

    token: str = ""
    base_url: str = ""
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    db_path: str = DEFAULT_DB_PATH
    webhook_url: str = ""
    retention_days: int = 180
    webhook_listen: str = "0.0.0.0"  # BOT_WEBHOOK_LISTEN: where the webhook server listens
    webhook_port: int = 8443  # BOT_WEBHOOK_PORT
    webhook_secret: str = ""  # BOT_WEBHOOK_SECRET: Telegram sends it in a header; others are refused

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
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
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            base_url=env.get("TELEGRAM_BASE_URL", "").strip(),
            admin_ids=_ids(env.get("BOT_ADMIN_IDS", "")),
            db_path=env.get("BOT_DB_PATH", "").strip() or DEFAULT_DB_PATH,
            webhook_url=env.get("BOT_WEBHOOK_URL", "").strip(),
            retention_days=max(1, retention),
            webhook_listen=env.get("BOT_WEBHOOK_LISTEN", "").strip() or "0.0.0.0",
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
        seed(store, engine.script_forms, engine.number_key)
        engine.reload()
    except BaseException:
        store.close()
        raise
    return engine
