"""Render the fixture screenshots under ``tests/fixtures/screenshots/`` (the OCR tests' inputs).

The PNGs are committed, so CI never needs a CJK font. To regenerate them (after editing a text or a
layout below)::

    apt-get update && apt-get install -y fonts-noto-cjk
    python tools/render_screenshots.py            # all of them
    python tools/render_screenshots.py --out DIR  # somewhere else

The screenshots imitate what people actually send the bot: a phone screenshot (status bar, app header,
bubbles, input bar) of an SMS conversation or a chat, 720 px wide like a 2x phone screen. The texts are
written for this project (realistic, not copied from real victims); the scam ones follow the schemes the
regulators' notices describe (退保理财, 代理退保, fake regulator, fake claim fee), the legitimate ones are
the kind of insurer message that is full of the same words (a 续期缴费 reminder, an anti-fraud warning).
Numbers and links are made up; the sender numbers of the scam SMS are not real reported numbers.

Only Pillow is needed. The font is looked up among the usual Noto CJK paths (or ``--font FILE``).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "screenshots"

FONT_DIRS = ["/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts/google-noto-cjk",
             "/System/Library/Fonts"]
#: Face index inside NotoSansCJK-*.ttc: 2 = SC (Simplified), 3 = TC (Traditional).
FACE = {"sc": 2, "tc": 3}

W = 720  # a 360 dp phone screen at 2x
H = 1520  # 19:9; grows when the content needs more
MAX_KB = 150


@dataclass
class Bubble:
    text: str
    side: str = "left"  # left: the other party; right: the phone's owner
    time: str = ""  # a centred time label shown above the bubble


@dataclass
class Screen:
    name: str
    kind: str  # "sms" or "chat"
    title: str  # sender number / contact name shown in the header
    subtitle: str = ""
    bubbles: list[Bubble] = field(default_factory=list)
    script: str = "sc"  # "tc": render with the Traditional face
    clock: str = "10:32"
    label: str = ""  # scam / legit (documentation only; the tests keep their own expectations)


# --- the texts ------------------------------------------------------------------------------------------

SCREENS: list[Screen] = [
    Screen(
        "sms_surrender_invest.png", "sms", "+86 171 2345 6789", "短信/彩信", label="scam: surrender_for_investment",
        clock="10:32",
        bubbles=[Bubble(
            "【中国人寿】尊敬的客户，经系统核查，您名下的保单收益偏低。现公司推出保本保息理财产品，"
            "年化收益9.6%，将原保单退保后转投即可享受。名额有限，请于3日内联系专属客户经理"
            "王经理 171 2345 6789 办理。退订回T", time="今天 10:31")],
    ),
    Screen(
        "chat_agent_surrender.png", "chat", "维权顾问-李老师", label="scam: agent_surrender", clock="21:40",
        bubbles=[
            Bubble("您好，您之前买的保险是不是被业务员误导了？我们是专业维权团队，可以帮您全额退保，"
                   "已交的保费一分不少退回来。", time="昨天 21:15"),
            Bubble("真的能全退吗？我交了五年了", side="right"),
            Bubble("能的，我们和保险公司、监管部门都有渠道，成功率98%。只收退回金额的20%作为服务费，"
                   "先签委托协议。"),
            Bubble("您把保单号、身份证照片和银行卡发我，我们帮您写投诉材料。保险公司打电话回访，"
                   "您就说是自愿退保，别的不要多说。", time="昨天 21:32"),
            Bubble("好的，我考虑一下", side="right"),
            Bubble("名额有限，这个月不办下个月就办不了了，尽快决定。"),
        ],
    ),
    Screen(
        "sms_traditional_regulator.png", "sms", "+86 0755 2365 8841", "簡訊", script="tc",
        label="scam: fake_regulator (Traditional script)", clock="09:05",
        bubbles=[Bubble(
            "【銀保監會】您名下保單存在違規操作，已被列入風險名單。請於今日內辦理退保，"
            "並將退保資金轉入監管安全賬戶進行核查，逾期將凍結您的銀行賬戶。"
            "諮詢專線 0755-2365 8841", time="今天 09:04")],
    ),
    Screen(
        "sms_claim_fee_link.png", "sms", "+86 165 0821 3374", "短信/彩信", label="scam: fake_claim_fee + link",
        clock="15:47",
        bubbles=[Bubble(
            "【平安保险】尊敬的客户：您的理赔款38,600元已审核通过，因系统升级需先缴纳手续费及个人所得税"
            "共计860元方可到账。请点击 http://pa-lipei.cn/k8s2 填写银行卡信息办理，24小时内有效。",
            time="今天 15:46")],
    ),
    Screen(
        "legit_renewal_95519.png", "sms", "95519", "短信/彩信", label="legit: 续期缴费 reminder", clock="08:20",
        bubbles=[Bubble(
            "【中国人寿】尊敬的张先生：您的保单（尾号3862）第6期保费2,380.00元将于2024年07月15日到期，"
            "请确保尾号6721的银行账户余额充足，我公司将按约定自动划款。如有疑问请拨打客服热线95519。",
            time="7月8日 08:19")],
    ),
    Screen(
        "legit_antifraud_95511.png", "sms", "95511", "短信/彩信", label="legit: insurer's anti-fraud warning",
        clock="11:02",
        bubbles=[Bubble(
            "【中国平安】反诈提醒：近期有不法分子冒充保险公司客服或监管人员，以保单升级、退保返现、"
            "高收益理财为由诱导客户退保或转账。我司不会要求您将退保资金转入个人账户，也不会索要短信验证码。"
            "如有疑问，请拨打官方客服热线95511核实。", time="今天 11:01")],
    ),
]


# --- drawing --------------------------------------------------------------------------------------------

class Fonts:
    def __init__(self, regular: Path, bold: Path | None, script: str):
        idx = FACE[script] if regular.suffix.lower() == ".ttc" else 0
        bidx = FACE[script] if bold is not None and bold.suffix.lower() == ".ttc" else 0
        self.body = ImageFont.truetype(str(regular), 30, index=idx)
        self.small = ImageFont.truetype(str(regular), 22, index=idx)
        self.status = ImageFont.truetype(str(bold or regular), 24, index=bidx if bold else idx)
        self.title = ImageFont.truetype(str(bold or regular), 32, index=bidx if bold else idx)


def find_fonts(explicit: str | None) -> tuple[Path, Path | None]:
    if explicit:
        p = Path(explicit)
        if not p.exists():
            sys.exit(f"font not found: {p}")
        return p, None
    for d in FONT_DIRS:
        reg = Path(d) / "NotoSansCJK-Regular.ttc"
        if reg.exists():
            bold = Path(d) / "NotoSansCJK-Bold.ttc"
            return reg, bold if bold.exists() else None
    sys.exit("no CJK font found: apt-get install -y fonts-noto-cjk (or pass --font FILE)")


_TOKEN = re.compile(r"[A-Za-z0-9:/._\-%+,@?=&]+|\s|.", re.S)
_NO_LINE_START = set("，。、：；！？）」』】,.:;!?)%")


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Wrap CJK text by character, keeping ASCII runs (numbers, links) whole when they fit."""
    lines: list[str] = []
    cur = ""
    for tok in _TOKEN.findall(text):
        if tok == "\n":
            lines.append(cur)
            cur = ""
            continue
        if font.getlength(cur + tok) <= width:
            cur += tok
            continue
        if tok in _NO_LINE_START and cur:  # kinsoku: punctuation stays at the end of the line
            cur += tok
            continue
        if tok.isspace():
            lines.append(cur)
            cur = ""
            continue
        if cur:
            lines.append(cur.rstrip())
        cur = ""
        while font.getlength(tok) > width:  # an ASCII run longer than a line: break it
            n = len(tok)
            while n > 1 and font.getlength(tok[:n]) > width:
                n -= 1
            lines.append(tok[:n])
            tok = tok[n:]
        cur = tok
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def status_bar(d: ImageDraw.ImageDraw, f: Fonts, clock: str, bg: str, fg: str) -> int:
    d.rectangle([0, 0, W, 56], fill=bg)
    d.text((28, 14), clock, font=f.status, fill=fg)
    x = W - 30  # battery, then signal bars and network type, from the right
    d.rounded_rectangle([x - 44, 18, x - 4, 38], radius=4, outline=fg, width=2)
    d.rectangle([x - 40, 22, x - 14, 34], fill=fg)
    d.rectangle([x - 3, 24, x, 32], fill=fg)
    x -= 64
    for i in range(4):
        d.rectangle([x + i * 8, 36 - i * 6, x + i * 8 + 5, 38], fill=fg)
    d.text((x - 42, 16), "4G", font=f.small, fill=fg)
    return 56


def bubble_size(lines: list[str], f: Fonts) -> tuple[int, int]:
    width = max(int(f.body.getlength(s)) for s in lines) if lines else 0
    return width + 44, len(lines) * 44 + 28


def render_sms(s: Screen, f: Fonts) -> Image.Image:
    bg, fg, grey = "#FFFFFF", "#111111", "#E9E9EB"
    blocks = []
    for b in s.bubbles:
        lines = wrap(b.text, f.body, 500)
        blocks.append((b, lines, bubble_size(lines, f)))
    content = sum(h + (56 if b.time else 0) + 20 for b, _, (_, h) in blocks)
    height = max(H, 56 + 130 + content + 120)
    img = Image.new("RGB", (W, height), bg)
    d = ImageDraw.Draw(img)
    y = status_bar(d, f, s.clock, "#F7F7F7", fg)
    d.rectangle([0, y, W, y + 130], fill="#F7F7F7")  # header: back arrow, avatar, number, kind
    d.line([(40, y + 40), (26, y + 54), (40, y + 68)], fill="#1A73E8", width=4)
    d.ellipse([W // 2 - 30, y + 10, W // 2 + 30, y + 70], fill="#A0A4AB")
    d.text((W // 2, y + 84), s.title, font=f.title, fill=fg, anchor="mt")
    d.line([(0, y + 130), (W, y + 130)], fill="#D0D0D0", width=1)
    y += 150
    if s.subtitle:
        d.text((W // 2, y), s.subtitle, font=f.small, fill="#8E8E93", anchor="mt")
        y += 36
    for b, lines, (bw, bh) in blocks:
        if b.time:
            d.text((W // 2, y + 6), b.time, font=f.small, fill="#8E8E93", anchor="mt")
            y += 48
        x0 = 28 if b.side == "left" else W - 28 - bw
        color, tcolor = (grey, fg) if b.side == "left" else ("#1A73E8", "#FFFFFF")
        d.rounded_rectangle([x0, y, x0 + bw, y + bh], radius=26, fill=color)
        for i, line in enumerate(lines):
            d.text((x0 + 22, y + 14 + i * 44), line, font=f.body, fill=tcolor)
        y += bh + 20
    d.rectangle([0, height - 100, W, height], fill="#F7F7F7")  # input bar
    d.rounded_rectangle([24, height - 82, W - 96, height - 22], radius=30, outline="#C7C7CC", width=2)
    d.text((52, height - 68), "短信" if s.script == "sc" else "簡訊", font=f.small, fill="#B0B0B5")
    d.ellipse([W - 80, height - 80, W - 24, height - 24], fill="#1A73E8")
    return img


def render_chat(s: Screen, f: Fonts) -> Image.Image:
    bg, fg = "#EDEDED", "#111111"
    blocks = []
    for b in s.bubbles:
        lines = wrap(b.text, f.body, 470)
        blocks.append((b, lines, bubble_size(lines, f)))
    content = sum(max(h, 80) + (56 if b.time else 0) + 28 for b, _, (_, h) in blocks)
    height = max(H, 56 + 100 + content + 130)
    img = Image.new("RGB", (W, height), bg)
    d = ImageDraw.Draw(img)
    y = status_bar(d, f, s.clock, bg, fg)
    d.line([(40, y + 36), (26, y + 50), (40, y + 64)], fill=fg, width=4)
    d.text((W // 2, y + 30), s.title, font=f.title, fill=fg, anchor="mt")
    for i in range(3):  # the "more" dots
        d.ellipse([W - 60 + i * 12, y + 46, W - 54 + i * 12, y + 52], fill=fg)
    d.line([(0, y + 100), (W, y + 100)], fill="#D6D6D6", width=1)
    y += 124
    for b, lines, (bw, bh) in blocks:
        if b.time:
            d.text((W // 2, y), b.time, font=f.small, fill="#9A9A9A", anchor="mt")
            y += 56
        if b.side == "left":
            d.rounded_rectangle([24, y, 104, y + 80], radius=10, fill="#6B8EB3")  # avatar
            x0, color = 124, "#FFFFFF"
            d.polygon([(x0 - 10, y + 30), (x0, y + 22), (x0, y + 38)], fill=color)
        else:
            d.rounded_rectangle([W - 104, y, W - 24, y + 80], radius=10, fill="#C9A46B")
            x0, color = W - 124 - bw, "#95EC69"
            d.polygon([(x0 + bw + 10, y + 30), (x0 + bw, y + 22), (x0 + bw, y + 38)], fill=color)
        d.rounded_rectangle([x0, y, x0 + bw, y + bh], radius=10, fill=color)
        for i, line in enumerate(lines):
            d.text((x0 + 22, y + 14 + i * 44), line, font=f.body, fill=fg)
        y += max(bh, 80) + 28
    d.rectangle([0, height - 110, W, height], fill="#F7F7F7")  # input bar: voice, field, emoji, plus
    d.ellipse([20, height - 86, 76, height - 30], outline=fg, width=3)
    d.rounded_rectangle([92, height - 88, W - 160, height - 28], radius=8, fill="#FFFFFF")
    d.ellipse([W - 144, height - 86, W - 88, height - 30], outline=fg, width=3)
    d.ellipse([W - 76, height - 86, W - 20, height - 30], outline=fg, width=3)
    return img


def render(s: Screen, regular: Path, bold: Path | None) -> Image.Image:
    f = Fonts(regular, bold, s.script)
    return render_sms(s, f) if s.kind == "sms" else render_chat(s, f)


def save(img: Image.Image, path: Path) -> int:
    """Save as an optimised PNG; palette-quantised when that keeps it under MAX_KB."""
    img.save(path, optimize=True)
    if path.stat().st_size > MAX_KB * 1024:
        img.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(OUT), help="output directory (default: tests/fixtures/screenshots)")
    ap.add_argument("--font", help="a CJK font file (default: Noto Sans CJK from fonts-noto-cjk)")
    args = ap.parse_args(argv)
    regular, bold = find_fonts(args.font)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for s in SCREENS:
        size = save(render(s, regular, bold), out / s.name)
        print(f"{s.name:34} {size / 1024:6.1f} KB  {s.label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
