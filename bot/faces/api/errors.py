"""Every error the API answers, as ``{"error": {"code", "message"}}`` with its HTTP status: the
framework's own (404, 405, 422), the gate's (401, 403, 413, 429) and anything unexpected (500, with no
detail: the traceback goes to the log, never to the caller).

Why the 422 message is built here: pydantic's error list echoes the input it refused, which may be
the message being checked; the message names only where the problem is and what it is.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger("policyguard.api")

#: HTTP status → the error code when nothing more specific is known.
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "payload_too_large", 422: "invalid_request", 429: "rate_limited", 500: "internal",
         503: "not_ready"}
#: Validation problems listed in one 422 message.
MAX_LISTED = 5


class ApiError(HTTPException):
    """An error with its own code (``HTTPException`` so that FastAPI passes it on from a body read)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """``body.text: Field required; body.items: List should have at most 100 items`` — where and what,
    never the refused input itself."""
    parts = []
    for e in errors[:MAX_LISTED]:
        if e.get("type") == "json_invalid":
            why = (e.get("ctx") or {}).get("error") or "not JSON"
            parts.append(f"the body is not valid JSON ({why})")
            continue
        loc = ".".join(str(x) for x in e.get("loc") or ())
        msg = str(e.get("msg") or "invalid")
        if e.get("type") == "extra_forbidden":
            msg = "unknown field"
        elif loc == "body" and e.get("type") in ("model_attributes_type", "dict_type"):
            msg = "the body must be a JSON object, sent with Content-Type: application/json"
        parts.append(f"{loc}: {msg}" if loc else msg)
    more = len(errors) - MAX_LISTED
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 400:  # FastAPI's only 400: a body it could not decode (not UTF-8) — malformed JSON too
        return error_response(422, "invalid_request", "the body is not valid JSON (it is not UTF-8 text)")
    code = getattr(exc, "code", None) or CODES.get(status, "error")
    message = str(exc.detail) if isinstance(exc, ApiError) else _plain(status, str(exc.detail))
    return error_response(status, code, message, dict(exc.headers or {}) or None)


def _plain(status: int, detail: str) -> str:
    if status == 404:
        return "no such endpoint; see /docs"
    if status == 405:
        return "this endpoint does not take that method; see /docs"
    return detail


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_request", validation_message(list(exc.errors())))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # the type and the frames, not the exception's message: it could quote the text being checked
    frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    log.error("unexpected %s on %s %s\n%s", type(exc).__name__, request.method, request.url.path, frames)
    return error_response(500, "internal", "internal error; it has been logged")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the JSON error body."""
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Exception, _unexpected)
