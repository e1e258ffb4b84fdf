"""Keeping message text and the bot token out of the logs, whatever writes them.

:func:`install_log_guard` installs a log-record factory — the one point every log record of the
process passes through, whatever handler finally writes it (ours, a test's caplog, a hosting
platform's) — that blanks the arguments of the library debug messages known to carry update or reply
contents (python-telegram-bot logs whole updates and API parameters at DEBUG) and replaces the bot
token wherever it appears. (Issue 6: the bot holds as little as possible about the people who use it.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

#: Library log messages (by their format string) whose arguments carry update or reply contents: the
#: message is kept (it says what happened), its arguments are blanked.
CONTENT_MESSAGES = frozenset({
    "Calling Bot API endpoint `%s` with parameters `%s`",
    "Call to Bot API endpoint `%s` finished with return value `%s`",
    "Processing update %s",
    "Dropping pending update: %s",
    "Webhook received data: %s",
    'Can not load invalid JSON data: "%s"',
    "Selecting conversation %s with state %s",
})
REDACTED = "<redacted>"
TOKEN_MARK = "<TOKEN>"

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def _scrub(value: Any, secrets: Iterable[str]) -> Any:
    if isinstance(value, str):
        for s in secrets:
            if s in value:
                value = value.replace(s, TOKEN_MARK)
        return value
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    # any other object (an exception, a URL object, a dict) may carry the token in its str()
    text = str(value)
    return _scrub(text, secrets) if any(s in text for s in secrets) else value


def _guard(record: logging.LogRecord) -> logging.LogRecord:
    secrets = tuple(_secrets)
    if record.msg in CONTENT_MESSAGES and record.args:
        args = record.args if isinstance(record.args, tuple) else (record.args,)
        # the first argument of the API-call messages is the endpoint name: useful and never user text
        keep = 1 if str(record.msg).startswith(("Calling Bot API", "Call to Bot API")) else 0
        record.args = tuple(a if i < keep else REDACTED for i, a in enumerate(args))
    if secrets:
        if isinstance(record.msg, str):
            record.msg = _scrub(record.msg, secrets)
        if isinstance(record.args, tuple):
            record.args = tuple(_scrub(a, secrets) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _scrub(v, secrets) for k, v in record.args.items()}
        if record.exc_info and record.exc_info[1] is not None and any(s in str(record.exc_info[1]) for s in secrets):
            # formatters render the traceback from exc_info only when exc_text is empty: pre-render it,
            # scrubbed (exc_info stays, so filters can still look at the exception's type)
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = _scrub(formatted, secrets)
    return record


def install_log_guard(secrets: Iterable[str] = ()) -> None:
    """Install (once per process) the log-record factory described in the module docstring, and add
    ``secrets`` (the bot token) to what it replaces. Idempotent and chained to any previous factory."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 8)
        if _installed:
            return
        previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return _guard(previous(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True
