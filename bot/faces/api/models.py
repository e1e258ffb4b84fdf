"""The API's bodies as pydantic models: what a request may hold, and what the verdict and the lookup JSON
hold (the OpenAPI schema at ``/openapi.json`` is generated from them).

Why the answers are not serialized *through* these models: the verdict and lookup JSON are made by
:func:`bot.render.verdict_json` / :func:`bot.render.lookup_json`, the same functions ``check --json`` and
``lookup --json`` use, so the API cannot drift from the command line. The models describe that JSON;
``tests/faces/api/test_models.py`` validates the real output of every corpus message against them, so a
field added to the verdict without its model fails a test (never a request). The verdict's models
forbid undeclared fields; the lookup's allow them (lookups are growing new fields, e.g. for links).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

#: The most texts one batch may hold.
MAX_BATCH = 100
#: A language tag such as zh-CN, zh-TW, zh-Hant-HK.
LANG_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"


class _Request(BaseModel):
    """Request bodies: unknown fields are an error (a misspelt ``txt`` must not pass as an empty text)."""

    model_config = ConfigDict(extra="forbid")


class CheckRequest(_Request):
    text: StrictStr = Field(min_length=1, description="the message to check (at most 5,000 characters are analysed)",
                            examples=["【某某人寿】您的保单可提前退保转购年化10%保本理财，详询13912345678"])
    lang: StrictStr | None = Field(
        default=None, pattern=LANG_PATTERN,
        description="the reader's language: zh-TW / zh-Hant give summary, action and advice in Taiwan's "
                    "Traditional forms, zh-HK / zh-MO in Hong Kong's; anything else leaves them as they are")


class BatchItem(CheckRequest):
    id: StrictStr | StrictInt = Field(description="the caller's id for this text, echoed in the result")


class BatchRequest(_Request):
    items: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH,
                                   description=f"1 to {MAX_BATCH} texts, each with its id")


class ReportRequest(_Request):
    text: StrictStr | None = Field(default=None, max_length=20_000,
                                   description="the scam message (redacted before it is stored)")
    number: StrictStr | None = Field(default=None, max_length=64, description="the scammer's number")
    reporter: StrictStr | None = Field(
        default=None, max_length=128,
        description="your own opaque id of the person reporting (kept only as a salted hash): each reporter "
                    "may file 20 reports a day; without it, all of the key's reports count as one reporter")

    @model_validator(mode="after")
    def _something(self) -> ReportRequest:
        if not (self.text or "").strip() and not (self.number or "").strip():
            raise ValueError("give the scam message as text, or its number, or both")
        return self


# --- answers -------------------------------------------------------------------------------------------


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Answer):
    start: int
    end: int
    text: str
    reason: str


class Match(_Answer):
    pattern_id: int
    scam_type: str
    similarity: float
    evidence: list[Evidence]
    script: str


class Signal(_Answer):
    name: str
    weight: float
    evidence: list[Evidence]
    label: str
    explanation: str
    scam_types: list[str]


class Notice(_Answer):
    id: str
    title: str
    issuer: str
    date: str
    url: str = Field(description="the issuer's own https page, or empty")


class Lookup(BaseModel):
    """The lookup JSON (``lookup --json``) of a number — a link's lookup has its own fields (``url``,
    ``host``, ``org``…), which like any field not listed here are passed on."""

    model_config = ConfigDict(extra="allow")

    input: str
    normalized: str = ""
    status: str = Field(description="official, reported, lookalike, unknown or invalid (links: see lookup --json)")
    insurer: str | None = None
    reports: int = 0
    scam_types: list[str] = []
    similar_to: list[dict[str, Any]] = Field(default=[], description='[{"number", "insurer", "how"}]')
    kind: str = ""
    first_reported: str | None = None
    last_reported: str | None = None
    note: str = ""
    unverified: bool = False
    org_kind: str = ""


class Contact(_Answer):
    """A way to reach the sender found in the text (WeChat, QQ…), with its span."""

    kind: str
    id: str
    start: int
    end: int


class Verdict(_Answer):
    """The verdict JSON (``check --json``)."""

    risk: Literal["high", "medium", "low", "none"]
    score: float = Field(ge=0, le=100)
    scam_types: list[str]
    matches: list[Match]
    signals: list[Signal]
    numbers: list[Lookup]
    urls: list[dict[str, Any] | str] = Field(description="each link's lookup (url, host, status, org…)")
    url_list: list[str] = Field(description="the links as plain strings (the shape `urls` had before)")
    contacts: list[Contact]
    notices: list[Notice]
    advice: list[str]
    insurers: list[str]
    amounts: list[str]
    percents: list[float]
    primary_type: str
    summary: str
    action: str
    channel: str
    stage: str
    region: str
    highlights: list[tuple[int, int]]
    truncated: bool
    traditional: bool
    empty: bool


class BatchResult(_Answer):
    id: str | int
    verdict: Verdict


class BatchResponse(_Answer):
    results: list[BatchResult]


class ReportResponse(_Answer):
    status: Literal["created", "repeat", "already"]
    report_id: int | None
    count: int
    masked: dict[str, int] = Field(description="what redaction masked before storing, as counts")
    scam_type: str | None
    message: str


class ErrorBody(_Answer):
    code: str = Field(examples=["rate_limited"])
    message: str


class ErrorResponse(_Answer):
    error: ErrorBody


class Health(_Answer):
    status: str


class Ready(_Answer):
    status: str
    patterns: int
