"""What the bot says, in one place: the help's fixed parts, usage lines, refusals, notices, outcomes.

Why here: the wording is product, not logic. A reviewer (or a translator) reads every sentence the
conversation can send in this file; the modules beside it only choose which one and fill in numbers.
The command lines of /help are not here: they come from the command table (bot/conversation/commands.py),
so a command and its help line can't drift apart. Verdicts and lookups are worded by bot/render.
"""

from __future__ import annotations

from typing import Any

from bot.model import SCAM_TYPES

# --- /start and /help: the parts around the command lines ------------------------------------------------

HELP_HEAD = """保单卫士 —— 帮您识别冒充保险公司、监管部门的诈骗。

怎么用：
• 把可疑短信、微信消息直接转发或粘贴给我；
• 或者用自己的话描述对方在电话里说了什么；
• 只发一个电话号码，我会查它是不是保险公司的官方号码；"""

HELP_TAIL = """我会告诉您：风险等级、像哪种已知骗局、可疑的说法、官方风险提示，以及现在该怎么做。

隐私：您发来检查的内容不会被保存或记录，只统计次数和风险等级；只有您主动 /report 举报的内容才会在去除身份证号、银行卡号、手机号和姓名后保存，供管理员审核。

记住：保险公司和监管部门不会让您退保去买高收益理财，不会要求先交手续费才能理赔或贷款，也不会索要验证码。拿不准时，请挂断后自行拨打保单上的官方客服电话，或拨打 12378 咨询、96110 反诈专线、110 报警。"""

ADMIN_HELP_HEAD = "管理员命令："
ADMIN_HELP_TAIL = "类型：" + "、".join(f"{k}（{v}）" for k, v in SCAM_TYPES.items())

# --- commands ------------------------------------------------------------------------------------------

NO_PERMISSION = "⛔ 无权限：这个命令只有管理员可以使用。"
UNKNOWN_COMMAND = "未知命令 /{name}。发送 /help 查看用法。"
LOOKUP_USAGE = "用法：/lookup 号码或网址，例如 /lookup 95519 或 /lookup pingan.com"
CHECK_USAGE = "用法：/check 要检查的文字（在群里也可以回复一条消息并发送 /check）"
NOTHING_TO_CANCEL = "当前没有进行中的操作。"

ADDPATTERN_USAGE = "用法：/addpattern 类型 | 话术，例如 /addpattern agent_surrender | 专业团队代办全额退保，不成功不收费"
ADDNUMBER_USAGE = "用法：/addnumber 号码 类型 备注，例如 /addnumber 13912345678 fake_regulator 冒充银保监"
DELPATTERN_USAGE = "用法：/delpattern 编号"
DELNUMBER_USAGE = "用法：/delnumber 号码"
PATTERN_ADDED = "✅ 已添加话术 #{id}（{type}），立即生效。"
NUMBER_ADDED = "✅ 已登记号码 {number}（累计举报 {reports} 次）。"
PATTERN_DELETED = "✅ 已停用话术 #{id}。"
NUMBER_DELETED = "✅ 已移除号码 {number}。"
UNDONE = "↩️ {message}。再次发送 /undo 可继续撤销更早的修改。"
FAILED = "❌ {error}"

# --- reports: the customers' side ----------------------------------------------------------------------

REPORT_USAGE = ("用法：\n• 回复一条诈骗消息，发送 /report\n• /report 号码 对方说了什么，例如 /report 13912345678 自称保险公司客服，让我退保买理财\n"
                "• /report 后粘贴诈骗短信原文\n举报内容会先去除身份证号、银行卡号、手机号和姓名，再交管理员审核。")
REPORT_CAP = "❌ 您今天的举报已达上限（{cap} 条），请明天再试。紧急情况请拨打 96110 或 110。"
NOT_AUTHOR = ("这条消息不是您发的：为保护发送者的隐私，只有发送者本人或管理员可以举报它的文字。"
              "消息里没有可举报的号码；如果您也收到了，请在私聊中发送 /report 加上您收到的内容。")
NUMBER_ONLY = "这条消息不是您发的：为保护发送者的隐私，只举报了其中的号码 {number}，没有保存消息文字。\n"
GROUP_REPORT_DM = "✅ 已收到，处理情况已私信给您。"
GROUP_REPORT_NO_DM = "已收到。为保护隐私，举报的处理情况只在私聊中告知：请私聊我并发送 /myreports 查看。"
NOTHING_TO_REPORT = "被回复的消息里没有可举报的文字。请回复诈骗短信本身，或发送 /report 加上短信文字。"
ADD_TO_NUMBER_REPORT = "\n想补充对方说了什么，请发送：/report {number} 对方的说法"

#: /myreports: each report's outcome, by the state bot.admin.reports.my_reports gives it.
REPORT_OUTCOMES = {
    "pending": "等待管理员审核（{count} 人举报）",
    "rejected": "管理员审核后未采纳（可能不是诈骗，或信息不足）",
    "pattern_live": "已加入诈骗话术库，其他用户收到类似消息会看到提醒",
    "pattern_gone": "曾加入诈骗话术库，现已停用",
    "number_live": "号码已登记为诈骗号码，其他用户查询时会看到提醒",
    "number_gone": "号码曾登记，现已移除",
    "approved": "已采纳",
}
NO_REPORTS_YET = "您还没有举报过内容。遇到诈骗短信或号码，可发送 /report 加内容举报。"
MY_REPORTS_HEAD = "您的举报："
MY_REPORT_LINE = "#{id} {kind}「{preview}」—— {status}：{outcome}"


def report_outcome(row: dict[str, Any]) -> str:
    """One report's outcome in words (a row of bot.admin.reports.my_reports)."""
    return REPORT_OUTCOMES[row["outcome_state"]].format(count=row.get("count"))


# --- buttons -------------------------------------------------------------------------------------------

STALE_BUTTON = "这个按钮已失效，请重新发送消息。"
STALE_REVIEW = "这个按钮已失效，请重新发送 /pending。"
#: The notice a non-admin gets for an admin button (forged or forwarded): nothing happens.
NO_PERMISSION_NOTICE = "⛔ 无权限：只有管理员可以审核举报。"
VOTE_THANKS = "谢谢！已记录：{vote}"
VOTE_FP_NOTE = "。误报会交给管理员改进规则。"
NOT_YOUR_BUTTON = "这个按钮不是给您的：只有收到这条结果的人可以用它反馈或举报。想举报其中的号码，请回复原消息发送 /report。"
CONFIRM_REPORT = "确认举报这条消息吗？点「✅ 确认举报」提交，点「取消」放弃。"
CONFIRM_AGAIN = "确认举报这条消息吗？请在 60 秒内再点一次 🚩 举报 提交。"
REPORT_CANCELLED = "已取消举报。"
VOTED_ALREADY = "您已经反馈过这条结果了，每人只计一次。"
CHECK_GONE_VOTE = "这条结果的记录已不存在，无法反馈。"
CHECK_GONE_REPORT = "这条结果的记录已不存在，请回复原消息发送 /report 举报。"
NO_SOURCE_TEXT = ("找不到原消息的文字（可能已删除，或是图片）。请回复原消息发送 /report，"
                  "或发送 /report 加上诈骗短信的文字。")
NOISY_HEAD = "⚠️ 话术误报提醒：以下话术的用户误报反馈已达 {threshold} 次，请检查是否需要停用（/delpattern 编号）："
NOISY_LINE = "• #{id}（{type}）误报 {fp} 次 / 命中 {hits} 次：{text}"
NOISY_TOTAL = "目前共有 {total} 条话术误报较多（python run.py admin noisy 查看）。"

# --- reviews (admins) ----------------------------------------------------------------------------------

NO_PENDING = "暂无待审核的举报。"
PENDING_HEAD = "待审核的举报：{total} 条"
PENDING_MORE = "（显示前 {shown} 条，处理后再发 /pending 查看更多）"
PENDING_HINT = "。通过：加入话术库或号码库，立即生效；驳回：保留计数以识别重复举报；每次操作都可 /undo 撤销。"
REJECTED = "❌ 已驳回举报 #{id}。（/undo 可撤销）"
UNDO_HINT = "（/undo 可撤销）"
PICK_TYPE_NOTICE = "请先选择诈骗类型"
PICK_TYPE = "请选择诈骗类型后通过："
FORCE_BUTTON = "⚠️ 仍然通过（强制）"
REJECT_BUTTON = "❌ 驳回"

#: Under a group warning: the details are given privately, never in the group.
GROUP_DETAILS = "想知道为什么、该怎么办，请把这条消息转发给我私聊查看详情。"
#: What to send, for a greeting or thanks (knowledge/smalltalk.yaml may word it differently).
SMALLTALK_HINT = "您好，我是保单卫士。把可疑的短信、消息转发给我，或说说对方在电话里讲了什么，我会告诉您是不是骗局、该怎么做。"

