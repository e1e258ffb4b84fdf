"""Helpers and fixtures of the HTTP API tests (imported by the test modules): the real app (``create_app``) over its own copy of the seeded database,
driven by FastAPI's TestClient (which runs the app's lifespan: the engine, the key ring, the sync loop),
and keys made the way ``admin api-key create`` makes them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import tg_fresh_db
from fastapi.testclient import TestClient

#: Short, so revocations and admin changes show within a test.
SYNC_SECONDS = 0.2


def make_key(db_path: Path, name: str, scopes: str = "check,lookup,report") -> str:
    """A new key in the database at ``db_path`` (as ``admin api-key create`` makes it)."""
    from bot.faces.api.keys import create_key, parse_scopes
    from bot.store import connect

    db = connect(db_path)
    try:
        return create_key(db, name, parse_scopes(scopes), actor="test")
    finally:
        db.close()


def start_client(db_path: Path, **env: str) -> TestClient:
    from bot.config import Settings
    from bot.faces.api.app import create_app

    settings = Settings.from_env({"BOT_DB_PATH": str(db_path), "BOT_API_SYNC_SECONDS": str(SYNC_SECONDS), **env})
    return TestClient(create_app(settings), raise_server_exceptions=False)


# Fixture bodies: each test module declares ``api_db = pytest.fixture(api_db_fixture)`` and so on (a
# conftest.py here would replace tests/conftest.py in sys.modules, which other tests import from).


def api_db_fixture(tg_seeded_db: Path, tmp_path: Path) -> Path:
    return tg_fresh_db(tg_seeded_db, tmp_path / "api.db")


def api_factory_fixture(api_db: Path) -> Iterator[Callable[..., TestClient]]:
    """Start an app on ``api_db`` with extra settings (as environment variables); stopped at the end."""
    started: list[TestClient] = []

    def start(**env: str) -> TestClient:
        client = start_client(api_db, **env)
        client.__enter__()
        started.append(client)
        return client

    yield start
    for c in reversed(started):
        c.__exit__(None, None, None)


def module_api_fixture(tg_seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path]]:
    """One app per module (starting one costs an engine): the client and its database."""
    db = tg_fresh_db(tg_seeded_db, tmp_path_factory.mktemp("api") / "api.db")
    with start_client(db) as client:
        yield client, db
