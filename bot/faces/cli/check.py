"""``check``, ``lookup`` and ``eval``: analyse text (or a screenshot), look a number up, measure the
engine on labeled files. Each command is an options function beside the function that runs it."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.faces.cli.common import EXIT_FAIL, EXIT_OK, err, opened_engine, out, read_stdin, with_engine
from bot.pipeline.safe_text import safe_text

log = logging.getLogger("policyguard")

if TYPE_CHECKING:
    from bot.model import Verdict
    from bot.pipeline.engine import Engine
    from bot.pipeline.ocr import OcrResult

# --- check -------------------------------------------------------------------------------------------------


def check_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="*", help="要分析的文字；省略则读标准输入")
    p.add_argument("--json", action="store_true", help="输出 JSON 判定")
    p.add_argument("--short", action="store_true", help="只输出简短结论（风险、这是什么、现在该做什么）")
    p.add_argument("--jsonl", action="store_true", help="标准输入每行一条消息，每行输出一个 JSON 判定")
    p.add_argument("--image", metavar="FILE", help="识别截图中的文字（OCR）再分析")


def check(args: argparse.Namespace) -> int:
    """The verdict for TEXT (or stdin), for each stdin line with --jsonl, or for a screenshot."""
    from bot import render

    if args.image:
        return check_image(Path(str(args.image)), want_json=bool(args.json))
    with opened_engine() as e:
        if args.jsonl:
            for n, raw in enumerate(sys.stdin.buffer, 1):
                out(jsonl_answer(e, n, raw))
            return EXIT_OK
        text = safe_text(" ".join(args.text)) if args.text else read_stdin()
        v = e.analyze(text)
        if args.json:
            out(render.verdict_json(v))
        else:
            out(render.verdict_short_text(v) if args.short else render.verdict_text(v))
    return EXIT_OK


def jsonl_answer(engine: Engine, n: int, raw: bytes) -> str:
    """The output line for input line ``n``: its verdict JSON (with the line's ``id`` when it has one), or
    ``{"error": {"line", "message"}}`` for a line that cannot be read. A blank line is an empty message.
    Never raises: one bad line must not cost the rest of the batch its answers (issue 15)."""
    from bot import render

    ident: object = None
    try:
        text, ident, problem = jsonl_message(safe_text(raw.decode("utf-8", "replace").rstrip("\r\n")))
        if not problem:
            verdict = render.verdict_json(engine.analyze(text))
            return verdict if ident is None else json.dumps({**json.loads(verdict), "id": ident}, ensure_ascii=False)
    except Exception as e:  # whatever else went wrong is this line's answer, not the end of the batch
        log.debug("check --jsonl line %d failed", n, exc_info=True)
        problem = f"无法分析这一行：{type(e).__name__}"
    d: dict[str, object] = {"error": {"line": n, "message": problem}}
    if ident is not None:
        d["id"] = ident
    return json.dumps(d, ensure_ascii=False)


def jsonl_message(line: str) -> tuple[str, object, str]:
    """(text, id or None, problem) of a --jsonl line: a JSON object with "text" (and maybe "id"), a JSON
    string, or raw text. ``problem`` is why the line cannot be read (empty when it can): it starts like
    JSON but is not valid, is JSON of another kind, or is an object whose "text" is not a string."""
    stripped = line.strip()
    if not stripped.startswith(("{", "[", '"')):
        return line, None, ""
    try:
        obj = json.loads(stripped)
    except ValueError as e:
        return "", None, f"不是有效的 JSON：{e.msg}（第 {e.colno} 列）" if isinstance(e, json.JSONDecodeError) else "不是有效的 JSON"
    if isinstance(obj, str):
        return safe_text(obj), None, ""
    if not isinstance(obj, dict):
        return "", None, "应为 JSON 对象 {\"text\": …}、JSON 字符串或一行文字"
    ident = obj.get("id")
    if isinstance(ident, str):
        ident = safe_text(ident)[:200]
    elif ident is not None and not isinstance(ident, (int, float, bool)):
        ident = safe_text(json.dumps(ident, ensure_ascii=False))[:200]
    text = obj.get("text")
    if text is None:
        return "", ident, ""
    if not isinstance(text, str):
        return "", ident, "\"text\" 应为字符串"
    return safe_text(text), ident, ""


# --- check --image -----------------------------------------------------------------------------------------


def check_image(path: Path, want_json: bool) -> int:
    """Print the verdict for the image at ``path`` (text, or JSON with an ``ocr`` object).

    Exit status: 1 when the file is missing or unreadable, empty, or not an image at all (one line on
    stderr, and with ``--json`` still a verdict JSON with risk none and ``ocr.ok`` false); 0 otherwise,
    including an image that is broken, too large or whose text could not be read well (the output says
    so: risk none, ``ocr.ok`` false and the reason)."""
    from bot.pipeline import ocr

    try:
        size = path.stat().st_size
        if not path.is_file():
            raise IsADirectoryError(str(path))
    except OSError:
        err(f"文件不存在或无法读取：{path}")
        return EXIT_FAIL
    refusal = ocr.too_big(size)
    if refusal:  # don't read a huge file into memory just to refuse it
        res = ocr.OcrResult(reason=refusal)
    else:
        try:
            data = path.read_bytes()
        except OSError as e:
            err(f"无法读取文件 {path}：{e.strerror or type(e).__name__}")
            return EXIT_FAIL
        res = ocr.read_image(data)
    if res.not_an_image:
        err(f"无法识别 {path}：{res.reason}")
        if want_json:
            out(_image_json(None, res))
        return EXIT_FAIL
    if not res.ok:
        out(_image_json(None, res) if want_json else f"未能读取图片中的文字：{res.reason}")
        return EXIT_OK
    from bot import render

    with opened_engine() as e:
        v = e.analyze(res.text)
    if want_json:
        out(_image_json(v, res))
    else:
        out(render.verdict_text(v) + "\n\n" + f"识别出的文字（OCR，置信度 {res.confidence:.0%}）：\n{res.text}")
    return EXIT_OK


def _image_json(v: Verdict | None, res: OcrResult) -> str:
    """The verdict JSON with the ``ocr`` object added; risk none when the text could not be read."""
    from bot.model import Verdict

    d: dict[str, Any] = (v or Verdict(risk="none", score=0)).to_dict()
    d["ocr"] = res.to_dict()
    return json.dumps(d, ensure_ascii=False)


# --- lookup ------------------------------------------------------------------------------------------------


def lookup_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("number", help="号码、网址或域名，如 95519、+86 139 1234 5678、pingan-lipei.cc")
    p.add_argument("--json", action="store_true")


@with_engine
def lookup(args: argparse.Namespace, engine: Engine) -> int:
    """What is known about one phone number, URL or bare domain."""
    from bot import render
    from bot.model import LinkCheck

    found = engine.lookup_any(args.number)
    if isinstance(found, LinkCheck):
        out(render.link_json(found) if args.json else render.link_text(found))
    else:
        out(render.lookup_json(found) if args.json else render.lookup_text(found))
    return EXIT_OK


def read_files(files: list[str], read: Callable[[Path], Iterable[Any]]) -> list[Any] | None:
    """Every row of every file, read before the engine opens; None (after one clear line on stderr) when a
    file is missing or unreadable, so an evaluation never runs on part of what was asked."""
    rows: list[Any] = []
    for f in files:
        p = Path(f)
        if not p.is_file():
            err(f"文件不存在：{f}")
            return None
        try:
            rows.extend(read(p))
        except (ValueError, UnicodeDecodeError, OSError) as e:
            err(f"无法读取 {f}：{e}")
            return None
    return rows


# --- eval-lookups ------------------------------------------------------------------------------------------


def eval_lookups_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="查询答案文件（.jsonl：input 或 text、kind、expect），如 tests/fixtures/lookups_numbers.jsonl")
    p.add_argument("--errors", type=int, default=0, metavar="N", help="列出前 N 个错误")
    p.add_argument("--json", action="store_true")


def eval_lookups(args: argparse.Namespace) -> int:
    """Accuracy of number and link lookups per kind, on files of expected answers."""
    from bot.admin.lookup_eval import evaluate as run_evaluation
    from bot.admin.lookup_eval import format_report, read_rows

    rows = read_files(args.files, read_rows)
    if rows is None:
        return EXIT_FAIL
    with opened_engine() as e:
        result = run_evaluation(e, rows, errors=args.errors)
    out(json.dumps(result, ensure_ascii=False, indent=1) if args.json else format_report(result))
    return EXIT_OK


# --- eval --------------------------------------------------------------------------------------------------


def eval_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help=".jsonl（text,label,type）、.csv、.yaml（known_legit 或话术文件）或纯文本行")
    p.add_argument("--label", choices=["scam", "legit"], help="把文件中所有行视为该标签")
    p.add_argument("--errors", type=int, default=0, metavar="N", help="列出前 N 个错误")
    p.add_argument("--by", action="append", choices=["source", "script"], default=[],
                   help="另按来源网站（source）或简繁体（script）分别统计；可重复")
    p.add_argument("--mode", choices=["both", "rules", "classifier"], default="both",
                   help="测量整个引擎（both）、只用规则（rules）或只用统计模型（classifier）")
    p.add_argument("--json", action="store_true")


def evaluate(args: argparse.Namespace) -> int:
    """Precision, recall and false-positive rate on labeled files (all read before the engine opens)."""
    from bot.admin.evaluate import evaluate as run_evaluation
    from bot.admin.evaluate import format_report, read_labeled

    rows = read_files(args.files, lambda p: read_labeled(p, args.label))
    if rows is None:
        return EXIT_FAIL
    with opened_engine() as e:
        result = run_evaluation(e, rows, errors=args.errors, by=args.by, mode=args.mode)
    out(json.dumps(result, ensure_ascii=False, indent=1) if args.json else format_report(result))
    return EXIT_OK
