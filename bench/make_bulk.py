"""Write bulk import files (scam scripts and reported numbers) to measure ``admin import`` at scale.

    python bench/make_bulk.py --scripts 10000 --numbers 1000000 --format jsonl --out bench/out/bulk.jsonl
    BOT_DB_PATH=bench/out/bulk.db python run.py admin import bench/out/bulk.jsonl

Deterministic (``--seed``). Scripts are assembled from slot vocabularies (who the caller claims to be, a
pretext, a lure, a demand, a contact), so no two are alike and word frequencies look like real data: a
few words in many scripts, most words rare. Numbers are distinct and valid: ~90% mobiles, the rest
landlines and 400 numbers, written as ``bot.numbers.parse`` normalizes them (as an export writes them).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

TYPES = ["surrender_for_investment", "agent_surrender", "fake_claim_fee", "fake_policy_loan", "fake_customer_service",
         "fake_regulator", "phishing_link", "medical_insurance_card", "other_scam"]
WHO = ["{ins}客服中心", "{ins}售后服务部", "{ins}理赔部", "{ins}回访中心", "{ins}VIP客户部", "{ins}{name}经理",
       "金融监管局{name}科长", "医保中心{name}专员", "保险行业协会", "维权中心{name}老师", "{ins}资产管理部"]
INSURERS = ["中国人寿", "平安人寿", "太平洋保险", "新华保险", "泰康人寿", "人保寿险", "太平人寿", "阳光保险", "友邦",
            "富德生命", "华夏保险", "合众人寿", "百年人寿", "中邮人寿", "建信人寿", "招商信诺"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
PRETEXT = {
    "surrender_for_investment": ["您的{pol}近年收益不足{low}%", "老保单收益升级补偿活动", "{pol}即将停售需做资产转换",
                                 "您的保单已满{y}年符合升级条件", "分红账户即将清算"],
    "agent_surrender": ["交了{y}年的保费也能全额退回", "您的保单当初销售存在误导", "专业团队帮您维权退保",
                        "退保损失可以全部追回", "按我们的话术去投诉"],
    "fake_claim_fee": ["您有一笔{amt}元理赔金待领取", "理赔款因账户异常被冻结", "理赔系统升级需重新验证",
                       "车辆理赔需补缴手续费"],
    "fake_policy_loan": ["凭保单可免息借款{amt}元", "保单质押无需审核当天放款", "征信不好也能凭保单贷款",
                         "保单借款额度已提升至{amt}元"],
    "fake_customer_service": ["您的{pol}即将自动扣费{amt}元", "系统检测到您的保单信息有误", "您的保单被误开通了会员服务",
                              "您的保单将被注销"],
    "fake_regulator": ["你的保单涉嫌违规需要配合调查", "你名下账户涉及洗钱案件", "监管部门正在清查违规保单",
                       "资金需转入安全账户核查"],
    "phishing_link": ["您的保单积分即将清零", "您有一份保单红利待领取", "保单电子合同需重新签署", "您的保单需实名认证"],
    "medical_insurance_card": ["您的医保卡在外地被盗刷", "医保账户涉嫌违规套现", "医保卡即将停用", "医保待遇需重新认证"],
    "other_scam": ["兼职刷单日结{amt}元", "您的快递丢失可双倍理赔", "您中了周年庆大奖", "网贷注销影响征信"],
}
LURE = ["年化收益{rate}%保本保息", "每月返息{amt}元", "名额仅剩{n}个", "损失由公司全额补偿", "另赠{gift}一份",
        "今天办理可免手续费", "内部渠道只对老客户开放", "收益当天到账"]
DEMAND = ["请先缴纳{amt}元保证金", "需提供银行卡号和验证码", "请下载{app}共享屏幕", "请把资金转入指定账户",
          "到账后先付{pct}%服务费", "请点击链接填写信息", "需要先做一笔流水验证", "请到指定网点签署协议"]
CONTACT = ["详询专员{mobile}", "加微信{wx}办理", "回拨{mobile}", "登录{url}", "拨打{landline}", "联系{name}经理{mobile}"]
POLICIES = ["分红险", "万能险", "年金险", "重疾险", "两全保险", "教育金", "养老保险", "终身寿险"]
GIFTS = ["电饭煲", "食用油", "体检卡", "购物卡", "旅游券", "保温杯"]
APPS = ["会议软件", "屏幕共享App", "安全助手", "云视讯"]
MOBILE_PREFIXES = ["13" + d for d in "0123456789"] + ["15" + d for d in "012356789"] + ["18" + d for d in "0123456789"] \
    + ["17" + d for d in "0135678"] + ["19" + d for d in "01235689"]


def _mobile(r: random.Random) -> str:
    return r.choice(MOBILE_PREFIXES) + f"{r.randint(0, 99_999_999):08d}"


def _fill(s: str, r: random.Random) -> str:
    return s.format(
        ins=r.choice(INSURERS), name=r.choice(SURNAMES), pol=r.choice(POLICIES), low=r.randint(1, 3),
        y=r.randint(2, 12), amt=r.choice([r.randint(2, 99) * 100, r.randint(1, 50) * 1000]), rate=r.randint(6, 18),
        n=r.randint(2, 9), gift=r.choice(GIFTS), app=r.choice(APPS), pct=r.randint(10, 40), mobile=_mobile(r),
        wx=f"{r.choice(['kf', 'vip', 'bx', 'lc'])}{r.randint(100, 99999)}", landline=f"0{r.randint(10, 99)}-{r.randint(5_000_000, 8_999_999)}",
        url=f"http://{r.choice(['bx', 'pa', 'gs', 'tb'])}-{r.choice(['vip', 'fw', 'kf'])}{r.randint(1, 999)}.{r.choice(['cn', 'top', 'xyz'])}/s",
    )


def scripts(n: int, seed: int = 5) -> Iterator[dict[str, str]]:
    """n distinct scripts {"type", "text", "note"}."""
    r = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < n:
        t = r.choice(TYPES)
        parts = ["您好，我是" + _fill(r.choice(WHO), r), _fill(r.choice(PRETEXT[t]), r), _fill(r.choice(LURE), r),
                 _fill(r.choice(DEMAND), r), _fill(r.choice(CONTACT), r)]
        text = "，".join(parts[: r.randint(3, 5)]) + "。"
        if text in seen:
            continue
        seen.add(text)
        yield {"type": t, "text": text, "note": "bench"}


def numbers(m: int, seed: int = 7) -> Iterator[dict[str, object]]:
    """m distinct reported numbers, as registry keys."""
    r = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < m:
        x = r.random()
        if x < 0.9:
            key = "+86" + _mobile(r)
        elif x < 0.97:
            key = "+86" + r.choice(["10", "21", "20", "755", "571", "28"]) + str(r.randint(50_000_000, 69_999_999))
        else:
            key = f"400{r.randint(0, 9_999_999):07d}"
        if key in seen:
            continue
        seen.add(key)
        day = f"2025-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        yield {"number": key, "type": r.choice(TYPES), "note": "bench", "reports": r.randint(1, 20),
               "first_reported": day, "last_reported": day}


def write(path: Path, n_scripts: int, n_numbers: int, seed: int = 5) -> None:
    """One file in the format its suffix names (.jsonl, .csv, .yaml), as ``admin export`` writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    with path.open("w", encoding="utf-8", newline="") as fh:
        if suffix == ".jsonl":
            for row in scripts(n_scripts, seed):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            for row in numbers(n_numbers, seed + 2):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif suffix == ".csv":
            cols = ["type", "text", "number", "note", "reports", "first_reported", "last_reported", "status"]
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            for row in scripts(n_scripts, seed):
                w.writerow({c: row.get(c, "") for c in cols})
            for row in numbers(n_numbers, seed + 2):
                w.writerow({c: row.get(c, "") for c in cols})
        elif suffix in (".yaml", ".yml"):
            fh.write("# PolicyGuard export: scam scripts and reported numbers (python run.py admin import FILE)\n")
            fh.write("scripts:\n")
            for row in scripts(n_scripts, seed):
                fh.write("- " + json.dumps(row, ensure_ascii=False) + "\n")
            fh.write("numbers:\n")
            for row in numbers(n_numbers, seed + 2):
                fh.write("- " + json.dumps(row, ensure_ascii=False) + "\n")
        else:
            raise SystemExit(f"unsupported format {suffix}: use .jsonl, .csv or .yaml")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scripts", type=int, default=10_000)
    p.add_argument("--numbers", type=int, default=1_000_000)
    p.add_argument("--format", choices=["jsonl", "csv", "yaml"], default="jsonl")
    p.add_argument("--out", type=Path, help="default: bench/out/bulk.<format>")
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args(argv)
    out = a.out or Path(__file__).resolve().parent / "out" / f"bulk.{a.format}"
    t0 = time.perf_counter()
    write(out, a.scripts, a.numbers, a.seed)
    sys.stderr.write(f"wrote {a.scripts} scripts and {a.numbers} numbers to {out} "
                     f"({out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
