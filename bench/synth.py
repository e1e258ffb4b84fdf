"""Synthetic-but-realistic scam scripts and reported numbers for the benchmark (deterministic).

Scripts are built combinatorially: a scam type picks a template (an ordered list of slots), and each slot
draws from its own vocabulary — insurers and their short names, who the caller claims to be, pretexts,
lures with rates and amounts, demands, contacts, urgency — plus generated product names and people. So
the index sees a realistic spread of document frequencies: a few words (退保, 理财, 客服) in a large share
of the scripts, most words rare, and no two scripts alike.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

INSURERS = [
    "中国人寿", "国寿", "平安人寿", "平安", "太平洋保险", "太保", "新华保险", "泰康人寿", "泰康", "人保寿险",
    "人保", "太平人寿", "中国太平", "友邦保险", "友邦", "阳光保险", "富德生命", "华夏保险", "民生保险",
    "合众人寿", "百年人寿", "天安人寿", "前海人寿", "中邮人寿", "工银安盛", "建信人寿", "招商信诺",
    "中英人寿", "信泰人寿", "幸福人寿", "君康人寿", "国华人寿", "光大永明", "中意人寿", "交银人寿",
]
ROLES = [
    "客服中心", "售后服务部", "理赔部", "保全部", "回访中心", "VIP客户部", "客户关怀中心", "分红管理部",
    "资产管理部", "客户经理", "专属顾问", "理财顾问", "服务专员", "会员中心", "总部客服", "银保部",
]
REGULATORS = ["银保监会", "保监局", "金融监管局", "消保局", "金融监督管理总局", "保险行业协会", "消费者权益保护局"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
TITLES = ["经理", "专员", "主任", "顾问", "老师", "助理", "督导", "科长"]
PROD_A = "鑫金福安瑞盈享稳泰康禄寿丰利宝盛恒裕嘉和富祥隆瑞智聚鸿锦悦添华尊"
PROD_B = ["宝", "盈", "通", "计划", "一号", "优选", "尊享", "增利", "稳健", "年金", "理财", "收益", "金账户", "e贷"]
POLICY = ["分红险", "万能险", "年金险", "重疾险", "寿险", "养老保险", "教育金", "两全保险", "意外险", "医疗险",
          "投连险", "终身寿险", "少儿险", "惠民保", "车险"]

PRETEXT = {
    "surrender_for_investment": [
        "您名下的{policy}近几年实际收益不足{low}%", "您的{policy}分红远低于预期", "公司推出保单收益升级补偿活动",
        "老客户专享保单转换权益", "您的保单已满{years}年符合升级条件", "{policy}即将停售需做资产转换",
        "国家新政策允许保单资金转投理财", "您的保单存在收益损失需要补偿", "我司与银行合作推出保单增值服务",
        "老保单收益太低不划算", "公司内部额度释放", "分红账户即将清算",
    ],
    "agent_surrender": [
        "买了保险后悔了", "交了几年的保费也能全额退回", "您的保单当初销售存在误导", "国家出台退保新政策",
        "保险公司不想让您知道的退保方法", "我们有内部关系", "专业维权团队", "退保损失可以全部追回",
        "百分百全额退保", "已帮上千名客户拿回保费", "按我们的话术去投诉", "保单可以无条件全退",
    ],
    "fake_claim_fee": [
        "您的理赔申请已审核通过", "理赔款因账户异常被冻结", "您有一笔{amount}元理赔金待领取", "理赔系统升级需重新验证",
        "您的理赔款到账失败", "保险金发放需先激活账户", "医疗理赔款已打入托管账户", "车辆理赔需补缴手续费",
    ],
    "fake_policy_loan": [
        "保单贷款秒批", "凭保单可免息借款{amount}元", "您的保单可申请{rate}倍额度贷款", "无需审核保单质押放款",
        "保单借款额度已提升", "内部渠道低息贷款", "征信不好也能凭保单贷款", "放款前需验证还款能力",
    ],
    "fake_customer_service": [
        "您的保单即将自动扣费{amount}元", "您开通的百万医疗险即将续费", "系统检测到您的保单信息有误",
        "您的账户存在异常操作", "您的保单被误开通了会员服务", "需要为您办理保单信息更新", "您的保单将被注销",
        "您购买的保险不符合新规需调整",
    ],
    "fake_regulator": [
        "你的保单涉嫌违规需要配合调查", "你名下账户涉及洗钱案件", "监管部门正在清查违规保单",
        "你的保单资金需要接受安全审查", "保险公司已被立案调查", "你的投诉已由监管受理", "资金需转入安全账户核查",
    ],
    "phishing_link": [
        "您的保单积分即将清零", "保单年度红利待领取", "电子保单需要重新认证", "您的保单信息需在线更新",
        "点击领取保险周年礼", "账户升级需在线验证", "保单分红已到账请查收", "您有待确认的电子回执",
    ],
    "medical_insurance_card": [
        "您的医保卡涉嫌违规套现", "医保账户即将冻结", "您的医保卡在外地被盗刷", "医保个人账户余额可提现",
        "医保卡需要重新激活", "电子医保凭证需要升级", "医保待遇资格认证即将到期",
    ],
    "other_scam": [
        "刷单返利日结", "您的快递丢失可获赔", "您涉嫌一起诈骗案件", "领导让你先转一笔钱", "网贷注销否则影响征信",
        "投资虚拟货币稳赚不赔", "游戏账号交易平台解冻", "兼职点赞每天赚{amount}元",
    ],
}
LURE = [
    "转入年化{rate}%的保本理财", "收益是保单的三倍", "保本保息每月返息", "退保损失由公司全额补偿",
    "额外赠送{gift}", "贴息{rate2}%", "本金有保障随时可取", "比银行利息高得多", "名额有限先到先得",
    "只收取少量服务费", "不成功不收费", "当天放款", "可全额退回已交保费", "还可领取{amount}元补贴",
    "无需本人到场", "资金由监管账户托管",
]
DEMAND = [
    "先把保单退了", "先做保单质押贷款", "缴纳{amount}元手续费", "提供身份证和银行卡照片", "把钱转到指定账户",
    "告诉我们收到的验证码", "下载{app}进行操作", "开启屏幕共享", "签一份委托协议", "先交{amount}元保证金",
    "把资金转入安全账户", "点击链接填写信息", "关注公众号{wx}办理", "不要告诉家人和银行", "在{app}上注册账号",
    "先交{amount}元解冻费", "支付{amount}元验证费",
]
CONTACT = [
    "详询专员{mobile}", "加微信{wx}", "请致电{landline}", "回复1办理", "点击{url}", "拨打{mobile}预约",
    "添加企业微信{wx}", "联系{person}{mobile}", "私信了解", "扫码进群", "联系QQ{qq}",
]
URGENCY = [
    "今天是最后期限", "逾期将影响征信", "名额仅剩{n}个", "24小时内有效", "过期作废", "否则保单将被注销",
    "请尽快办理", "本周五截止", "错过不再有", "否则将承担法律责任",
]
GIFTS = ["三亚双人旅游券", "体检套餐", "500元购物卡", "高端米面油", "金条一根", "养生礼盒", "话费1000元", "家电一台"]
APPS = ["保险管家", "安心理财", "惠保通", "XX金融", "速贷", "中保服务", "会议助手", "e保通"]
TLDS = ["top", "vip", "cc", "xyz", "icu", "cn.com", "net"]

OPENERS = ["【{org}】", "【{org}{role}】", "您好，我是{org}{role}的{person}，", "尊敬的{org}客户：", "", "",
           "温馨提示：", "{org}通知：", "我是{reg}工作人员，", "亲爱的客户您好，"]

TEMPLATES = [
    ["opener", "pretext", "lure", "demand", "contact"],
    ["opener", "pretext", "demand", "lure", "urgency", "contact"],
    ["pretext", "lure", "contact"],
    ["opener", "pretext", "lure", "lure", "demand", "urgency"],
    ["pretext", "demand", "contact", "urgency"],
    ["opener", "pretext", "pretext", "lure", "demand", "contact"],
]


def _person(r: random.Random) -> str:
    return r.choice(SURNAMES) + r.choice(TITLES)


def _product(r: random.Random) -> str:
    return "“" + r.choice(PROD_A) + r.choice(PROD_A) + r.choice(PROD_B) + "”"


def _fill(s: str, r: random.Random) -> str:
    return s.format(
        policy=r.choice(POLICY), low=r.choice(["1", "1.5", "2", "2.5"]), years=r.randint(2, 12),
        amount=r.choice([199, 380, 500, 1200, 2000, 3000, 5000, 8800, 12000, 30000, 50000, 100000]),
        rate=r.choice(["8", "8.5", "9", "10", "12", "15", "18"]), rate2=r.choice(["2", "3", "5"]),
        gift=r.choice(GIFTS), app=r.choice(APPS), wx=_wechat(r), mobile=_mobile(r), landline=_landline(r),
        url=_url(r), person=_person(r), qq=r.randint(10_000_000, 999_999_999), n=r.randint(3, 50),
    )


def _wechat(r: random.Random) -> str:
    return r.choice(["kf", "vip", "bx", "lc", "tb", "pa", "gs"]) + "_" + "".join(r.choice("abcdefghjkmnpqrstuvwxyz0123456789") for _ in range(6))


MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "166", "171", "173", "176", "177", "180", "181", "182", "183", "185",
                   "186", "187", "188", "189", "191", "198", "199"]


def _mobile(r: random.Random) -> str:
    return f"{r.choice(MOBILE_PREFIXES)}{r.randint(0, 99_999_999):08d}"


def _landline(r: random.Random) -> str:
    return f"0{r.choice(['10', '21', '20', '755', '571', '28', '27', '25'])}-{r.randint(2_000_0000, 8_999_9999)}"


def _url(r: random.Random) -> str:
    name = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(4, 9)))
    return f"http://{name}.{r.choice(TLDS)}/{r.randint(100, 99999)}"


def script(r: random.Random, i: int = 0) -> dict[str, str]:
    """One synthetic script: {"type", "text"}."""
    stype = r.choice(list(PRETEXT))
    parts: list[str] = []
    for slot in r.choice(TEMPLATES):
        if slot == "opener":
            parts.append(r.choice(OPENERS).format(org=r.choice(INSURERS), role=r.choice(ROLES), person=_person(r),
                                                  reg=r.choice(REGULATORS)))
            continue
        pool = {"pretext": PRETEXT[stype], "lure": LURE, "demand": DEMAND, "contact": CONTACT, "urgency": URGENCY}[slot]
        piece = _fill(r.choice(pool), r)
        if slot == "lure" and r.random() < 0.4:
            piece = f"购买{_product(r)}{piece}"
        if slot == "pretext" and piece.startswith("您的") and r.random() < 0.5:
            piece = f"您在{r.choice(INSURERS)}的{r.choice(POLICY)}" + piece.lstrip("您的")
        parts.append(piece + r.choice(["，", "，", "。", "！"]))
    text = "".join(parts).rstrip("，") + str(i % 7 if r.random() < 0.1 else "")
    return {"type": stype, "text": text.strip("，")}


def scripts(n: int, seed: int = 5) -> Iterator[dict[str, str]]:
    """The first n distinct scripts of the stream for ``seed`` (so a smaller set is a prefix of a larger one)."""
    r = random.Random(seed)
    seen: set[str] = set()
    i = 0
    while len(seen) < n:
        s = script(r, i)
        i += 1
        if s["text"] in seen:
            continue
        seen.add(s["text"])
        yield s


def numbers(m: int, seed: int = 7) -> Iterator[tuple[str, str, str]]:
    """m distinct registry keys (as ``bot.numbers.parse`` normalizes them): (key, scam_type, note)."""
    r = random.Random(seed)
    types = list(PRETEXT)
    seen: set[str] = set()
    while len(seen) < m:
        x = r.random()
        if x < 0.8:
            key = "+86" + _mobile(r)
        elif x < 0.95:
            key = "+86" + str(r.choice([10, 21, 20, 755, 571, 28])) + str(r.randint(5_000_0000, 6_999_9999))
        else:
            key = f"400{r.randint(0, 9_999_999):07d}"
        if key in seen:
            continue
        seen.add(key)
        yield key, r.choice(types), "bench"
