"""A small Telegram Bot API emulator for end-to-end tests: a real HTTP server on 127.0.0.1.

Why: the bot's tests must run the real polling ``Application`` — the code ``python run.py`` runs —
without Telegram. This server speaks just enough of the Bot API for python-telegram-bot's polling loop
and for what the bot sends (getMe, deleteWebhook, getUpdates with long polling and offset semantics,
sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery, answerInlineQuery, setMyCommands,
deleteMyCommands, getFile and file downloads, sendChatAction, and "ok" for anything else), and gives
tests a small API on top: inject updates (messages, button presses, inline queries), read what the bot sent, wait for replies, inject faults.

Only the standard library is used (``http.server.ThreadingHTTPServer`` in a thread), so long polls
never block the bot's other requests. Usage::

    with BotAPIEmulator() as api:
        env = {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_BASE_URL": api.base_url}
        ...
        api.message(42, "你好")
        reply = api.wait_replies(chat_id=42, count=1)[0]
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import html
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

#: Parameters PTB sends JSON-encoded inside form fields.
JSON_FIELDS = {"reply_markup", "reply_parameters", "entities", "caption_entities", "commands", "scope",
               "allowed_updates", "link_preview_options", "media", "results", "button"}
INT_FIELDS = {"message_id", "offset", "limit", "timeout", "user_id", "reply_to_message_id", "cache_time",
              "message_thread_id"}

_TAG = re.compile(r"<[^>]+>")


def html_to_plain(s: str) -> str:
    """What a Telegram client shows for an HTML-formatted message (tags removed, entities decoded)."""
    return html.unescape(_TAG.sub("", s))


#: Fault status meaning "close the connection without answering" (see BotAPIEmulator.drop).
DROP = 0
#: Fault status meaning "do the call, then close the connection without answering" (the request reached
#: Telegram and was carried out, but the answer was lost: BotAPIEmulator.drop(..., after=True)).
DROP_AFTER = -1


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None  # only calls for this chat (None: any)


@dataclass
class Sent:
    """A message the bot sent (or a later edit of it)."""

    message_id: int
    chat_id: int
    text: str  # as sent (HTML when parse_mode is HTML)
    parse_mode: str | None
    reply_to: int | None
    reply_markup: dict[str, Any] | None
    method: str
    api_message: dict[str, Any] = field(default_factory=dict)
    edits: int = 0

    @property
    def plain(self) -> str:
        return html_to_plain(self.text) if (self.parse_mode or "").upper() == "HTML" else self.text

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """Inline buttons as (label, callback data), flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]


class BotAPIEmulator:
    """The emulator. Thread-safe: the server threads and the test thread share one condition."""

    def __init__(self, token: str = "123456789:TEST-token-for-the-emulator", *, username: str = "PolicyGuardTestBot",
                 max_poll_wait: float = 5.0):
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]) if token.split(":")[0].isdigit() else 123456789,
                         "is_bot": True, "first_name": "保单卫士", "username": username,
                         "can_join_groups": True, "can_read_all_group_messages": True,
                         "supports_inline_queries": True}
        self.max_poll_wait = max_poll_wait
        self._cond = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._chats: dict[int, dict[str, Any]] = {}
        #: Users' messages by (chat id, message id): a reply the bot sends to one carries it as
        #: ``reply_to_message``, as Telegram does (one level deep), e.g. for callback queries.
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._stopping = False
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: list[dict[str, Any]] = []
        #: answerInlineQuery calls, as sent (``inline_query_id``, ``results``, ``button``, ``cache_time``…).
        self.inline_answers: list[dict[str, Any]] = []
        self._inline_ids = itertools.count(1)
        self.files: dict[str, tuple[str, bytes]] = {}
        self.get_updates_calls = 0
        self.errors: list[str] = []  # exceptions inside the emulator itself (a test may assert none)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> BotAPIEmulator:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="botapi-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> BotAPIEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_BASE_URL (PTB appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- test API: injecting updates ----------------------------------------------------------------

    def _user(self, user_id: int, first_name: str = "", language_code: str | None = None) -> dict[str, Any]:
        u: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name or f"用户{user_id}"}
        if language_code:
            u["language_code"] = language_code
        return u

    def _next_message_id(self, chat_id: int) -> int:
        with self._cond:
            counter = self._message_ids.setdefault(chat_id, itertools.count(1))
            return next(counter)

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an ``update_id`` is assigned)."""
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def message(self, user_id: int, text: str | None = None, *, chat_id: int | None = None,
                chat_type: str = "private", caption: str | None = None, photo: bytes | None = None,
                forwarded: bool = False, reply_to: dict[str, Any] | None = None,
                language_code: str | None = None, first_name: str = "", document: bytes | None = None,
                mime_type: str = "application/octet-stream", file_name: str = "file.bin",
                file_size: int | None = None) -> dict[str, Any]:
        """A message from user ``user_id``; in a private chat by default (chat id = user id), or in
        a group (``chat_type="group"``/``"supergroup"``, ``chat_id`` negative). ``forwarded`` adds a
        ``forward_origin``; ``photo`` attaches an image and ``document`` a file (``mime_type``,
        ``file_name``), both downloadable via getFile; ``file_size`` overrides the size the message
        reports for either (e.g. a 30 MB file without storing 30 MB); ``reply_to`` is a message dict
        returned by an earlier call. Returns the message as delivered."""
        cid = chat_id if chat_id is not None else (user_id if chat_type == "private" else -1000 - user_id)
        chat = {"id": cid, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name or f"用户{user_id}"
        else:
            chat["title"] = "家庭群"
        with self._cond:
            self._chats[cid] = chat
        msg: dict[str, Any] = {"message_id": self._next_message_id(cid), "date": int(time.time()), "chat": chat,
                               "from": self._user(user_id, first_name, language_code)}
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                head = text.split(maxsplit=1)[0] if text.strip() else text
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(head.encode("utf-16-le")) // 2}]
        if photo is not None:
            fid = self.add_file(photo, suffix=".jpg")
            msg["photo"] = [{"file_id": fid, "file_unique_id": "u" + fid, "width": 640, "height": 480,
                             "file_size": len(photo) if file_size is None else file_size}]
        if document is not None:
            fid = self.add_file(document, suffix="." + file_name.rsplit(".", 1)[-1] if "." in file_name else "")
            msg["document"] = {"file_id": fid, "file_unique_id": "u" + fid, "file_name": file_name,
                               "mime_type": mime_type, "file_size": len(document) if file_size is None else file_size}
        if caption is not None:
            msg["caption"] = caption
        if forwarded:
            msg["forward_origin"] = {"type": "hidden_user", "sender_user_name": "10690000", "date": int(time.time()) - 60}
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        with self._cond:
            self._messages[(cid, msg["message_id"])] = {k: v for k, v in msg.items() if k != "reply_to_message"}
        self.push_update({"message": msg})
        return msg

    def press(self, user_id: int, sent: Sent, data: str | None = None) -> str:
        """A user presses an inline button of a message the bot sent (``data``: its callback data; the
        first button's by default). Returns the callback query id."""
        data = data if data is not None else sent.buttons[0][1]
        qid = str(next(self._callback_ids))
        chat = self._chats.get(sent.chat_id) or {"id": sent.chat_id, "type": "private"}
        self.push_update({"callback_query": {
            "id": qid, "from": self._user(user_id), "chat_instance": f"ci{sent.chat_id}", "data": data,
            "message": {**sent.api_message, "chat": chat},
        }})
        return qid

    def inline_query(self, user_id: int, query: str, *, language_code: str | None = None,
                     chat_type: str = "group") -> str:
        """A user types ``@bot query`` in a chat of ``chat_type``; returns the inline query id (see
        :meth:`wait_inline_answer`)."""
        qid = f"iq{next(self._inline_ids)}"
        self.push_update({"inline_query": {"id": qid, "from": self._user(user_id, language_code=language_code),
                                           "query": query, "offset": "", "chat_type": chat_type}})
        return qid

    def wait_inline_answer(self, query_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the bot's answerInlineQuery to ``query_id``; returns its parameters."""
        def answered() -> dict[str, Any] | None:
            return next((a for a in self.inline_answers if str(a.get("inline_query_id")) == query_id), None)
        return self.wait_for(answered, timeout, f"the answer to inline query {query_id}")

    def add_file(self, content: bytes, *, suffix: str = ".bin") -> str:
        """Store a file the bot can fetch with getFile + download; returns its file_id."""
        n = next(self._file_ids)
        fid = f"file{n}"
        with self._cond:
            self.files[fid] = (f"files/{fid}{suffix}", content)
        return fid

    # --- test API: faults -------------------------------------------------------------------------------

    def fail(self, method: str, status: int, *, times: int = 1, retry_after: int | None = None,
             description: str | None = None, chat_id: int | None = None) -> None:
        """Make the next ``times`` calls of ``method`` ("*" for any) fail with HTTP ``status`` (and a
        ``retry_after`` parameter for 429); with ``chat_id`` only calls for that chat (Telegram's
        per-chat limits). ``description="too long"`` gives Telegram's "message is too long"."""
        desc = description or {400: "Bad Request: message text is empty", 403: "Forbidden: bot was blocked by the user",
                               429: f"Too Many Requests: retry after {retry_after}",
                               500: "Internal Server Error"}.get(status, f"Error {status}")
        if desc == "too long":
            desc = "Bad Request: message is too long"
        with self._cond:
            q = self._faults.setdefault(method, deque())
            q.extend(Fault(status, desc, retry_after, chat_id) for _ in range(times))

    def drop(self, method: str, *, times: int = 1, after: bool = False) -> None:
        """Make the next ``times`` calls of ``method`` ("*" for any) fail at the network level: the
        request is read, then the connection is closed without a response. By default nothing is done
        (the connection broke before the request reached Telegram); with ``after`` the call is carried
        out first (a message is delivered) and only the answer is lost."""
        with self._cond:
            q = self._faults.setdefault(method, deque())
            q.extend(Fault(DROP_AFTER if after else DROP, "connection closed") for _ in range(times))

    def faults_left(self, method: str) -> int:
        with self._cond:
            return len(self._faults.get(method, ()))

    # --- test API: reading what the bot did ---------------------------------------------------------------

    def replies(self, chat_id: int | None = None) -> list[Sent]:
        with self._cond:
            return [s for s in self.sent if chat_id is None or s.chat_id == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._cond:
            return [p for m, p in self.calls if m == method]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every request the bot makes)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
                self._cond.wait(min(left, 0.2))

    def wait_replies(self, chat_id: int | None = None, count: int = 1, timeout: float = 10.0) -> list[Sent]:
        """Wait until the bot has sent at least ``count`` messages to ``chat_id``; returns them all."""
        def enough() -> list[Sent] | None:
            got = self.replies(chat_id)
            return got if len(got) >= count else None
        return self.wait_for(enough, timeout, f"{count} replies to chat {chat_id}")

    def wait_polling(self, timeout: float = 20.0, calls: int = 1) -> None:
        """Wait until the bot has called getUpdates ``calls`` times (it is up and polling)."""
        start = self.get_updates_calls
        self.wait_for(lambda: self.get_updates_calls >= start + calls, timeout, "getUpdates")

    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    # --- the Bot API ---------------------------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._cond:
            self.calls.append((method, params))
            fault = None
            for key in (method, "*"):
                q = self._faults.get(key)
                hit = next((f for f in q or () if f.chat_id is None or str(f.chat_id) == str(params.get("chat_id"))),
                           None)
                if hit is not None:
                    q.remove(hit)  # type: ignore[union-attr]
                    fault = hit
                    break
            self._cond.notify_all()
        if fault is not None and fault.status == DROP_AFTER:
            fn = getattr(self, "api_" + method, None)
            if fn is not None:
                fn(params)
            return DROP, {}
        if fault is not None:
            if method == "getUpdates":
                with self._cond:
                    self.get_updates_calls += 1
            if fault.status == DROP:
                return DROP, {}
            body: dict[str, Any] = {"ok": False, "error_code": fault.status, "description": fault.description}
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            return fault.status, body
        fn = getattr(self, "api_" + method, None)
        result = fn(params) if fn is not None else True
        return 200, {"ok": True, "result": result}

    def api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + timeout
        with self._cond:
            self.get_updates_calls += 1
            self._cond.notify_all()
            if offset > 0:  # confirm everything before the offset
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while True:
                if offset < 0:
                    ready = self._updates[offset:]
                else:
                    ready = [u for u in self._updates if u["update_id"] >= offset]
                left = deadline - time.monotonic()
                if ready or left <= 0 or self._stopping:
                    return ready[:limit]
                self._cond.wait(left)

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            cid = 0
        return self._chats.get(cid) or {"id": cid, "type": "private" if cid > 0 else "group"}

    def _store_message(self, method: str, params: dict[str, Any], text: str) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"))
        reply_to = params.get("reply_to_message_id")
        rp = params.get("reply_parameters")
        if isinstance(rp, dict):
            reply_to = rp.get("message_id")
        mid = self._next_message_id(chat["id"])
        api_message: dict[str, Any] = {"message_id": mid, "date": int(time.time()), "chat": chat,
                                       "from": self.bot_user, "text": html_to_plain(text)
                                       if str(params.get("parse_mode") or "").upper() == "HTML" else text}
        markup = params.get("reply_markup") if isinstance(params.get("reply_markup"), dict) else None
        if markup:
            api_message["reply_markup"] = markup
        with self._cond:
            if reply_to and (chat["id"], int(reply_to)) in self._messages:
                api_message["reply_to_message"] = self._messages[(chat["id"], int(reply_to))]
            self.sent.append(Sent(mid, chat["id"], text, params.get("parse_mode"), int(reply_to) if reply_to else None,
                                  markup, method, api_message))
            self._cond.notify_all()
        return api_message

    def api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store_message("sendMessage", params, str(params.get("text") or ""))

    def api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store_message("sendPhoto", params, str(params.get("caption") or ""))

    def api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._store_message("sendDocument", params, str(params.get("caption") or ""))

    def _find(self, params: dict[str, Any]) -> Sent | None:
        try:
            cid, mid = int(params.get("chat_id")), int(params.get("message_id"))
        except (TypeError, ValueError):
            return None
        for s in self.sent:
            if s.chat_id == cid and s.message_id == mid:
                return s
        return None

    def api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        with self._cond:
            s = self._find(params)
            if s is None:
                return True
            s.text = str(params.get("text") or "")
            s.parse_mode = params.get("parse_mode")
            s.reply_markup = params.get("reply_markup") if isinstance(params.get("reply_markup"), dict) else None
            s.edits += 1
            s.api_message["text"] = s.plain
            self._cond.notify_all()
            return s.api_message

    def api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        with self._cond:
            s = self._find(params)
            if s is None:
                return True
            s.reply_markup = params.get("reply_markup") if isinstance(params.get("reply_markup"), dict) else None
            s.edits += 1
            self._cond.notify_all()
            return s.api_message

    def api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self.callback_answers.append(params)
            self._cond.notify_all()
        return True

    def api_answerInlineQuery(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self.inline_answers.append(params)
            self._cond.notify_all()
        return True

    def api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        fid = str(params.get("file_id") or "")
        path, content = self.files.get(fid, (f"files/{fid}", b""))
        return {"file_id": fid, "file_unique_id": "u" + fid, "file_size": len(content), "file_path": path}

    def download(self, path: str) -> bytes | None:
        for p, content in self.files.values():
            if p == path:
                return content
        return None


class _Handler(BaseHTTPRequestHandler):
    """One HTTP request → one Bot API call (or a file download)."""

    emulator: BotAPIEmulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence per-request logging
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. a cancelled long poll)
            self.close_connection = True

    def _json(self, status: int, obj: dict[str, Any]) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode())

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def _dispatch(self, body: bytes) -> None:
        em = self.emulator
        try:
            url = urlsplit(self.path)
            parts = url.path.split("/")
            if len(parts) >= 4 and parts[1] == "file" and parts[2].startswith("bot"):
                # PTB percent-encodes the download path (the token's ":" arrives as %3A), as Telegram accepts
                token, fpath = unquote(parts[2][3:]), unquote("/".join(parts[3:]))
                content = em.download(fpath) if token == em.token else None
                if content is None:
                    self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                else:
                    self._send(200, content, "application/octet-stream")
                return
            if len(parts) != 3 or not parts[1].startswith("bot"):
                self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                return
            if parts[1][3:] != em.token:
                self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            params = _params(self.headers.get("Content-Type") or "", body, url.query)
            status, obj = em.handle(parts[2], params)
            if status == DROP:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)  # socket.SHUT_RDWR: the client sees the connection end
                return
            self._json(status, obj)
        except Exception as e:  # the emulator must not take the bot down with it; tests can see this
            em.errors.append(f"{type(e).__name__}: {e}")
            self._json(500, {"ok": False, "error_code": 500, "description": f"emulator error: {type(e).__name__}"})


def _params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """Request parameters from a query string, JSON, form-urlencoded or multipart body."""
    raw: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json" and body:
        obj = json.loads(body.decode("utf-8"))
        if isinstance(obj, dict):
            raw.update(obj)
        return raw
    if ctype == "application/x-www-form-urlencoded":
        raw.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()})
    elif ctype == "multipart/form-data":
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                raw[name] = {"filename": part.get_filename(), "size": len(payload)}
            else:
                raw[name] = payload.decode("utf-8", "replace")
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if k in JSON_FIELDS and isinstance(v, str):
            with contextlib.suppress(ValueError):
                v = json.loads(v)
        elif k in INT_FIELDS and isinstance(v, str) and v.lstrip("-").isdigit():
            v = int(v)
        out[k] = v
    return out
