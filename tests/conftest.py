"""Shared pytest fixtures.

Telegram face (tests/test_tg_*.py): ``botapi`` starts the Bot API emulator on 127.0.0.1;
``tg_bot_factory`` runs the REAL polling Application (bot.tg.app.build_application + serve, the code
``python run.py`` runs) in a thread against it, each bot with its own temporary BOT_DB_PATH;
``tg_bot`` is one such bot with admin ``TG_ADMIN_ID``.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from botapi_emulator import BotAPIEmulator

if TYPE_CHECKING:
    from bot.pipeline.engine import Engine

# --- Telegram face fixtures ------------------------------------------------------------------------------

TG_ADMIN_ID = 777
#: getUpdates long-poll timeout in tests: short, so a stopped bot never waits on a poll.
TG_POLL_TIMEOUT = 1.0


class TgRunningBot:
    """The bot's Application running in a background thread with its own event loop."""

    def __init__(self, api: BotAPIEmulator, db_path: Path, admin_ids: frozenset[int], env: dict[str, str] | None = None):
        from bot.config import Settings
        from bot.faces.tg.app import build_application

        base = {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_BASE_URL": api.base_url, "BOT_DB_PATH": str(db_path),
                "BOT_ADMIN_IDS": ",".join(str(i) for i in sorted(admin_ids))}
        self.api = api
        self.db_path = db_path
        self.settings = Settings.from_env({**base, **(env or {})})
        self.app = build_application(self.settings)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="tg-bot", daemon=True)

    def _main(self) -> None:
        from bot.faces.tg.app import serve

        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            serve(self.app, self.settings, in_thread=True, poll_timeout=TG_POLL_TIMEOUT)
        except BaseException as e:  # surfaced by the tests through .error
            self.error = e

    def start(self, timeout: float = 30.0) -> TgRunningBot:
        self._thread.start()
        self.api.wait_for(lambda: self.api.get_updates_calls > 0 or self.error is not None or not self._thread.is_alive(),
                          timeout, "the bot to start polling")
        if self.error is not None:
            raise RuntimeError(f"the bot failed to start: {self.error!r}") from self.error
        return self

    @property
    def engine(self) -> Engine | None:
        """The bot's engine (open between post_init and post_shutdown)."""
        return self.app.bot_data["services"].engine

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 20.0) -> None:
        """Graceful stop, as SIGINT does it: the polling loop ends, post_shutdown closes the engine."""
        if self._thread.is_alive() and self.loop is not None:
            self.loop.call_soon_threadsafe(self.app.stop_running)
            self._thread.join(timeout)
        assert not self._thread.is_alive(), "the bot did not stop"


@pytest.fixture
def botapi(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotAPIEmulator]:
    """A fresh Bot API emulator on 127.0.0.1 (random free port)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    api = BotAPIEmulator().start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def tg_seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database created and seeded once per test session. Tests copy it to their own BOT_DB_PATH:
    the bot under test then opens it exactly as in production (the seed is up to date, so it is not
    seeded again), and each test saves the seeding time."""
    from bot.config import Settings, open_engine

    path = tmp_path_factory.mktemp("tg-template") / "policyguard.db"
    open_engine(Settings(db_path=str(path))).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path


def tg_fresh_db(template: Path, dest: Path) -> Path:
    """A private copy of the seeded template database."""
    shutil.copyfile(template, dest)
    return dest


@pytest.fixture
def tg_bot_factory(botapi: BotAPIEmulator, tmp_path: Path, tg_seeded_db: Path) -> Iterator[Callable[..., TgRunningBot]]:
    """Start bots against ``botapi``: ``tg_bot_factory(admin_ids=..., db_path=..., env=...)``; without
    ``db_path`` each test gets its own copy of the seeded database. Every bot still running at the end
    of the test is stopped."""
    bots: list[TgRunningBot] = []

    def start(admin_ids: frozenset[int] = frozenset({TG_ADMIN_ID}), db_path: Path | None = None,
              env: dict[str, str] | None = None) -> TgRunningBot:
        if db_path is None:
            db_path = tmp_path / "policyguard.db"
            if not db_path.exists():
                tg_fresh_db(tg_seeded_db, db_path)
        bot = TgRunningBot(botapi, db_path, admin_ids, env)
        bots.append(bot)
        return bot.start()

    yield start
    for bot in bots:
        bot.stop()


@pytest.fixture
def tg_bot(tg_bot_factory: Callable[..., TgRunningBot]) -> TgRunningBot:
    """One running bot with admin TG_ADMIN_ID and its own temporary database."""
    return tg_bot_factory()


@pytest.fixture(scope="module")
def tg_module_bot(tmp_path_factory: pytest.TempPathFactory, tg_seeded_db: Path) -> Iterator[TgRunningBot]:
    """One emulator and one running bot (admin TG_ADMIN_ID) shared by all tests of a module: starting a
    bot costs seconds, so modules with many small end-to-end checks use this and give each test its own
    user and chat ids. The emulator is ``tg_module_bot.api``."""
    import os

    for var in ("NO_PROXY", "no_proxy"):
        os.environ.setdefault(var, "127.0.0.1,localhost")
    api = BotAPIEmulator().start()
    db = tg_fresh_db(tg_seeded_db, tmp_path_factory.mktemp("tg-module") / "policyguard.db")
    bot = TgRunningBot(api, db, frozenset({TG_ADMIN_ID}))
    try:
        yield bot.start()
    finally:
        bot.stop()
        api.stop()


#: The tables an admin change or a report touches; tests hash them to prove that nothing changed.
GUARDED_TABLES = ("patterns", "numbers", "reports", "report_reporters", "audit", "audit_items")


def tables_digest(db_path: Path, tables: tuple[str, ...] = GUARDED_TABLES) -> dict[str, str]:
    """table → SHA-256 of its rows (in rowid order), read through a separate connection (as another
    process would see the committed state)."""
    import hashlib

    con = sqlite3.connect(db_path, timeout=30)
    try:
        out = {}
        for t in tables:
            h = hashlib.sha256()
            for row in con.execute(f"select * from [{t}] order by rowid"):
                h.update(repr(row).encode())
            out[t] = h.hexdigest()
        return out
    finally:
        con.close()


#: The tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
                 "pre", "blockquote", "tg-emoji"}


def telegram_html_problems(text: str) -> list[str]:
    """Why Telegram would reject ``text`` as HTML (empty list: it is valid): unknown tags, unbalanced
    tags, a bare ``<`` or ``&`` that is not an entity."""
    import re as _re

    problems = []
    stack: list[str] = []
    for m in _re.finditer(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>|<|&(#\d+|#x[0-9a-fA-F]+|[a-z]+);|&", text):
        whole = m.group(0)
        if whole == "<":
            problems.append(f"bare '<' at {m.start()}")
        elif whole == "&":
            problems.append(f"bare '&' at {m.start()}")
        elif whole.startswith("&"):
            if not whole.startswith("&#") and m.group(4) not in ("lt", "gt", "amp", "quot"):
                problems.append(f"unknown entity {whole}")
        else:
            closing, name = m.group(1) == "/", m.group(2).lower()
            if name not in TELEGRAM_TAGS:
                problems.append(f"tag <{name}> not allowed")
            elif closing:
                if not stack or stack[-1] != name:
                    problems.append(f"unbalanced </{name}>")
                else:
                    stack.pop()
            else:
                stack.append(name)
    if stack:
        problems.append(f"unclosed {stack}")
    return problems


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, tg_seeded_db: Path) -> Iterator[Engine]:
    """One engine per test module, on its own copy of the seeded database (modules that change the
    database never see each other's changes)."""
    from bot.config import Settings, open_engine

    e = open_engine(Settings(db_path=str(tg_fresh_db(tg_seeded_db, tmp_path_factory.mktemp("engine") / "pg.db"))))
    yield e
    e.close()
