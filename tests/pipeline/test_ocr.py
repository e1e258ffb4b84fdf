"""Screenshots (bot/pipeline/ocr.py): reading order, verdicts on the fixture screenshots, refusals, and
``python run.py check --image`` (bot/faces/cli/check.py).

The fixture PNGs under tests/fixtures/screenshots/ are rendered by tools/render_screenshots.py (the
texts are in that script). The OCR model is loaded once for this module, and every screenshot is read
once (the ``read`` fixture caches the results): recognition costs seconds per image.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_support import Ran, run_cli
from PIL import Image

from bot.pipeline import ocr
from bot.pipeline.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "fixtures" / "screenshots"

#: screenshot → (expected scam type, phrases the recognised text must contain)
SCAMS = {
    "sms_surrender_invest.png": ("surrender_for_investment", ["退保", "理财", "保本保息", "年化收益9.6%"]),
    "chat_agent_surrender.png": ("agent_surrender", ["全额退保", "服务费", "委托协议", "自愿退保"]),
    # Traditional script: PP-OCR's Chinese dictionary lacks some Traditional characters (違 規 險 監 賬),
    # which are dropped; what remains is enough, and these phrases are read correctly.
    "sms_traditional_regulator.png": ("fake_regulator", ["退保", "資金轉入", "凍結", "0755-23658841"]),
    "sms_claim_fee_link.png": ("fake_claim_fee", ["理赔款", "手续费", "http://pa-lipei.cn/k8s2"]),
}
LEGIT = {
    "legit_renewal_95519.png": ["95519", "保费", "自动划款"],
    "legit_antifraud_95511.png": ["95511", "退保", "不会索要短信验证码"],
}


@pytest.fixture(scope="module")
def model() -> float:
    """Load the OCR model once for the module; the load time (s)."""
    return ocr.preload()


@pytest.fixture(scope="module")
def read(model: float):
    cache: dict[str, ocr.OcrResult] = {}

    def get(name: str) -> ocr.OcrResult:
        if name not in cache:
            cache[name] = ocr.read_image((SHOTS / name).read_bytes())
        return cache[name]

    return get


def _png(img: Image.Image) -> bytes:
    b = io.BytesIO()
    img.save(b, "PNG")
    return b.getvalue()


# --- the fixture screenshots ---------------------------------------------------------------------------

def test_fixtures_are_small_pngs() -> None:
    names = {p.name for p in SHOTS.glob("*.png")}
    assert set(SCAMS) | set(LEGIT) <= names
    for p in SHOTS.glob("*.png"):
        assert p.stat().st_size < 160 * 1024, p.name


@pytest.mark.parametrize("name", sorted(SCAMS))
def test_scam_screenshot_text_and_flag(name: str, read, engine: Engine) -> None:
    res = read(name)
    assert res.ok, res.reason
    assert res.confidence >= ocr.MIN_CONFIDENCE and res.lines >= 3
    for phrase in SCAMS[name][1]:
        assert phrase in res.text, f"{phrase!r} not in the OCR text of {name}: {res.text!r}"
    v = engine.analyze(res.text)
    assert v.risk in ("high", "medium"), f"{name} not flagged ({v.risk}, {v.score}); OCR text: {res.text!r}"


@pytest.mark.parametrize("name", sorted(SCAMS))
def test_scam_screenshot_type(name: str, read, engine: Engine) -> None:
    v = engine.analyze(read(name).text)
    assert SCAMS[name][0] in v.scam_types, (name, v.scam_types)


def test_claim_fee_link_is_extracted(read, engine: Engine) -> None:
    v = engine.analyze(read("sms_claim_fee_link.png").text)
    assert any("pa-lipei.cn" in u for u in v.url_list)


@pytest.mark.parametrize("name", sorted(LEGIT))
def test_legit_screenshot_not_flagged(name: str, read, engine: Engine) -> None:
    res = read(name)
    assert res.ok, res.reason
    for phrase in LEGIT[name]:
        assert phrase in res.text, f"{phrase!r} not in the OCR text of {name}: {res.text!r}"
    v = engine.analyze(res.text)
    assert v.risk in ("none", "low"), f"{name} flagged as {v.risk} ({v.score}): {[s.name for s in v.signals]}"
    assert any(lk.status == "official" for lk in v.numbers)  # the sender's 955xx number, read from the header


def test_reading_order_and_wrapped_lines(read) -> None:
    text = read("chat_agent_surrender.png").text
    # bubbles top to bottom
    order = [text.index(p) for p in ("全额退保", "真的能全退吗", "服务费", "自愿退保", "我考虑一下", "尽快决定")]
    assert order == sorted(order)
    # a bubble wrapped over several lines is one paragraph: words cut by the wrap are whole again
    assert "被业务员误导" in text and "自愿退保" in text
    assert "\n" in text  # …and different bubbles are different paragraphs
    assert "21:40" not in text  # the status bar's clock is left out
    assert "维权顾问-李老师" in text  # the chat's title is kept (who the messages are from)


def test_sender_number_from_the_sms_header(read, engine: Engine) -> None:
    v = engine.analyze(read("sms_surrender_invest.png").text)
    assert any(lk.normalized.endswith("17123456789") for lk in v.numbers)


def test_analyze_image(engine: Engine, model: float) -> None:
    res, v = ocr.analyze_image(engine, (SHOTS / "sms_claim_fee_link.png").read_bytes())
    assert res.ok and v is not None and v.is_scam
    res, v = ocr.analyze_image(engine, b"not an image")
    assert not res.ok and v is None


def test_result_dict_has_the_contract_fields(read) -> None:
    d = read("legit_renewal_95519.png").to_dict()
    assert set(d) == {"text", "confidence", "lines", "ok", "reason"}
    assert 0 < d["confidence"] <= 1


# --- refusals: never an exception ---------------------------------------------------------------------------

def _truncated_png() -> bytes:
    data = (SHOTS / "sms_surrender_invest.png").read_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize("data, reason", [
    (b"", ocr.REASON_EMPTY),
    ("这是一段文字，不是图片".encode(), ocr.REASON_NOT_IMAGE),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", ocr.REASON_NOT_IMAGE),
    (b"\x89PNG\r\n\x1a\n", ocr.REASON_NOT_IMAGE),  # a PNG signature and nothing else
    (_truncated_png(), ocr.REASON_BROKEN),
], ids=["empty", "text", "pdf", "png-signature-only", "truncated-png"])
def test_refusals(data: bytes, reason: str) -> None:
    res = ocr.read_image(data)
    assert not res.ok and res.reason == reason and res.text == "" and res.lines == 0


def test_30mb_file_is_refused_without_decoding() -> None:
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(1024) * (30 * 1024)
    started = time.perf_counter()
    res = ocr.read_image(data)
    assert not res.ok and "太大" in res.reason and "30.0 MB" in res.reason
    assert time.perf_counter() - started < 1.0
    assert ocr.too_big(len(data)) and ocr.too_big(ocr.MAX_IMAGE_BYTES) is None and ocr.too_big(None) is None


@pytest.mark.parametrize("side", [8000, 30000])
def test_decompression_bomb_is_refused(side: int) -> None:
    # a few KB of PNG that decodes to 64 MP / 900 MP: refused from the header, never decoded
    data = _png(Image.new("1", (side, side)))
    assert len(data) < ocr.MAX_IMAGE_BYTES
    res = ocr.read_image(data)
    assert not res.ok and res.reason == ocr.REASON_TOO_MANY_PIXELS


@pytest.mark.parametrize("size", [(12, 1600), (1600, 8), (5, 3000), (400, 1200)])
def test_extreme_aspect_ratios_are_padded(size: tuple[int, int]) -> None:
    img = ocr.bounded_aspect(Image.new("RGB", size, "black"))
    w, h = img.size
    assert max(w, h) <= ocr.MAX_ASPECT * min(w, h) + 1 and w >= size[0] and h >= size[1]
    assert img.getpixel((0, 0)) == (0, 0, 0)  # the content stays at the top left


def test_thin_strip_is_read_without_blowing_up(model: float) -> None:
    # without padding the detector would scale this to 736 x 88,320 px
    res = ocr.read_image(_png(Image.new("RGB", (20, 2400), "white")))
    assert not res.ok and res.reason == ocr.REASON_NO_TEXT and res.seconds < 60


def test_image_without_text_is_poor(model: float) -> None:
    res = ocr.read_image(_png(Image.new("RGB", (400, 300), "white")))
    assert not res.ok and res.reason == ocr.REASON_NO_TEXT


def test_low_confidence_is_poor() -> None:
    box = [[0, 0], [300, 0], [300, 30], [0, 30]]
    raw = [[box, "尊敬的客户您的保单已经到期请尽快", 0.55],
           [[[0, 40], [300, 40], [300, 70], [0, 70]], "办理相关业务详情咨询", 0.6]]
    res = ocr._result_from_boxes(raw, (300, 70))
    assert not res.ok and "看不清" in res.reason and res.confidence < ocr.MIN_CONFIDENCE
    good = ocr._result_from_boxes([[box, "尊敬的客户您的保单已经到期请尽快", 0.97]], (300, 30))
    assert good.ok and good.lines == 1


def test_boxes_on_one_line_are_merged_left_to_right() -> None:
    def b(x0: int, y0: int, text: str) -> list:
        return [[[x0, y0], [x0 + 100, y0], [x0 + 100, y0 + 30], [x0, y0 + 30]], text, 0.99]

    raw = [b(300, 102, "官方客服"), b(0, 100, "请拨打"), b(150, 98, "95519"), b(0, 300, "另一段文字内容")]
    res = ocr._result_from_boxes(raw, (500, 400))
    assert res.text == "请拨打95519官方客服\n另一段文字内容" and res.lines == 2


def test_large_and_odd_images_are_read(model: float) -> None:
    src = Image.open(SHOTS / "sms_surrender_invest.png")
    big = io.BytesIO()
    src.convert("RGB").resize((src.width * 3, src.height * 3)).save(big, "JPEG", quality=80)
    res = ocr.read_image(big.getvalue())  # 2160 x 4560 → scaled to 1600 px on the longest side
    assert res.ok and "退保" in res.text and res.width == src.width * 3
    res = ocr.read_image(_png(src.convert("RGBA")))  # transparency: composited on white
    assert res.ok and "理财" in res.text


def test_nothing_is_logged_but_counts(read, caplog: pytest.LogCaptureFixture) -> None:
    data = (SHOTS / "sms_claim_fee_link.png").read_bytes()
    with caplog.at_level(logging.DEBUG):
        res = ocr.read_image(data)
    assert res.ok
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for line in res.text.splitlines():
        assert line not in logged
    assert "理赔" not in logged and "pa-lipei" not in logged


def test_async_reading_leaves_the_event_loop_free(model: float) -> None:
    data = (SHOTS / "legit_renewal_95519.png").read_bytes()

    async def main() -> tuple[ocr.OcrResult, int, float]:
        ticks = 0
        worst = 0.0
        task = asyncio.create_task(ocr.read_image_async(data))
        last = time.perf_counter()
        while not task.done():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now
            ticks += 1
        return await task, ticks, worst

    res, ticks, worst = asyncio.run(main())
    assert res.ok and "95519" in res.text
    assert ticks >= 10  # the loop kept running while the worker thread read the image
    assert worst < 0.5, f"the event loop stalled for {worst:.2f} s"


# --- the command line ----------------------------------------------------------------------------------------

def _run(args: list[str], tmp_path: Path) -> Ran:
    """``python run.py check *args`` in this process (the model stays loaded between tests)."""
    return run_cli(["check", *args], tmp_path / "cli.db")


def test_cli_image_json(tmp_path: Path) -> None:
    p = _run(["--image", str(SHOTS / "sms_surrender_invest.png"), "--json"], tmp_path)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["risk"] in ("high", "medium") and "surrender_for_investment" in d["scam_types"]
    assert set(d["ocr"]) >= {"text", "confidence", "lines", "ok", "reason"}
    assert d["ocr"]["ok"] is True and "退保" in d["ocr"]["text"] and d["ocr"]["lines"] >= 3
    assert d["ocr"]["confidence"] >= ocr.MIN_CONFIDENCE and d["ocr"]["reason"] == ""
    assert "Traceback" not in p.stderr


def test_cli_image_text(tmp_path: Path) -> None:
    p = _run(["--image", str(SHOTS / "legit_antifraud_95511.png")], tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(("🟢", "🟡")) and "识别出的文字" in p.stdout and "95511" in p.stdout


@pytest.mark.parametrize("make, status", [
    (lambda d: (d / "missing.png"), 1),
    (lambda d: (d / "note.txt", (d / "note.txt").write_text("不是图片", encoding="utf-8"))[0], 1),
    (lambda d: (d / "empty.png", (d / "empty.png").write_bytes(b""))[0], 1),
    (lambda d: (d / "cut.png", (d / "cut.png").write_bytes(_truncated_png()))[0], 0),
    (lambda d: (d / "big.png", (d / "big.png").write_bytes(b"\x89PNG" + b"\0" * (30 * 1024 * 1024)))[0], 0),
], ids=["missing", "text-file", "empty", "truncated-png", "30mb"])
def test_cli_bad_files(make, status: int, tmp_path: Path) -> None:
    path = make(tmp_path)
    p = _run(["--image", str(path), "--json"], tmp_path)
    assert p.returncode == status, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    if status == 1:
        assert len(p.stderr.strip().splitlines()) == 1 and str(path) in p.stderr
    if path.exists():  # an answer on stdout too: risk none, ocr.ok false, and why
        d = json.loads(p.stdout)
        assert d["risk"] == "none" and d["ocr"]["ok"] is False and d["ocr"]["reason"]
    p = _run(["--image", str(path)], tmp_path)  # the text form says so in words
    assert p.returncode == status and "Traceback" not in p.stderr
    assert (p.stderr if status else p.stdout).strip()


def test_cli_not_an_image_in_a_real_process(tmp_path: Path) -> None:
    """Smoke test: as users run it, the refusal is the only line on stderr (nothing logged there), and
    --json still answers on stdout; the model is never loaded for a file that is no image."""
    note = tmp_path / "note.txt"
    note.write_text("不是图片", encoding="utf-8")
    env = {**os.environ, "BOT_DB_PATH": str(tmp_path / "cli.db"), "PYTHONIOENCODING": "utf-8"}
    p = subprocess.run([sys.executable, "run.py", "check", "--image", str(note), "--json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=240)
    assert p.returncode == 1 and p.stderr == f"无法识别 {note}：{ocr.REASON_NOT_IMAGE}\n"
    d = json.loads(p.stdout)
    assert d["risk"] == "none" and d["ocr"] == {"text": "", "confidence": 0.0, "lines": 0, "ok": False,
                                                 "reason": ocr.REASON_NOT_IMAGE}
    assert p.stdout == run_cli(["check", "--image", str(note), "--json"], tmp_path / "cli.db").stdout


@pytest.mark.parametrize("data, expected", [
    (b"", True), ("不是图片".encode(), True), (_truncated_png(), False)], ids=["empty", "text", "truncated-png"])
def test_not_an_image_is_told_from_an_unreadable_one(data: bytes, expected: bool) -> None:
    res = ocr.read_image(data)
    assert not res.ok and res.not_an_image is expected
