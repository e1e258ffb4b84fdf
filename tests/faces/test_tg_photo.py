"""End-to-end: screenshots sent to the real polling bot (bot.tg.photos) through the Bot API emulator.

The emulator serves getFile and the file download; the OCR model is loaded once for this module.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.faces.tg import photos
from bot.pipeline import ocr

SHOTS = Path(__file__).resolve().parents[1] / "fixtures" / "screenshots"
CUSTOMER = 42
OTHER = 43
LEGIT_TEXT = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"
#: OCR of a screenshot takes seconds; the replies are waited for this long.
WAIT = 90.0


@pytest.fixture(scope="module", autouse=True)
def model() -> float:
    return ocr.preload()


def shot(name: str) -> bytes:
    return (SHOTS / name).read_bytes()


def scam_badge(text: str) -> bool:
    return text.startswith(("🔴", "🟠"))


def test_scam_screenshot_photo_gets_the_badge_and_the_text_read(tg_bot, botapi):
    botapi.message(CUSTOMER, photo=shot("sms_surrender_invest.png"))
    [reply] = botapi.wait_replies(CUSTOMER, 1, timeout=WAIT)
    lines = reply.plain.split("\n")
    assert scam_badge(lines[0]), reply.plain[:120]
    assert lines[1].startswith("📷 识别出的文字") and "退保" in lines[1] and "理财" in lines[1]
    assert reply.parse_mode == "HTML" and "<i>" in reply.text and len(reply.text) <= 4096
    assert [b[0] for b in reply.buttons] == ["👍 有帮助", "🙅 误报"]  # the same feedback as for text
    assert botapi.calls_of("getFile") and not botapi.errors


def test_legit_screenshot_as_an_image_file_is_not_flagged(tg_bot, botapi):
    botapi.message(CUSTOMER, document=shot("legit_renewal_95519.png"), mime_type="image/png",
                   file_name="Screenshot_20240708.png")
    [reply] = botapi.wait_replies(CUSTOMER, 1, timeout=WAIT)
    assert reply.plain.startswith(("🟢", "🟡")), reply.plain[:120]
    assert "95519" in reply.plain.split("\n")[1]


def test_recognised_text_is_html_escaped(tg_bot, botapi):
    botapi.message(CUSTOMER, photo=shot("sms_claim_fee_link.png"))
    [reply] = botapi.wait_replies(CUSTOMER, 1, timeout=WAIT)
    assert scam_badge(reply.plain)
    assert "http://pa-lipei.cn/k8s2" in reply.plain.split("\n")[1]
    assert "<a " not in reply.text.split("\n")[1]  # shown as text, not as a link the reply makes


def test_30mb_image_file_is_refused_before_download(tg_bot, botapi):
    botapi.message(CUSTOMER, document=b"\x89PNG\r\n\x1a\n", mime_type="image/png", file_name="big.png",
                   file_size=30 * 1024 * 1024)
    [reply] = botapi.wait_replies(CUSTOMER, 1)
    assert "太大" in reply.plain and "30.0 MB" in reply.plain and "10.0 MB" in reply.plain
    assert botapi.calls_of("getFile") == []  # never downloaded


def test_oversized_photo_is_refused_before_download(tg_bot, botapi):
    botapi.message(CUSTOMER, photo=b"\xff\xd8\xff", file_size=11 * 1024 * 1024)
    [reply] = botapi.wait_replies(CUSTOMER, 1)
    assert "太大" in reply.plain and botapi.calls_of("getFile") == []


@pytest.mark.parametrize("mime, name", [("application/pdf", "保单.pdf"), ("application/zip", "a.zip"),
                                        ("text/plain", "note.txt")])
def test_non_image_file_is_refused(tg_bot, botapi, mime, name):
    botapi.message(CUSTOMER, document=b"%PDF-1.4 not an image", mime_type=mime, file_name=name)
    [reply] = botapi.wait_replies(CUSTOMER, 1)
    assert reply.plain == photos.NOT_IMAGE
    assert botapi.calls_of("getFile") == []


def test_image_file_that_is_not_an_image_and_a_blank_image(tg_bot, botapi):
    botapi.message(CUSTOMER, document=b"this is text pretending", mime_type="image/png", file_name="x.png")
    [reply] = botapi.wait_replies(CUSTOMER, 1, timeout=WAIT)
    assert not scam_badge(reply.plain) and "没能看清" in reply.plain and "不是图片" in reply.plain

    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (600, 400), "white").save(buf, "PNG")
    botapi.message(CUSTOMER, photo=buf.getvalue())
    reply = botapi.wait_replies(CUSTOMER, 2, timeout=WAIT)[1]
    # poor recognition: says so and asks for the text, no badge, no guess
    assert reply.plain.startswith("📷") and "复制粘贴" in reply.plain and "风险" not in reply.plain


def test_unreadable_photo_with_a_caption_checks_the_caption(tg_bot, botapi):
    botapi.message(CUSTOMER, photo=b"\x89PNG fake", caption="您的保单收益过低，现可办理退保转入我司内部理财产品，"
                   "年化10%保本保息，详询13912345678")
    [reply] = botapi.wait_replies(CUSTOMER, 1, timeout=WAIT)
    assert scam_badge(reply.plain) and "只检查了图片说明" in reply.plain.split("\n")[1]


def test_group_check_in_reply_to_a_screenshot(tg_bot, botapi):
    group = -1002
    pic = botapi.message(CUSTOMER, photo=shot("chat_agent_surrender.png"), chat_type="supergroup", chat_id=group)
    time.sleep(1.0)
    assert botapi.replies(group) == [] and botapi.calls_of("getFile") == []  # pictures are not read unasked
    botapi.message(OTHER, "/check", chat_type="supergroup", chat_id=group, reply_to=pic)
    [reply] = botapi.wait_replies(group, 1, timeout=WAIT)
    assert scam_badge(reply.plain) and reply.reply_to == pic["message_id"]
    assert "全额退保" in reply.plain.split("\n")[1]
    # /check with text of its own still checks that text, not the picture
    botapi.message(OTHER, "/check " + LEGIT_TEXT, chat_type="supergroup", chat_id=group, reply_to=pic)
    second = botapi.wait_replies(group, 2, timeout=WAIT)[1]
    assert second.plain.startswith(("🟢", "🟡")) and "识别出的文字" not in second.plain


def test_other_users_are_answered_while_a_screenshot_is_read(tg_bot, botapi):
    botapi.message(CUSTOMER, photo=shot("chat_agent_surrender.png"))
    botapi.wait_for(lambda: botapi.calls_of("getFile"), 30, "the screenshot download")
    sent = time.perf_counter()
    botapi.message(OTHER, LEGIT_TEXT)
    [text_reply] = botapi.wait_replies(OTHER, 1, timeout=WAIT)
    text_latency = time.perf_counter() - sent
    [photo_reply] = botapi.wait_replies(CUSTOMER, 1, timeout=WAIT)
    assert scam_badge(photo_reply.plain) and text_reply.plain.startswith(("🟢", "🟡"))
    # the text was answered first, while the screenshot was still being read
    assert text_reply.message_id and botapi.sent.index(text_reply) < botapi.sent.index(photo_reply)
    assert text_latency < 5.0, f"a text waited {text_latency:.1f} s behind a screenshot"
