"""The four template actions, each named after its API action.

Tencent writes variables `{1}`, `{2}`, …: the neutral form of core/templates.py reads
them as they are, and a template added through another dialect with named variables is
rendered here with its variables numbered in order of first use.
"""

from __future__ import annotations

import re
from typing import Any

from smssign.core.model import Status, Template, TemplateType
from smssign.core.templates import TemplateDraft, parse
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.tencent_v3.errors import TencentError, format_error
from smssign.dialects.tencent_v3.params import V2021, requested_ids, scope_of, window

DIALECT = "tencent_v3"

SMS_TYPES = {
    0: TemplateType.NORMAL,
    1: TemplateType.MARKETING,
    2: TemplateType.NOTIFICATION,
    3: TemplateType.VERIFICATION,
}
"""SmsType -> the neutral type (0 is the legacy "normal" template, still accepted)."""

STATUS_CODES = {Status.APPROVED: 0, Status.PENDING: 1, Status.REJECTED: -1}
"""Our status -> DescribeTemplateListStatus.StatusCode (2, approved but not yet
effective, is never produced: an approval takes effect at once)."""

_NUMBERED = re.compile(r"\{([^{}]*)\}")
_OPT_OUT = ("拒收请回复", "回T退订", "退订回T", "Reply STOP", "reply STOP")


def _draft(call: Call, params: dict[str, Any]) -> TemplateDraft:
    sms_type = SMS_TYPES.get(params["SmsType"])
    if sms_type is None:
        raise TencentError("InvalidParameterValue.InvalidSmsType", "SmsType must be 0 to 3")
    international = scope_of(params)
    content = params["TemplateContent"]
    # Tencent's variables are numbers only; a word in braces is a format error here.
    if any(not name.isdigit() for name in _NUMBERED.findall(content)):
        raise format_error(call.version, "variables are written {1}, {2}, …")
    if sms_type is TemplateType.MARKETING and not any(mark in content for mark in _OPT_OUT):
        raise TencentError("InvalidParameterValue.MarketingTemplateWithoutUnsubscribe")
    return TemplateDraft(
        name=params["TemplateName"].strip(),
        content=content,
        type=sms_type,
        international=international,
        remark=params["Remark"],
    )


async def AddSmsTemplate(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    draft = _draft(call, params)
    # Spec §2.8 lists TemplateAlreadyPassedCheck for Add: the same text is approved already.
    listed, _ = await call.runtime.templates.page(call.account, international=draft.international)
    if any(t.status is Status.APPROVED and t.content == draft.content for t in listed):
        raise TencentError(
            "FailedOperation.TemplateAlreadyPassedCheck", "an approved template has this content"
        )
    change = await call.runtime.templates.add(call.account, draft, dialect=DIALECT)
    # A String here, unlike every other TemplateId: Go clients declare *string.
    return {"AddTemplateStatus": {"TemplateId": str(change.template.id)}}


async def ModifySmsTemplate(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    draft = _draft(call, params)
    change = await call.runtime.templates.modify(
        call.account, params["TemplateId"], draft, dialect=DIALECT
    )
    return {"ModifyTemplateStatus": {"TemplateId": change.template.id}}


async def DeleteSmsTemplate(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    deleted_at = await call.runtime.templates.delete(call.account, [params["TemplateId"]])
    return {
        "DeleteTemplateStatus": {
            "DeleteStatus": "return successfully!",
            "DeleteTime": int(deleted_at),
        }
    }


async def DescribeSmsTemplateList(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    scope = scope_of(params)
    ids = requested_ids(params, "TemplateIdSet")
    service = call.runtime.templates
    if ids:
        found = await service.describe(call.account, ids)
        listed = [t for t in found if t.international == scope]
    else:
        offset, limit = window(params)
        listed, _ = await service.page(
            call.account, international=scope, offset=offset, limit=limit
        )
    return {"DescribeTemplateStatusSet": [_describe(t, call.version) for t in listed]}


def render(template: Template) -> str:
    """The content with Tencent's numbered variables."""
    return parse(template.content).render(lambda position, _: f"{{{position}}}")


def _describe(template: Template, version: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "TemplateId": template.id,
        "International": int(template.international),
        "StatusCode": STATUS_CODES[template.status],
        "ReviewReply": template.review_reply,
        "TemplateName": template.name,
        "CreateTime": int(template.submitted_at),
    }
    if version == V2021:
        entry["TemplateContent"] = render(template)
    return entry


TEMPLATE_HANDLERS: dict[str, Handler] = {
    "AddSmsTemplate": AddSmsTemplate,
    "ModifySmsTemplate": ModifySmsTemplate,
    "DeleteSmsTemplate": DeleteSmsTemplate,
    "DescribeSmsTemplateList": DescribeSmsTemplateList,
}
