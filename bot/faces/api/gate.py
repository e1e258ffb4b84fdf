"""The ASGI middleware every request passes: :class:`RequestLog` (one log line per request, never its
body) outside :class:`Gate` (the body's size, the key, its scope, its rate limit, its use count).

Why the key is checked here and not in a FastAPI dependency: FastAPI reads and parses the body before it
runs dependencies, so a keyless request with a broken body would get 422 instead of 401, and a caller
without a key could make the server parse its bodies. Here the order is: 413 (size, from the
Content-Length header before anything is read), 401, 403, 429; only then does the route read the body
(and 422 for what is wrong in it).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.faces.api.errors import ApiError, error_response
from bot.faces.api.keys import OPEN_NAME, SCOPES, ApiKey
from bot.faces.api.runtime import Runtime, retry_after

log = logging.getLogger("policyguard.api")

#: The largest request body accepted (bytes).
MAX_BODY = 64 * 1024
#: The scope each keyed path needs.
PATH_SCOPES = {"/v1/check": "check", "/v1/check/batch": "check", "/v1/lookup": "lookup", "/v1/reports": "report"}
#: The longest key looked at (a longer one is refused without hashing it).
MAX_KEY_CHARS = 200


def _header(scope: Scope, name: bytes) -> str:
    for k, v in scope.get("headers") or ():
        if k == name:
            return v.decode("latin-1").strip()
    return ""


def presented_key(scope: Scope) -> str:
    """The key in ``Authorization: Bearer …`` or ``X-API-Key: …`` ("" when neither is there)."""
    auth = _header(scope, b"authorization")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return _header(scope, b"x-api-key")


class Gate:
    """Size, key, scope, rate limit and use count, for the paths in :data:`PATH_SCOPES`; other paths
    (health, docs, schema, unknown ones) pass with only the size check."""

    def __init__(self, app: ASGIApp, runtime: Runtime, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.runtime = runtime
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._too_large(scope) or self._refused(scope)
        if refusal is not None:
            await error_response(refusal.status_code, refusal.code, str(refusal.detail), refusal.headers)(
                scope, receive, send)
            return
        await self.app(scope, self._bounded(receive), send)

    def _too_large(self, scope: Scope) -> ApiError | None:
        length = _header(scope, b"content-length")
        if length and (not length.isdigit() or int(length) > self.max_body):
            return ApiError(413, "payload_too_large", f"the body may be at most {self.max_body // 1024} KB")
        return None

    def _bounded(self, receive: Receive) -> Receive:
        """``receive`` that refuses a body (sent in chunks, without Content-Length) once it grows too large."""
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise ApiError(413, "payload_too_large", f"the body may be at most {self.max_body // 1024} KB")
            return message

        return bounded

    def _refused(self, scope: Scope) -> ApiError | None:
        """401, 403 or 429 for a keyed path; None when the request may go on (its key name noted in
        ``scope["state"]`` for the log, and its use counted)."""
        needed = PATH_SCOPES.get(scope.get("path", ""))
        if needed is None:
            return None
        key = self._key(scope)
        if isinstance(key, ApiError):
            return key
        scope.setdefault("state", {})["key_name"] = key.name
        if needed not in key.scopes:
            return ApiError(403, "forbidden", f"this key does not have the {needed!r} scope")
        wait = self.runtime.limiter.take(key.name)
        if wait > 0:
            return ApiError(429, "rate_limited",
                            f"more than {self.runtime.limiter.per_minute} requests a minute; retry after "
                            f"{retry_after(wait)} s", {"Retry-After": retry_after(wait)})
        self.runtime.usage.count(key.name, scope["path"])
        return None

    def _key(self, scope: Scope) -> ApiKey | ApiError:
        raw = presented_key(scope)
        if not raw:
            if self.runtime.settings.api_keys_open:
                return ApiKey(OPEN_NAME, frozenset(SCOPES))
            return ApiError(401, "missing_key", "an API key is required: send it as 'Authorization: Bearer KEY' "
                                                "or 'X-API-Key: KEY'",
                            {"WWW-Authenticate": "Bearer"})
        found = None
        if len(raw) <= MAX_KEY_CHARS and self.runtime.keys is not None:
            found = self.runtime.keys.find(raw)
        if found is None:
            return ApiError(401, "invalid_key", "this API key is unknown or has been revoked",
                            {"WWW-Authenticate": "Bearer"})
        return found


class RequestLog:
    """One line per request: method, path (without its query), status, key name, milliseconds, and the
    risk of a check — never a body or a query string (a lookup's number is in its query)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500
        start = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            log.info("%s %s %d key=%s %.1fms risk=%s", scope.get("method", "?"), str(scope.get("path", "?"))[:80], status,
                     state.get("key_name", "-"), (time.perf_counter() - start) * 1000, state.get("risk", "-"))
