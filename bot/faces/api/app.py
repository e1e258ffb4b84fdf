"""The HTTP API's routes: :func:`create_app` builds the FastAPI app over one :class:`Runtime` (the engine,
keys and limits of this worker process).

Every answer about a message or a number is made by the functions the other faces use —
:func:`bot.render.verdict_json` (``check --json``), :func:`bot.render.lookup_json` (``lookup --json``),
:func:`bot.admin.reports.submit_report` (the bot's /report, which redacts before it stores) — run on the
event loop. The routes only translate HTTP to those calls and back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPBearer

from bot import __version__, render
from bot.admin import reports
from bot.config import Settings
from bot.faces.api import errors
from bot.faces.api.gate import MAX_BODY, Gate, RequestLog
from bot.faces.api.models import (
    BatchItem,
    BatchRequest,
    BatchResponse,
    CheckRequest,
    ErrorResponse,
    Health,
    Lookup,
    Ready,
    ReportRequest,
    ReportResponse,
    Verdict,
)
from bot.faces.api.runtime import Runtime
from bot.pipeline.engine import Engine
from bot.store import get_meta

DESCRIPTION = f"""PolicyGuard (保单卫士) checks a message for insurance scams (fake 客服, 退保理财, 代理退保, fake claim
fees, fake regulators…) and looks up phone numbers: the same engine and data as the Telegram bot.

**Keys**: send `Authorization: Bearer KEY` (or `X-API-Key: KEY`); admins make keys with
`python run.py admin api-key create NAME --scopes check,lookup,report`. **Limits**: bodies up to
{MAX_BODY // 1024} KB; a per-key number of requests a minute (429 with `Retry-After` past it); batches of
up to 100 texts. **Errors** are `{{"error": {{"code", "message"}}}}`: 401 `missing_key` / `invalid_key`,
403 `forbidden`, 413 `payload_too_large`, 422 `invalid_request` / `report_refused`, 429 `rate_limited`.
Request bodies are never stored or logged."""

#: The error answers every keyed route may give (for the schema).
KEYED_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorResponse, "description": d} for s, d in
    ((401, "no key, or an unknown or revoked key"), (403, "the key lacks this scope"),
     (413, "body over the size limit"), (422, "the body or query is not what this endpoint takes"),
     (429, "over the key's requests per minute; see Retry-After"))}


def reader_region(lang: str | None) -> str:
    """The Traditional forms a reader of ``lang`` uses: HK for zh-HK / zh-MO, TW for zh-TW / zh-Hant,
    else none (as the Telegram face reads a client's language)."""
    parts = (lang or "").lower().split("-")
    if parts[0] != "zh":
        return ""
    if "hk" in parts or "mo" in parts:
        return "HK"
    return "TW" if "tw" in parts or "hant" in parts else ""


def localized(verdict_json: str, region: str) -> str:
    """The verdict JSON with its words for the reader (summary, action, advice) in ``region``'s forms."""
    if not region:
        return verdict_json
    d = json.loads(verdict_json)
    for k in ("summary", "action"):
        d[k] = render.to_traditional(d.get(k) or "", region)
    d["advice"] = [render.to_traditional(a, region) for a in d.get("advice") or []]
    return json.dumps(d, ensure_ascii=False)


def verdict_of(engine: Engine, text: str, lang: str | None) -> tuple[str, str]:
    """The verdict JSON of one text (as ``check --json`` prints it) and its risk (for the log)."""
    v = engine.analyze(text)
    return localized(render.verdict_json(v), reader_region(lang)), v.risk


def batch_of(engine: Engine, items: list[BatchItem]) -> tuple[str, str]:
    """``{"results": [{"id", "verdict"}, …]}`` in the order given, and the risk counts (for the log)."""
    parts, risks = [], {"high": 0, "medium": 0, "low": 0, "none": 0}
    for item in items:
        body, risk = verdict_of(engine, item.text, item.lang)
        risks[risk] = risks.get(risk, 0) + 1
        parts.append('{"id":' + json.dumps(item.id, ensure_ascii=False) + ',"verdict":' + body + "}")
    return '{"results":[' + ",".join(parts) + "]}", ",".join(f"{k}:{n}" for k, n in risks.items() if n)


def lookup_of(engine: Engine, q: str) -> str:
    return render.lookup_json(engine.lookup(q))


def report_of(engine: Engine, key_name: str, body: ReportRequest) -> reports.ReportResult:
    """File a report as the bot's /report does (redacted before it is stored); the reporter is the key,
    or the caller's own id for the person within it, known only as a salted hash."""
    who = f"api:{key_name}" + (f":{body.reporter}" if body.reporter else "")
    return reports.submit_report(engine, who, text=body.text, number=body.number)


def ready_of(engine: Engine) -> int:
    """The number of live scripts, after one read of the database (so a lost database fails here)."""
    get_meta(engine.store, "admin_version")
    return len(engine.scripts())


def _json(body: str, status: int = 200) -> Response:
    return Response(content=body, status_code=status, media_type="application/json")


# the security schemes, for the schema and /docs only (the Gate checks the key before a route runs)
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="or the key in X-API-Key")
KEYED = [Depends(_bearer), Depends(_header)]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for one worker process, over the database of ``settings`` (default: the environment's)."""
    runtime = Runtime(settings or Settings.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="PolicyGuard 保单卫士 API", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.runtime = runtime
    errors.install(app)
    app.add_middleware(Gate, runtime=runtime)
    app.add_middleware(RequestLog)  # outermost: it logs what the gate refuses too
    _routes(app, runtime)
    return app


def _routes(app: FastAPI, rt: Runtime) -> None:
    @app.post("/v1/check", response_model=None, tags=["check"], dependencies=KEYED,
              responses={200: {"model": Verdict, "description": "the verdict (as `check --json`)"}, **KEYED_ERRORS})
    async def check(body: CheckRequest, request: Request) -> Response:
        """Check one message: risk, score, scam types, why (matched scripts and signals), numbers,
        notices and advice, and the short answer (`summary`, `action`)."""
        out, risk = await rt.call(verdict_of, body.text, body.lang)
        request.state.risk = risk
        return _json(out)

    @app.post("/v1/check/batch", response_model=None, tags=["check"], dependencies=KEYED,
              responses={200: {"model": BatchResponse, "description": "the verdicts, in order, with their ids"},
                         **KEYED_ERRORS})
    async def check_batch(body: BatchRequest, request: Request) -> Response:
        """Check up to 100 messages in one request (one request of the key's rate limit)."""
        out, risks = await rt.call(batch_of, body.items)
        request.state.risk = risks
        return _json(out)

    @app.get("/v1/lookup", response_model=None, tags=["lookup"], dependencies=KEYED,
             responses={200: {"model": Lookup, "description": "the lookup (as `lookup --json`)"}, **KEYED_ERRORS})
    async def lookup(q: Annotated[str, Query(min_length=1, max_length=2048, description="a phone number or a link")],
                     request: Request) -> Response:
        """What is known about a number: official (whose), reported (how often, which scam), a
        look-alike of an official number, unknown, or not a valid number."""
        out = await rt.call(lookup_of, q)
        request.state.risk = json.loads(out).get("status", "-")
        return _json(out)

    @app.post("/v1/reports", response_model=None, tags=["report"], dependencies=KEYED, status_code=201,
              responses={201: {"model": ReportResponse, "description": "a new report in the review queue"},
                         200: {"model": ReportResponse, "description": "counted on a report already queued"},
                         **KEYED_ERRORS})
    async def report(body: ReportRequest, request: Request) -> JSONResponse:
        """Report a scam message or number into the admins' review queue, redacted first (ID numbers,
        bank cards, the reporter's own number, names are masked) exactly as the bot's /report does.
        A refusal (not a valid number, an official number, too short, a reporter's 20 a day) is 422
        `report_refused` with the reason."""
        res = await rt.call(report_of, request.state.key_name, body)
        if not res.ok:
            raise errors.ApiError(422, "report_refused", res.message.removeprefix("❌ "))
        data = {"status": res.status, "report_id": res.report_id, "count": res.count, "masked": res.masked,
                "scam_type": res.scam_type, "message": res.message}
        return JSONResponse(data, status_code=201 if res.status == "created" else 200)

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive (it answers without touching the engine)."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=Ready, tags=["health"],
             responses={503: {"model": ErrorResponse, "description": "engine not loaded or database unreachable"}})
    async def readyz() -> Any:
        """The engine is loaded and the database answers."""
        if not rt.ready:
            return errors.error_response(503, "not_ready", "the engine is not loaded yet")
        try:
            patterns = await rt.call(ready_of)
        except Exception as e:
            return errors.error_response(503, "not_ready", f"the database does not answer ({type(e).__name__})")
        return {"status": "ready", "patterns": patterns}
