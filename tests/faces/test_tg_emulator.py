"""The Bot API emulator itself (tests/botapi_emulator.py), spoken to with plain urllib."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from botapi_emulator import BotAPIEmulator

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(api: BotAPIEmulator, method: str, token: str | None = None, **params) -> tuple[int, dict]:
    data = urllib.parse.urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}).encode()
    req = urllib.request.Request(f"{api.base_url}{token or api.token}/{method}", data,
                                 {"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with NO_PROXY.open(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_get_updates_offset_semantics_and_long_polling(botapi):
    status, body = call(botapi, "getMe")
    assert status == 200 and body["result"]["is_bot"]
    t = time.monotonic()
    assert call(botapi, "getUpdates", timeout=1)[1]["result"] == []
    assert time.monotonic() - t >= 0.9  # it waited (long polling)
    m1 = botapi.message(1, "a")
    botapi.message(2, "b", chat_type="group")
    ups = call(botapi, "getUpdates", timeout=0)[1]["result"]
    assert [u["message"]["text"] for u in ups] == ["a", "b"] and ups[0]["message"] == m1
    assert ups[1]["message"]["chat"]["id"] < 0
    # not confirmed yet: delivered again; an offset confirms what came before it
    assert len(call(botapi, "getUpdates", timeout=0)[1]["result"]) == 2
    ups = call(botapi, "getUpdates", offset=ups[1]["update_id"], timeout=0)[1]["result"]
    assert [u["message"]["text"] for u in ups] == ["b"]
    assert call(botapi, "getUpdates", offset=ups[0]["update_id"] + 1, timeout=0)[1]["result"] == []
    assert botapi.pending_updates() == 0


def test_a_waiting_long_poll_returns_as_soon_as_an_update_arrives(botapi):
    threading.Timer(0.3, lambda: botapi.message(1, "late")).start()
    t = time.monotonic()
    ups = call(botapi, "getUpdates", timeout=5)[1]["result"]
    assert [u["message"]["text"] for u in ups] == ["late"] and time.monotonic() - t < 3


def test_send_edit_answer_and_read_back(botapi):
    botapi.message(5, "hi")
    markup = {"inline_keyboard": [[{"text": "👍", "callback_data": "fb:1:up"}]]}
    status, body = call(botapi, "sendMessage", chat_id="5", text="<b>🔴 高风险</b> &amp; x", parse_mode="HTML",
                        reply_markup=markup, reply_parameters={"message_id": 1})
    assert status == 200 and body["result"]["text"] == "🔴 高风险 & x"
    [sent] = botapi.wait_replies(5, 1)
    assert sent.plain == "🔴 高风险 & x" and sent.reply_to == 1 and sent.buttons == [("👍", "fb:1:up")]
    call(botapi, "editMessageText", chat_id="5", message_id=str(sent.message_id), text="changed")
    assert sent.text == "changed" and sent.edits == 1 and sent.buttons == []
    qid = botapi.press(5, sent, "fb:1:up")
    [up] = call(botapi, "getUpdates", offset=2, timeout=0)[1]["result"]
    assert up["callback_query"]["id"] == qid and up["callback_query"]["message"]["message_id"] == sent.message_id
    call(botapi, "answerCallbackQuery", callback_query_id=qid, text="谢谢")
    assert botapi.callback_answers[0]["text"] == "谢谢"
    assert call(botapi, "setMyCommands", commands=[{"command": "start", "description": "x"}])[1]["result"] is True
    assert botapi.calls_of("setMyCommands")[0]["commands"][0]["command"] == "start"
    assert call(botapi, "someFutureMethod", x="1")[1] == {"ok": True, "result": True}


def test_fault_injection(botapi):
    botapi.fail("sendMessage", 429, retry_after=3, times=2)
    botapi.fail("getMe", 500)
    for _ in range(2):
        status, body = call(botapi, "sendMessage", chat_id="1", text="x")
        assert status == 429 and body["parameters"]["retry_after"] == 3 and not body["ok"]
    assert call(botapi, "sendMessage", chat_id="1", text="x")[0] == 200
    assert call(botapi, "getMe")[0] == 500 and call(botapi, "getMe")[0] == 200
    for code in (400, 403):
        botapi.fail("*", code)
        assert call(botapi, "anything")[0] == code
    assert call(botapi, "getMe", token="1:wrong")[0] == 401


def test_files_and_multipart_bodies(botapi):
    msg = botapi.message(7, photo=b"\x89PNG...", caption="看看这个")
    fid = msg["photo"][0]["file_id"]
    path = call(botapi, "getFile", file_id=fid)[1]["result"]["file_path"]
    with NO_PROXY.open(f"{botapi.base_file_url}{botapi.token}/{path}", timeout=5) as r:
        assert r.read() == b"\x89PNG..."
    try:
        NO_PROXY.open(f"{botapi.base_file_url}{botapi.token}/files/nope", timeout=5)
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as e:
        assert e.code == 404
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n7\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n图片说明\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + b"\xff\xd8\xff" * 100 + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"{botapi.base_url}{botapi.token}/sendPhoto", body,
                                 {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with NO_PROXY.open(req, timeout=5) as r:
        assert json.loads(r.read())["ok"]
    [sent] = botapi.replies(7)
    assert sent.method == "sendPhoto" and sent.text == "图片说明"
    assert botapi.calls_of("sendPhoto")[0]["photo"] == {"filename": "a.jpg", "size": 300}
    assert botapi.errors == []
