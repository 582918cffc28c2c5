"""The console's languages: English, and Chinese for the operators of a Chinese SMS platform.

A message is looked up by its English text, so the English pages read exactly as written in
the templates and a message nobody translated yet still shows, in English. The language is
the `smssign_lang` cookie when the operator chose one with the switch in every page, else
the browser's `Accept-Language` (any `zh` → Chinese, anything else → English).

New console text: write it in the template as `{{ _("English text", name=value) }}` (values
may be markup the template built, such as a link) and add its Chinese to `ZH`;
tests/console/test_i18n.py fails while a template message has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from markupsafe import Markup, escape

from smssign.backoffice.timeline import describe

ENGLISH = "en"
CHINESE = "zh"
LANGUAGES = (ENGLISH, CHINESE)
LANG_COOKIE = "smssign_lang"
LANG_COOKIE_AGE = 365 * 24 * 3600
HTML_LANG: Mapping[str, str] = {ENGLISH: "en", CHINESE: "zh-CN"}
SWITCH_LABELS: Mapping[str, str] = {ENGLISH: "English", CHINESE: "中文"}

ZH: Mapping[str, str] = {
    # base.html
    "smssign console": "smssign 控制台",
    "console": "控制台",
    "Dashboard": "概览",
    "Review queue": "审核队列",
    "Signatures": "签名",
    "Accounts": "账号",
    "Webhook deliveries": "Webhook 投递",
    "Messages": "短信",
    "Log out": "退出登录",
    "Language": "语言",
    # login.html
    "Log in": "登录",
    "Operators review signatures, manage accounts and webhooks.": (
        "操作员在此审核签名，管理账号和 Webhook。"
    ),
    "Operator name": "操作员名称",
    "Password": "密码",
    "New operators:": "新建操作员：",
    "The login form expired. Please try again.": "登录表单已过期，请重试。",
    "wrong name or password": "名称或密码错误",
    "too many failed logins; try again later": "登录失败次数过多，请稍后再试",
    "too many failed logins from your address; try again later": (
        "您的地址登录失败次数过多，请稍后再试"
    ),
    # statuses
    "pending": "待审核",
    "filing": "运营商报备中",
    "approved": "已通过",
    "rejected": "已拒绝",
    "deleted": "已删除",
    "delivered": "已送达",
    "failed": "已失败",
    "cancelled": "已取消",
    "delivery|pending": "待投递",
    "any": "全部",
    # dashboard.html
    "{count} signature(s) waiting; the oldest, {name}, was submitted {at}.": (
        "{count} 个签名待审核；最早的 {name} 提交于 {at}。"
    ),
    "Open the review queue": "打开审核队列",
    "Nothing is waiting for review.": "没有待审核的申请。",
    "Auto-review: {mode}.": "自动审核：{mode}。",
    "Auto-review: {mode}, after {delay} s, {rules} rule(s).": (
        "自动审核：{mode}，{delay} 秒后，{rules} 条规则。"
    ),
    "off": "关闭",
    "approve": "通过",
    "reject": "拒绝",
    # queue.html and macros.html
    "Pending applications, oldest first ({total} in all).": (
        "待审核的申请，最早的在前（共 {total} 个）。"
    ),
    "Pending applications, oldest first ({total} in all, showing {shown}).": (
        "待审核的申请，最早的在前（共 {total} 个，显示 {shown} 个）。"
    ),
    "In carrier filing": "运营商报备中",
    "Approved by review, waiting for the carriers ({total}).": (
        "已审核通过，等待运营商报备（{total} 个）。"
    ),
    "modification": "修改",
    "new": "新申请",
    "#{id} · application {application} · account {account} · submitted {at}": (
        "#{id} · 申请 {application} · 账号 {account} · 提交于 {at}"
    ),
    "Changes against the previous application": "与上一次申请相比的改动",
    "Proof": "证明材料",
    "Commission (power of attorney)": "委托授权书",
    "proof image": "证明图片",
    "commission image": "委托授权书图片",
    "previous {label}": "之前的{label}",
    "none": "无",
    "Approve": "通过",
    "Start filing": "开始运营商报备",
    "Reason for rejection": "拒绝原因",
    "(shown to the applicant)": "（申请人可见）",
    "Reject": "拒绝",
    "Field": "字段",
    "Previous application": "上一次申请",
    "This application": "本次申请",
    "changed": "已修改",
    "Name": "名称",
    "Scope": "范围",
    "Signature type": "签名类型",
    "Document type": "证明类型",
    "Use": "用途",
    "Qualification": "资质",
    "Remark": "备注",
    "Proof images": "证明图片",
    "Commission image": "委托授权书图片",
    "Provider fields": "服务商字段",
    "Template type": "模板类型",
    "Content": "模板内容",
    "general": "普通短信",
    "marketing": "营销短信",
    "notification": "通知短信",
    "verification code": "验证码短信",
    # templates.html, template.html, the queue's templates
    "Templates": "模板",
    "{total} template(s).": "共 {total} 个模板。",
    "No templates match.": "没有匹配的模板。",
    "Templates: {pending} pending, {approved} approved, {rejected} rejected.": (
        "模板：{pending} 个待审核，{approved} 个已通过，{rejected} 个已拒绝。"
    ),
    "All templates": "全部模板",
    "Type": "类型",
    "Pending templates, oldest first ({total} in all).": (
        "待审核模板，最早提交的在前（共 {total} 个）。"
    ),
    "No template is waiting for review.": "没有待审核的模板。",
    "Template {id} approved.": "模板 {id} 已通过。",
    "Template {id} rejected.": "模板 {id} 已拒绝。",
    "Choose approve or reject.": "请选择通过或拒绝。",
    "status must be pending, approved or rejected.": "状态必须是待审核、已通过或已拒绝。",
    (
        "The template is {current} now, so it cannot become {target}. "
        "Someone may have reviewed it first."
    ): ("该模板当前为{current}，无法变为{target}。可能已有其他人先审核了。"),
    "international": "国际/港澳台",
    "mainland China": "中国大陆",
    "{count} image(s)": "{count} 张图片",
    "1 image": "1 张图片",
    # signatures.html
    "Status": "状态",
    "Account id": "账号 ID",
    "Name contains": "名称包含",
    "Filter": "筛选",
    "{total} signature(s).": "共 {total} 个签名。",
    "Id": "ID",
    "Account": "账号",
    "Submitted": "提交时间",
    "Review reply": "审核回复",
    "No signatures match.": "没有匹配的签名。",
    "← newer": "← 较新",
    "older →": "较旧 →",
    "page {page} of {pages}": "第 {page} / {pages} 页",
    "page {page}": "第 {page} 页",
    # signature.html
    "#{id} · account {account}": "#{id} · 账号 {account}",
    " · submitted {at}": " · 提交于 {at}",
    " · reviewed {at}": " · 审核于 {at}",
    " · deleted {at}": " · 删除于 {at}",
    "Review reply:": "审核回复：",
    "Latest modification": "最近一次修改",
    "Timeline": "时间线",
    "timeline|Submitted": "已提交",
    "Modified": "已修改",
    "application {id} via {dialect}": "申请 {id}，来自 {dialect}",
    "Approved": "已通过",
    "Filing started": "开始运营商报备",
    "Rejected": "已拒绝",
    "by {reviewer} (application {application})": "审核人 {reviewer}（申请 {application}）",
    "Deleted": "已删除",
    "by the account": "由账号删除",
    "Webhook": "Webhook",
    "Callback": "回调",
    "delivery {id}": "投递 {id}",
    "{status} after {attempts} attempt(s)": "{status}，共尝试 {attempts} 次",
    ", last HTTP {code}": "，最后一次 HTTP {code}",
    # accounts.html and issued.html
    "Create an account": "创建账号",
    "Certification": "认证类型",
    "enterprise": "企业",
    "individual": "个人",
    "Create": "创建",
    "Credentials for every dialect are issued and shown once.": (
        "系统为每种接口签发凭证，且只显示一次。"
    ),
    "Arrears": "欠费",
    "IP allow-list": "IP 白名单",
    "Quota": "配额",
    "Created": "创建时间",
    "suspended": "已停用",
    "no": "否",
    "No accounts yet.": "还没有账号。",
    "Credentials": "凭证",
    "New credential": "新凭证",
    "Account created": "账号已创建",
    "Copy these now. The secrets are shown only once; smssign keeps no way to show them again.": (
        "请立即复制。密钥只显示这一次，smssign 无法再次显示。"
    ),
    "Dialect": "接口",
    "Key id": "密钥 ID",
    "Secret": "密钥",
    "— (the key id is the key)": "—（密钥 ID 即密钥）",
    "Go to the account": "前往账号",
    # account.html
    "Account {id}: {name}": "账号 {id}：{name}",
    "Created {at} · {count} live signature(s)": "创建于 {at} · {count} 个有效签名",
    "Policy": "策略",
    "In arrears (API calls refused)": "欠费（拒绝 API 调用）",
    "(addresses or CIDR networks, one per line; empty = any)": (
        "（地址或 CIDR 网段，每行一个；留空表示不限）"
    ),
    "Signature quota": "签名配额",
    "Save policy": "保存策略",
    "Issued": "签发时间",
    "{label} shown once": "{label} 仅显示一次",
    "Rotate": "轮换",
    "Rotating revokes the old credential at once and shows the new secret once.": (
        "轮换会立即吊销旧凭证，新密钥只显示一次。"
    ),
    "leave empty to keep the current one": "留空则保留当前密钥",
    "leave empty to have one made up": "留空则自动生成",
    "Enabled": "启用",
    "Save webhook": "保存 Webhook",
    "Remove webhook": "删除 Webhook",
    "Set {created}, changed {updated}; enabled.": "设置于 {created}，修改于 {updated}；已启用。",
    "Set {created}, changed {updated}; paused.": "设置于 {created}，修改于 {updated}；已暂停。",
    "Deliveries": "投递",
    "All deliveries of this account": "该账号的全部投递",
    "Recent signatures": "最近的签名",
    "None.": "无。",
    "All signatures of this account": "该账号的全部签名",
    # webhook_secret.html
    "Webhook saved": "Webhook 已保存",
    "Deliveries for account {account} go to {url}.": "账号 {account} 的投递将发送到 {url}。",
    "smssign made up this signing secret. Configure it in your receiver now:": (
        "smssign 生成了这个签名密钥。请立即在接收端配置："
    ),
    "Back to the account": "返回账号",
    # deliveries, delivery_rows and delivery.html
    "Event": "事件",
    "Signature": "签名",
    "Attempts": "尝试次数",
    "Last reply": "最后一次回复",
    "Next attempt": "下次尝试",
    "Event time": "事件时间",
    "No deliveries.": "没有投递。",
    "Delivery {id}": "投递 {id}",
    "event {event} at {at}": "事件 {event}，时间 {at}",
    "account": "账号",
    "signature": "签名",
    "{count} attempt(s).": "已尝试 {count} 次。",
    "Next attempt {at}.": "下次尝试：{at}。",
    "Finished {at}.": "完成于 {at}。",
    "Sent to:": "发送到：",
    "(paused)": "（已暂停）",
    "no webhook set": "未设置 Webhook",
    "Send again": "再次发送",
    "Retry now": "立即重试",
    "Body": "内容",
    "Started": "开始时间",
    "Took": "耗时",
    "Reply": "回复",
    "Response": "响应",
    "No attempts yet.": "还没有尝试。",
    # messages.html, message.html and the dashboard's message counts
    "message|pending": "待回执",
    "message|delivered": "已送达",
    "message|failed": "发送失败",
    "Number": "手机号码",
    "Text contains": "内容包含",
    "Search": "搜索",
    "This search looks at the newest {window} messages; a whole number finds all of its "
    "messages.": "此搜索只查看最新的 {window} 条短信；输入完整号码可找到该号码的全部短信。",
    "Newest first.": "最新的在前。",
    "Sent": "发送时间",
    "Text": "内容",
    "Error code": "错误码",
    "Parts": "计费条数",
    "No messages match.": "没有匹配的短信。",
    "Message {id}": "短信 {id}",
    "Template": "模板",
    "Parameters": "参数",
    "Fee": "费用",
    "Provider message id": "服务商消息 ID",
    "Session context": "用户会话内容",
    "Extension code": "扩展码",
    "Report URL of the request": "请求指定的状态报告地址",
    "Reported": "状态报告时间",
    "Report pulled": "状态报告拉取时间",
    "Events": "事件",
    "Status reports": "状态报告",
    "Replies": "回复（上行）",
    "Received": "接收时间",
    "Pushed": "推送",
    "No reply from the handset.": "手机用户没有回复。",
    "Messages of this account": "该账号的短信",
    "Format": "格式",
    "No status report was pushed: the account has no status URL for this provider, or the "
    "message is not decided yet.": (
        "没有推送状态报告：该账号没有为此服务商设置状态报告地址，或短信尚无结果。"
    ),
    "Status report in the {format} format, sent to:": "{format} 格式的状态报告，发送到：",
    "Webhook deliveries of these events": "这些事件的 Webhook 投递",
    "Messages today": "今日短信",
    "sent": "已发送",
    "Today is the calendar day in China time (UTC+8), since {at}.": (
        "今日指北京时间（UTC+8）的自然日，自 {at} 起。"
    ),
    "The number may hold only digits and a leading +.": "号码只能包含数字和开头的 +。",
    "status must be pending, delivered or failed.": ("状态必须是 pending、delivered 或 failed。"),
    # error.html
    "Not found": "未找到",
    "Not allowed": "不允许",
    "Server trouble": "服务器故障",
    "That did not work": "操作未成功",
    "Back to the dashboard": "返回概览",
    # notices (visit.NOTICES)
    "Signature {id} approved.": "签名 {id} 已通过。",
    "Signature {id} is now in carrier filing.": "签名 {id} 已进入运营商报备。",
    "Signature {id} rejected.": "签名 {id} 已拒绝。",
    "Account settings saved.": "账号设置已保存。",
    "Webhook saved.": "Webhook 已保存。",
    "Webhook removed; its unfinished deliveries are cancelled.": (
        "Webhook 已删除，未完成的投递已取消。"
    ),
    "Delivery {id} will be attempted again now.": "投递 {id} 将立即重新尝试。",
    # errors shown as pages (visit.py, routes.py)
    "There is nothing here, or it was deleted.": "这里没有内容，或已被删除。",
    "The signature is {status} now, so it cannot become {target}. "
    "Someone may have reviewed it first.": (
        "该签名现在是{status}状态，不能变为{target}。可能已有其他人先审核了。"
    ),
    "{problem}. Someone may have changed it first.": "{problem}。可能已有其他人先修改了。",
    "The database is not reachable. Try again shortly.": "无法连接数据库，请稍后再试。",
    "Something went wrong; the server log has details.": "出错了，详情见服务器日志。",
    "This form expired or did not come from the console. Reload the page and try again.": (
        "表单已过期或不是来自控制台。请刷新页面后重试。"
    ),
    "Send the form as application/x-www-form-urlencoded.": (
        "请以 application/x-www-form-urlencoded 格式提交表单。"
    ),
    "The form is too large.": "表单过大。",
    "The form could not be read.": "无法读取表单。",
    "The field {name} contains a NUL character.": "字段 {name} 含有 NUL 字符。",
    "The {name} parameter contains control characters.": "参数 {name} 含有控制字符。",
    "page must be a number from 1.": "页码必须是从 1 开始的数字。",
    "{what} must be a number.": "{what} 必须是数字。",
    "status must be pending, filing, approved or rejected.": (
        "状态必须是 pending、filing、approved 或 rejected。"
    ),
    "Choose approve, start filing or reject.": "请选择通过、开始运营商报备或拒绝。",
    "Certification must be enterprise or individual.": "认证类型必须是企业或个人。",
    "The quota must be a whole number from 0 to {most}.": "配额必须是 0 到 {most} 之间的整数。",
    "Choose {choices}.": "请选择 {choices}。",
    "Unknown delivery status.": "未知的投递状态。",
    "Choose a language.": "请选择语言。",
}
"""Chinese for each English message; a message missing here shows in English."""

CATALOGUES: Mapping[str, Mapping[str, str]] = {ENGLISH: {}, CHINESE: ZH}

_language: ContextVar[str] = ContextVar("smssign_console_language", default=ENGLISH)


def choose(cookie: str | None, accept_language: str) -> str:
    """The operator's choice if they made one, else the browser's first language we speak."""
    if cookie in LANGUAGES:
        return str(cookie)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        match = re.search(r"q\s*=\s*([0-9.]{1,5})", params)
        if match:
            try:
                weight = float(match.group(1))
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else ENGLISH


def text(message: str, language: str, **values: Any) -> str:
    """`message` in `language`, as plain text, with `values` filled in."""
    found = CATALOGUES.get(language, {}).get(message, message)
    return found.format(**values) if values else found


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Render in `language`: `_()` and `shown()` answer in it meanwhile."""
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def gettext(message: Any, context: str = "", **values: Any) -> Markup:
    """The templates' `_()`: the message in the language being rendered, as safe HTML.

    The message is escaped, and so is each value that is not already markup, so a value
    may carry a link the template built. `context` tells apart one English word that
    needs two translations ("pending" review, "pending" delivery): the catalogue holds
    it as "context|message".
    """
    catalogue = CATALOGUES.get(_language.get(), {})
    found = catalogue.get(f"{context}|{message}") if context else None
    if found is None:
        found = catalogue.get(str(message), str(message))
    template = escape(found)
    return template.format(**values) if values else template


_BILINGUAL = re.compile(r"^(?P<number>\d+: )?[^()]*\((?P<chinese>[^()]+)\)$")
_IMAGES = re.compile(r"^(?P<count>\d+) image\(s\)$")


def shown(field_name: str, value: Any) -> str:
    """A field's value as `describe` words it, in the language being rendered."""
    described = describe(field_name, value)
    if _language.get() != CHINESE:
        return described
    if field_name in ("sign_type", "document_type", "purpose"):
        bilingual = _BILINGUAL.match(described)
        if bilingual:
            return (bilingual.group("number") or "") + bilingual.group("chinese")
    images = _IMAGES.match(described)
    if images:
        return text("{count} image(s)", CHINESE, count=images.group("count"))
    if field_name in ("international", "type") or described == "1 image":
        return ZH.get(described, described)
    return described
