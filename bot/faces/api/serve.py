"""Running the API: uvicorn with N worker processes on one port (``python run.py serve``).

Why the database is opened once here before the workers start: opening creates, migrates and seeds the
file on first use; done once by the parent, the workers only find it ready instead of racing to seed it.
uvicorn's own access log is off: it would log query strings (a lookup's number); the API logs its own
line per request (``bot.faces.api.gate.RequestLog``).
"""

from __future__ import annotations

import os
from typing import Any

from bot.config import Settings

#: The app factory uvicorn imports in every worker process.
FACTORY = "bot.faces.api.app:create_app"
#: Seconds a stopping worker waits for requests in flight.
GRACEFUL_SECONDS = 10


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's and the API's loggers on stderr, one format."""
    fmt = {"format": "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": fmt},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "policyguard": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def prepare(settings: Settings) -> int:
    """Create, migrate and seed the database once; the number of live scripts."""
    from bot.config import open_engine

    engine = open_engine(settings)
    try:
        return len(engine.scripts())
    finally:
        engine.close()


def _exit_cleanly_on_sigterm() -> None:
    """With one worker uvicorn serves in this process and, after its graceful shutdown, raises the signal
    again for the handler it found: a handler that does nothing makes SIGTERM end ``serve`` with exit
    status 0, as it does with several workers (where the supervising process exits 0)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: None)


def serve(host: str, port: int, workers: int) -> None:
    """Serve until SIGINT or SIGTERM (then requests in flight are finished and the workers stop)."""
    import uvicorn

    settings = Settings.from_env()
    prepare(settings)
    level = (os.environ.get("BOT_LOG_LEVEL") or "INFO").strip().upper()
    level = level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO"
    _exit_cleanly_on_sigterm()
    uvicorn.run(FACTORY, factory=True, host=host, port=port, workers=workers, access_log=False,
                log_config=log_config(level), server_header=False, timeout_graceful_shutdown=GRACEFUL_SECONDS)
