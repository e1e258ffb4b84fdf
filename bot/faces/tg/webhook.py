"""The webhook server's refusals, logged.

python-telegram-bot's webhook server (tornado) answers a POST without the right
``X-Telegram-Bot-Api-Secret-Token`` with 403, but only says so at DEBUG (its ``log_request`` is a
no-op), so a forged update would leave no trace. :func:`install_refusal_log` makes every refused request
(any 4xx: wrong or missing secret, malformed body, wrong method) one WARNING line with the status, the
method and the peer address — never the body or the header's value.
"""

from __future__ import annotations

import logging

from telegram.ext._utils.webhookhandler import WebhookAppClass

log = logging.getLogger(__name__)


def _log_request(self: WebhookAppClass, handler: object) -> None:
    status = handler.get_status()  # type: ignore[attr-defined]
    if 400 <= status < 500:
        req = handler.request  # type: ignore[attr-defined]
        log.warning("webhook: refused a %s request from %s (HTTP %d%s)", req.method, req.remote_ip, status,
                    ": no or wrong secret token" if status == 403 else "")


def install_refusal_log() -> None:
    """Log refused webhook requests (see the module docstring). Idempotent."""
    WebhookAppClass.log_request = _log_request  # type: ignore[method-assign]
