"""Screenshots: read the text of an image (OCR) so the engine can analyse it. No Telegram here.

People forward scams as screenshots of an SMS or a chat more often than as text. :func:`read_image`
turns the image's bytes into an :class:`OcrResult` — the recognised text in reading order, its mean
confidence, its line count, and ``ok`` False with a Chinese ``reason`` when the image can't be used —
and never raises. :func:`analyze_image` adds the engine's verdict; :func:`read_image_async` runs the
recognition off the event loop for the bot. Image in, text and its quality out: what to show for a
result (and the command line's exit status) is decided by the faces, which all read images through
:func:`read_image`.

Model: RapidOCR (PP-OCRv4 Chinese detection + recognition, ONNX Runtime on the CPU), loaded ONCE per
process, lazily, behind a lock. Why lazily rather than at start-up (measured, see ``bench/ocr_bench.py``):
importing rapidocr/onnxruntime/cv2 takes ~0.4-0.8 s and loading the three models ~0.35-0.85 s, together
~115 MB of memory; reading one phone screenshot takes ~1.3-5 s on 2 cores (about 3 s of CPU) and peaks
at ~500-600 MB of process memory; the first recognition is no slower than later ones. So the load is a
small fraction of the first screenshot's wait, paid once; loading at start-up would instead slow every start
(the bot, every ``run.py check``, every test process) and hold that memory in processes that only ever
see text — most users paste text. A face that wants the first screenshot to be as fast as the rest can
call :func:`preload` in the background.

Limits (module constants below): the file size (Telegram photos are at most 10 MB; documents up to 20 MB
through the Bot API); the pixel count (decompression bombs: a tiny PNG that claims 100,000 x 100,000
pixels); and images are scaled down so their longest side is at most :data:`MAX_SIDE` px before OCR —
phone screenshots (1080 x 2400) keep legible text at that size, and the time and memory of recognition
stay bounded. Very narrow images (a long scrolling screenshot, a one-line banner) are padded to an aspect
ratio of at most :data:`MAX_ASPECT`, because the detector scales the short side up to 736 px.

Recognition runs on ONE worker thread (:data:`_EXECUTOR`): two screenshots arriving together are read
one after the other instead of doubling the peak memory, and the bot's event loop and its engine thread
keep serving other users' text meanwhile.

Privacy: the image and the recognised text are personal data. Nothing here logs or stores either; log
lines carry sizes, timings and counts only.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageOps

if TYPE_CHECKING:
    from bot.model import Verdict
    from bot.pipeline.engine import Engine

log = logging.getLogger(__name__)

#: Largest file accepted (bytes). Telegram photos are ≤ 10 MB; a bigger "screenshot" is not one.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: Largest image accepted (pixels, width x height), checked from the header before decoding. A 50 MP
#: phone photo fits; a decompression bomb does not. Pillow's own guard is set to the same number (it
#: warns above it and raises DecompressionBombError above twice it).
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
#: Longest side (px) of the image handed to OCR; larger images are scaled down first.
MAX_SIDE = 1600
#: Longest side / shortest side handed to OCR; narrower images are padded with white. The detector
#: scales the SHORT side up to 736 px, so without this a 10 x 1600 strip would become a 736 x 117,760
#: image (gigabytes of activations): a memory bomb that passes every other limit.
MAX_ASPECT = 3.0
#: Recognition is "poor" below this much text (letters, digits, CJK characters) ...
MIN_TEXT_CHARS = 8
#: ... or below this mean confidence (0-1, weighted by characters).
MIN_CONFIDENCE = 0.75
#: A recognised box below this confidence is left out of the text (it still counts in the mean).
BOX_MIN_SCORE = 0.5
#: Recognised text kept for analysis (the engine cuts at 5,000 characters anyway).
MAX_TEXT_CHARS = 5000
#: ONNX Runtime threads per recognition (0: its default, one per core). See bench/ocr_bench.py.
OCR_THREADS = 0

REASON_EMPTY = "文件是空的，没有收到图片内容。"
REASON_NOT_IMAGE = "这不是图片文件（无法识别的格式）。请发送短信或聊天记录的截图（PNG/JPG）。"
REASON_BROKEN = "图片已损坏或不完整，无法打开。请重新截图后再发送。"
REASON_TOO_BIG = "图片太大（{size}），上限为 {limit}。请发送普通的手机截图。"
REASON_TOO_MANY_PIXELS = f"图片尺寸过大（超过 {MAX_PIXELS // 10_000} 万像素），无法处理。请发送普通的手机截图。"
REASON_NO_TEXT = "图片里几乎没有可识别的文字。请把短信或聊天内容的文字直接复制粘贴发给我。"
REASON_LOW_CONFIDENCE = "图片中的文字看不清（识别把握不高，约 {conf:.0%}），为免误判不作分析。请把文字直接复制粘贴发给我。"
REASON_UNAVAILABLE = "文字识别暂时不可用。请把短信或聊天内容的文字直接复制粘贴发给我。"


@dataclass
class OcrResult:
    """What was read from one image."""

    text: str = ""  # lines in reading order; lines of one paragraph (bubble) joined, paragraphs by "\n"
    confidence: float = 0.0  # mean recognition confidence, 0-1, weighted by characters
    lines: int = 0  # text lines recognised (after merging boxes on one line)
    ok: bool = False  # good enough to analyse
    reason: str = ""  # why not (Chinese, shown to the user) when ok is False
    width: int = 0  # the image as received (0 when it could not be decoded)
    height: int = 0
    seconds: float = 0.0  # time spent decoding + recognising

    @property
    def not_an_image(self) -> bool:
        """The data was empty or in no image format at all: the wrong file was given, rather than an
        image whose text could not be read (the command line exits 1 for the first, 0 for the second)."""
        return self.reason in (REASON_EMPTY, REASON_NOT_IMAGE)

    def to_dict(self) -> dict[str, Any]:
        """The contract's ``ocr`` object: text, confidence, lines, ok, reason."""
        d = asdict(self)
        d["confidence"] = round(self.confidence, 3)
        return {k: d[k] for k in ("text", "confidence", "lines", "ok", "reason")}


# --- the model: loaded once, lazily -------------------------------------------------------------------

_model: Any = None
_model_lock = threading.Lock()  # guards the load
_run_lock = threading.Lock()  # one recognition at a time per process (memory: a few hundred MB each)
_EXECUTOR: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _load_model() -> Any:
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                started = time.perf_counter()
                from rapidocr_onnxruntime import RapidOCR

                # text_score: keep weak boxes so they count in the mean confidence (filtered below).
                # The angle classifier stays on: it costs ~2% and fixes upside-down crops of photos.
                threads = {"intra_op_num_threads": OCR_THREADS} if OCR_THREADS > 0 else {}
                _model = RapidOCR(text_score=0.3, **threads)
                log.info("OCR model loaded in %.2f s", time.perf_counter() - started)
    return _model


def preload() -> float:
    """Load the OCR model now (e.g. in the background at start-up); returns the seconds it took."""
    started = time.perf_counter()
    _load_model()
    return time.perf_counter() - started


def model_loaded() -> bool:
    return _model is not None


# --- decoding ------------------------------------------------------------------------------------------

def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def too_big(size: int | None) -> str | None:
    """The refusal for a file of ``size`` bytes (None when it is within the limit or unknown)."""
    if size is not None and size > MAX_IMAGE_BYTES:
        return REASON_TOO_BIG.format(size=_size(size), limit=_size(MAX_IMAGE_BYTES))
    return None


def decode(data: bytes) -> tuple[Image.Image | None, str, tuple[int, int]]:
    """The image as RGB, scaled to at most MAX_SIDE px; or (None, reason, size) when it can't be used."""
    if not data:
        return None, REASON_EMPTY, (0, 0)
    refusal = too_big(len(data))
    if refusal:
        return None, refusal, (0, 0)
    w = h = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                img = Image.open(io.BytesIO(data))
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                return None, REASON_TOO_MANY_PIXELS, (0, 0)
            except Exception:  # UnidentifiedImageError and anything a broken header raises
                return None, REASON_NOT_IMAGE, (0, 0)
            w, h = img.size
            if w <= 0 or h <= 0:
                return None, REASON_BROKEN, (0, 0)
            if w * h > MAX_PIXELS:
                return None, REASON_TOO_MANY_PIXELS, (w, h)
            scale = MAX_SIDE / max(w, h)
            if scale < 1 and img.format == "JPEG":  # decode JPEGs at a reduced size: faster, less memory
                img.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
            img.load()
            img = ImageOps.exif_transpose(img) or img
            img = _to_rgb(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None, REASON_TOO_MANY_PIXELS, (w, h)
    except Exception:  # truncated data, bad chunks, unsupported modes
        return None, REASON_BROKEN, (w, h)
    if max(img.size) > MAX_SIDE:
        img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return img, "", (w, h)


def bounded_aspect(img: Image.Image) -> Image.Image:
    """The image padded with white (right or bottom) so that its sides differ by at most MAX_ASPECT.
    Coordinates of the content are unchanged, so reading order is unaffected."""
    w, h = img.size
    if max(w, h) <= MAX_ASPECT * min(w, h):
        return img
    size = (max(w, int(h / MAX_ASPECT) + 1), max(h, int(w / MAX_ASPECT) + 1))
    out = Image.new("RGB", size, (255, 255, 255))
    out.paste(img, (0, 0))
    return out


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB on white (screenshots with transparency would otherwise turn black)."""
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        return bg
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16/32-bit greyscale: scale to 8 bits
        img = img.point(lambda v: v / 256).convert("L")
    return img.convert("RGB")


# --- reading order ---------------------------------------------------------------------------------------

#: Phone chrome, not message text: the status bar (clock, network, battery), lone symbols, and the
#: SMS apps' labels and input placeholders.
_CHROME = re.compile(r"^(?:\d{1,2}[:：]\d{2}|[345]G\W*|LTE|\d{1,3}%|[\W_]+|短信|簡訊|简讯|信息|訊息|短信/彩信|"
                     r"iMessage|文本信息|文字訊息|发送|發送)$", re.I)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


@dataclass
class _Box:
    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def h(self) -> float:
        return self.y1 - self.y0

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def _boxes(raw: list[Any] | None) -> list[_Box]:
    out = []
    for item in raw or []:
        try:
            pts, text, score = item[0], str(item[1]), float(item[2])
            xs, ys = [float(p[0]) for p in pts], [float(p[1]) for p in pts]
        except (TypeError, ValueError, IndexError):
            continue
        if text.strip():
            out.append(_Box(text.strip(), score, min(xs), min(ys), max(xs), max(ys)))
    return out


def _lines(boxes: list[_Box]) -> list[list[_Box]]:
    """Group boxes into text lines (vertical overlap), lines top to bottom, boxes left to right."""
    lines: list[list[_Box]] = []
    for b in sorted(boxes, key=lambda b: (b.cy, b.x0)):
        if lines:
            last = lines[-1]
            top, bottom = min(x.y0 for x in last), max(x.y1 for x in last)
            overlap = min(bottom, b.y1) - max(top, b.y0)
            if overlap > 0.5 * min(b.h, bottom - top):
                last.append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b.x0) for line in lines]


def _join(a: str, b: str) -> str:
    """Join two pieces of one line or paragraph: no space between CJK text, one space otherwise."""
    if not a:
        return b
    if _CJK.match(a[-1]) or _CJK.match(b[0]):
        return a + b
    return a + " " + b


def _paragraphs(lines: list[list[_Box]]) -> list[str]:
    """Consecutive lines with a small gap and the same left edge are one paragraph (a wrapped bubble);
    they are joined without a line break so words cut by the wrap (退|保) stay whole."""
    paras: list[str] = []
    prev: tuple[float, float, float] | None = None  # x0, bottom, height of the previous line
    for line in lines:
        text = ""
        for b in line:
            text = _join(text, b.text)
        x0, y0, y1 = line[0].x0, min(b.y0 for b in line), max(b.y1 for b in line)
        h = y1 - y0
        same = (prev is not None and y0 - prev[1] < 0.8 * max(h, prev[2])
                and abs(x0 - prev[0]) < 1.5 * max(h, prev[2]))
        if same and paras:
            paras[-1] = _join(paras[-1], text)
        else:
            paras.append(text)
        prev = (x0, y1, h)
    return paras


def _result_from_boxes(raw: list[Any] | None, size: tuple[int, int]) -> OcrResult:
    boxes = _boxes(raw)
    weights = [max(1, len(b.text)) for b in boxes]
    conf = sum(b.score * w for b, w in zip(boxes, weights, strict=True)) / sum(weights) if boxes else 0.0
    kept = [b for b in boxes if b.score >= BOX_MIN_SCORE and not _CHROME.match(b.text)]
    lines = _lines(kept)
    text = "\n".join(_paragraphs(lines))[:MAX_TEXT_CHARS]
    res = OcrResult(text=text, confidence=conf, lines=len(lines), width=size[0], height=size[1])
    chars = sum(1 for c in text if c.isalnum())
    if chars < MIN_TEXT_CHARS:
        res.reason = REASON_NO_TEXT
    elif conf < MIN_CONFIDENCE:
        res.reason = REASON_LOW_CONFIDENCE.format(conf=conf)
    else:
        res.ok = True
    return res


# --- the public API ----------------------------------------------------------------------------------------

def read_image(data: bytes) -> OcrResult:
    """Read the text of one image. Never raises: problems give ``ok`` False and a Chinese ``reason``."""
    started = time.perf_counter()
    try:
        data = bytes(data or b"")
        img, reason, size = decode(data)
        if img is None:
            return OcrResult(reason=reason, width=size[0], height=size[1], seconds=time.perf_counter() - started)
        import numpy as np

        arr = np.asarray(bounded_aspect(img))[:, :, ::-1].copy()  # RGB → BGR, as RapidOCR expects
        del img
        model = _load_model()
        with _run_lock:
            raw, _elapsed = model(arr)
        res = _result_from_boxes(raw, size)
    except Exception as e:  # the model or a library failed: say so, never raise
        log.warning("OCR failed: %s", type(e).__name__)
        res = OcrResult(reason=REASON_UNAVAILABLE)
    res.seconds = time.perf_counter() - started
    log.info("OCR: %dx%d, %d lines, confidence %.2f, ok=%s, %.2f s",
             res.width, res.height, res.lines, res.confidence, res.ok, res.seconds)
    return res


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR
    with _executor_lock:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policyguard-ocr")
        return _EXECUTOR


async def read_image_async(data: bytes) -> OcrResult:
    """:func:`read_image` on the OCR worker thread (one for the process), awaited without blocking
    the event loop: other users' messages are answered while a screenshot is read."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), read_image, data)


def shutdown() -> None:
    """Stop the OCR worker thread (waits for a recognition in progress)."""
    global _EXECUTOR
    with _executor_lock:
        ex, _EXECUTOR = _EXECUTOR, None
    if ex is not None:
        ex.shutdown(wait=True, cancel_futures=True)


def analyze_image(engine: Engine, data: bytes) -> tuple[OcrResult, Verdict | None]:
    """Read the image and analyse its text; the verdict is None when the text could not be read well."""
    res = read_image(data)
    if not res.ok:
        return res, None
    return res, engine.analyze(res.text)
