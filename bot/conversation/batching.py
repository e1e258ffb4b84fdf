"""A forwarded conversation judged as one: several messages a user sends within seconds of each other.

Why: the fake "customer service" chat is forwarded as several messages — the greeting, the policy
details it knew, the offer, the WeChat handle — which Telegram delivers as separate updates within a
second or two. Judged one by one, the decisive step may be spread over three messages that are harmless
alone. :func:`judge` analyses them joined (in order, one per line), says which message carries the
decisive step, and what each message alone would have got.

If the joined text reads as harmless while one message alone is high-risk, that message's verdict stands
(see :func:`judge`). The decisive message is the one whose removal lowers the conversation's score most (the step without
which it would not read as a scam); when no single message matters on its own (the evidence repeats),
the one carrying the heaviest evidence.

What is collected, for how long and when the answer is sent is the face's business (the Telegram face
keeps a batch in memory for a couple of seconds: bot/faces/tg/batching.py); :class:`Batch` holds the
limits every face applies: at most :data:`MAX_MESSAGES` messages and :data:`MAX_CHARS` characters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import render
from bot.config import MAX_TEXT_CHARS
from bot.conversation.check import record_reply, verdict_reply
from bot.conversation.messages import Reply
from bot.model import Verdict
from bot.pipeline.engine import Engine

#: At most this many messages are judged together (Telegram's flood limit lets 10 through per 30 s).
MAX_MESSAGES = 10
#: … and at most this many characters in all (what the engine reads of one message).
MAX_CHARS = MAX_TEXT_CHARS
SEPARATOR = "\n"
SCAM_RISKS = ("high", "medium")
PHRASE_CHARS = 30


@dataclass
class Batch:
    """The texts of one batch, in order, within the limits."""

    texts: list[str] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(t) for t in self.texts) + len(SEPARATOR) * max(0, len(self.texts) - 1)

    def fits(self, text: str) -> bool:
        """Whether one more message stays within :data:`MAX_MESSAGES` and :data:`MAX_CHARS`."""
        return len(self.texts) < MAX_MESSAGES and self.chars + len(SEPARATOR) + len(text) <= MAX_CHARS

    def add(self, text: str) -> bool:
        """Add a message if it fits; whether it was added."""
        if not self.fits(text):
            return False
        self.texts.append(text)
        return True


@dataclass(frozen=True)
class ConversationVerdict:
    """The conversation's verdict, the decisive message (0-based; None when it is not a scam), the
    strongest reason found in it and its phrase, and each message's risk when judged alone."""

    verdict: Verdict
    decisive: int | None
    reason: str
    phrase: str
    alone: tuple[str, ...]

    @property
    def caught_only_together(self) -> bool:
        """A scam as a conversation, while no message alone would have been called one."""
        return self.verdict.is_scam and not any(r in SCAM_RISKS for r in self.alone)


def join(texts: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The texts joined, one per line, and each one's (start, end) in the joined text."""
    spans, pos = [], 0
    for t in texts:
        spans.append((pos, pos + len(t)))
        pos += len(t) + len(SEPARATOR)
    return SEPARATOR.join(texts), spans


def _evidence_weight(v: Verdict, span: tuple[int, int]) -> float:
    """How much of the verdict's signal weight rests on evidence inside ``span``."""
    total = 0.0
    for s in v.signals:
        inside = sum(1 for e in s.evidence if span[0] <= e.start < span[1])
        if inside and s.evidence:
            total += s.weight * inside / len(s.evidence)
    return total


def _key_reason(v: Verdict, span: tuple[int, int]) -> tuple[str, str]:
    """The heaviest signal with evidence in ``span``: its label and the phrase matched."""
    hits = [(s.weight, s, e) for s in v.signals for e in s.evidence if span[0] <= e.start < span[1]]
    if not hits:
        return "", ""
    _, s, e = max(hits, key=lambda h: h[0])
    return s.label or s.name, e.text[:PHRASE_CHARS]


def decisive_message(engine: Engine, texts: list[str], v: Verdict, spans: list[tuple[int, int]]) -> int:
    """The message without which the conversation's score drops most; ties (and no drop at all) go to
    the heaviest evidence, then the earliest message."""
    drops = []
    for i in range(len(texts)):
        rest = SEPARATOR.join(t for j, t in enumerate(texts) if j != i)
        without = engine.analyze(rest).score if rest.strip() else 0.0
        drops.append((round(v.score - without, 1), _evidence_weight(v, spans[i]), -i))
    return -max(drops)[2]


def judge(engine: Engine, texts: list[str], *, explain: bool = True) -> ConversationVerdict:
    """Judge the messages as one conversation (see the module docstring). One safeguard: when the joined
    text reads as harmless but one message alone is high-risk (a victim's "这是骗子吧？" around the scheme
    can read as a warning), that message's verdict stands — a forward must never lose a 🔴 by being
    joined. ``explain``: find the decisive message (costs one analysis per message)."""
    texts = [t if isinstance(t, str) else "" for t in texts][:MAX_MESSAGES]
    joined, spans = join(texts)
    v = engine.analyze(joined)
    singles = [engine.analyze(t) for t in texts]
    alone = tuple(s.risk if t.strip() else "none" for s, t in zip(singles, texts, strict=True))
    if not v.is_scam and "high" in alone:
        k = alone.index("high")
        reason, phrase = _key_reason(singles[k], (0, len(texts[k])))
        return ConversationVerdict(singles[k], k, reason, phrase, alone)
    if not v.is_scam or len(texts) < 2 or not explain:
        return ConversationVerdict(v, None, "", "", alone)
    k = decisive_message(engine, texts, v, spans)
    reason, phrase = _key_reason(v, spans[k])
    return ConversationVerdict(v, k, reason, phrase, alone)


def conversation_note(cv: ConversationVerdict) -> render.Note:
    """The line under the badge: how many messages were judged together, and where the decisive step is."""
    n = len(cv.alone)
    lead = f"📎 您连续发来的 {n} 条消息已合起来判断"
    if cv.decisive is None:
        return render.Note(lead=lead + "。")
    if cv.caught_only_together:
        lead += "（单独看每一条都不明显）"
    lead += f"；关键一步在第 {cv.decisive + 1} 条"
    if not cv.reason:
        return render.Note(lead=lead + "。")
    return render.Note(lead=lead + "：", title=cv.reason, rest=" ", quote=f"「{cv.phrase}」" if cv.phrase else "")


def conversation_reply(engine: Engine, texts: list[str], *, face: str | None = None, limit: int | None = None,
                       region: str = "", user_id: int | str | None = None) -> Reply:
    """The one answer to a batch: the conversation's verdict with the note under its badge, recorded in
    the checks log when ``face`` is given (its feedback buttons refer to that row; no 🚩 举报, which
    reports the one message a reply answers — /report with the text works instead), signed for ``user_id``
    (without one there are no buttons: nobody could press them validly)."""
    cv = judge(engine, texts)
    reply = verdict_reply(cv.verdict, limit, region)
    note = conversation_note(cv)
    if cv.verdict.traditional:
        note = note.in_traditional()
    reply.html = render.with_note(reply.html, render.note_html(note), limit)
    reply.text = render.with_note(reply.text, render.note_text(note), limit)
    reply.data = {"messages": len(texts), "decisive": cv.decisive, "alone": list(cv.alone)}
    if face:
        record_reply(engine, reply, face, report=False, user_id=user_id)
    return reply
