"""Screenshots of the bot's Telegram replies as a phone shows them (issue 13): the reply HTML the bot
sends, laid out like a Telegram chat bubble at phone width, rendered with headless Chromium.

Why: "the user reads the first lines only" is checked by looking, not assumed. Each example is shot
twice: as it arrives (the details' expandable quote folded to its first lines, as Telegram shows it) and
with the details opened.

    python tools/render_replies.py            # writes docs/replies/*.png
    python tools/render_replies.py --out DIR

Needs Chromium (Debian: apt-get install chromium fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: (file name, what the user sent, how the reply is made: "private" or "group")
EXAMPLES = [
    ("scam-sms", "【中国人寿】尊敬的客户，您的保单收益太低，可提前退保转购年化10%保本理财，详询王经理13912345678", "private"),
    ("described-call", "刚才有个自称平安客服的打电话，说我的百万保障免费期到了，不取消每月扣800元，让我下载会议App共享屏幕，我已经装了", "private"),
    ("genuine-reminder", "【中国人寿】尊敬的客户，您的保单将于12月15日缴费，请确保账户余额充足。详询95519", "private"),
    ("group-warning", "紧急通知：您的理赔款已审核通过，请登录 http://pingan-lipei.cc/claim 填写银行卡并缴纳500元手续费后到账", "group"),
    ("traditional", "【國泰人壽】親愛的客戶，您的保單收益過低，建議解約轉投保本年化9%理財專案，請加LINE：cathay888 洽詢", "private"),
]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin:0; background:#99b3c7; font-family:"Noto Sans CJK SC","Noto Sans CJK TC",sans-serif; }}
.top {{ background:#517da2; color:#fff; padding:14px 16px; font-size:17px; font-weight:600; }}
.chat {{ padding:12px 10px; }}
.bubble {{ max-width:86%; padding:8px 11px; border-radius:12px; font-size:15.5px; line-height:1.42;
           white-space:pre-wrap; word-break:break-word; margin:6px 0; box-shadow:0 1px 1px rgba(0,0,0,.15); }}
.me {{ background:#effdde; margin-left:auto; }}
.bot {{ background:#fff; }}
blockquote {{ margin:6px 0 2px; padding:4px 8px; border-left:3px solid #3a95d5; background:#eef6fd;
              border-radius:4px; position:relative; }}
blockquote.folded {{ max-height:4.3em; overflow:hidden; }}
blockquote.folded::after {{ content:"⌄"; position:absolute; right:6px; bottom:0; color:#3a95d5; font-size:18px; }}
a {{ color:#168acd; text-decoration:none; }}
</style></head><body><div class="top">保单卫士</div><div class="chat">
<div class="bubble me">{sent}</div><div class="bubble bot">{reply}</div></div></body></html>"""


def reply_html(engine, text: str, face: str) -> str:
    """The HTML the bot sends for ``text`` in a private chat or a group."""
    from bot import conversation

    if face == "group":
        return conversation.group_warning(engine.analyze(text)).html
    return conversation.respond(engine, text).html


def shoot(chromium: str, page: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "page.html"
        f.write_text(page, encoding="utf-8")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=390,844", f"--screenshot={out}", f.as_uri()],
                       check=True, capture_output=True, timeout=120)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "replies"))
    a = ap.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        print("Chromium not found (apt-get install chromium fonts-noto-cjk)", file=sys.stderr)
        return 2
    from bot.config import Settings, open_engine

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    engine = open_engine(Settings.from_env({"BOT_DB_PATH": str(Path(tempfile.gettempdir()) / "pg-shots.db")}))
    try:
        for name, text, face in EXAMPLES:
            body = reply_html(engine, text, face)
            for state in ("folded", "open"):
                shown = body.replace("<blockquote expandable>", f'<blockquote class="{state}">')
                shoot(chromium, PAGE.format(sent=html.escape(text), reply=shown), out / f"{name}-{state}.png")
            print(out / f"{name}-folded.png")
    finally:
        engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
