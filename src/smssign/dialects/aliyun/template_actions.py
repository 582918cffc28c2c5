"""The template actions, each named after its API action.

Alibaba writes variables `${name}`. The neutral form of core/templates.py writes them
`{name}`, so `${code}` is stored as `{code}` and rendered back as it came. A template
made through a dialect with numbered variables (`{1}`, `{2}`) renders here as `${1}`,
`${2}`: the same names a TemplateParam then carries ({"1": "…"}), and read back
unchanged if the template is modified through this dialect. Braces anywhere but in
`${…}` are refused, so a template's text can never grow a variable by accident.
"""

from __future__ import annotations

import re
from typing import Any

from smssign.core import errors as core
from smssign.core.model import Status, Template
from smssign.core.templates import TemplateDraft, parse
from smssign.dialects.aliyun import views
from smssign.dialects.aliyun.errors import AliyunError
from smssign.dialects.aliyun.sign_actions import DIALECT, named, page_window
from smssign.dialects.protocol import Call, Handler

LONGEST_NAME = 30
LONGEST_REMARK = 100

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]{1,32})\}")


def neutral(content: str) -> str:
    """`${name}` -> `{name}`; isv.INVALID_PARAMETERS for any other brace."""
    rest = _VARIABLE.sub("", content)
    if "{" in rest or "}" in rest:
        raise AliyunError("isv.INVALID_PARAMETERS", "variables are written ${name}")
    return _VARIABLE.sub(lambda m: "{" + m[1] + "}", content)


def render(template: Template) -> str:
    """The content with Alibaba's `${name}` variables."""
    return parse(template.content).render(lambda _, name: "${" + name + "}")


def _draft(values: dict[str, Any]) -> TemplateDraft:
    name = values["TemplateName"].strip()
    if not name or len(name) > LONGEST_NAME:
        raise AliyunError("isv.INVALID_PARAMETERS", f"TemplateName: 1 to {LONGEST_NAME} characters")
    remark: str = values.get("Remark", "")
    if len(remark) > LONGEST_REMARK:
        raise AliyunError("isv.INVALID_PARAMETERS", f"Remark: at most {LONGEST_REMARK} characters")
    kind = values["TemplateType"]
    international = kind == views.INTERNATIONAL
    if international:
        intl = values.get("IntlType", 0)
        if intl not in views.INTL_TYPES:
            raise AliyunError("isv.INVALID_PARAMETERS", "IntlType must be 0 to 2")
        neutral_type = views.INTL_TYPES[intl]
    elif kind in views.TEMPLATE_TYPES:
        neutral_type = views.TEMPLATE_TYPES[kind]
    else:
        raise AliyunError("isv.INVALID_PARAMETERS", "TemplateType must be 0 to 3")
    return TemplateDraft(
        name=name,
        content=neutral(values["TemplateContent"]),
        type=neutral_type,
        international=international,
        remark=remark,
    )


async def _existing(call: Call, code: str) -> Template:
    template_id = views.template_id(code)
    found = (
        await call.runtime.templates.describe(call.account, [template_id]) if template_id else []
    )
    if not found:
        raise core.NotFound()
    return found[0]


def _locked_while_reviewed(template: Template, doing: str) -> None:
    if template.status is Status.PENDING:
        raise AliyunError("isv.INVALID_PARAMETERS", f"a template under review cannot be {doing}")


async def _check_related(call: Call, values: dict[str, Any]) -> None:
    """RelatedSignName, when given, must be one of the caller's approved signatures."""
    related = values.get("RelatedSignName")
    if related is None:
        return
    signature = await named(call, related)
    if signature is None or signature.status is not Status.APPROVED:
        raise AliyunError("isv.SMS_SIGNATURE_ILLEGAL", "RelatedSignName is not approved")


async def AddSmsTemplate(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    change = await call.runtime.templates.add(call.account, _draft(values), dialect=DIALECT)
    return {"TemplateCode": views.template_code(change.template.id)}


async def ModifySmsTemplate(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    draft = _draft(values)
    current = await _existing(call, values["TemplateCode"])
    _locked_while_reviewed(current, "modified")
    change = await call.runtime.templates.modify(call.account, current.id, draft, dialect=DIALECT)
    return {"TemplateCode": views.template_code(change.template.id)}


async def CreateSmsTemplate(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    draft = _draft(values)
    await _check_related(call, values)
    change = await call.runtime.templates.add(call.account, draft, dialect=DIALECT)
    return {
        "TemplateCode": views.template_code(change.template.id),
        "TemplateName": change.template.name,
        "OrderId": str(change.application.id),
    }


async def UpdateSmsTemplate(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    draft = _draft(values)
    current = await _existing(call, values["TemplateCode"])
    _locked_while_reviewed(current, "updated")
    await _check_related(call, values)
    change = await call.runtime.templates.modify(call.account, current.id, draft, dialect=DIALECT)
    return {
        "TemplateCode": views.template_code(change.template.id),
        "TemplateName": change.template.name,
        "OrderId": str(change.application.id),
    }


async def DeleteSmsTemplate(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    current = await _existing(call, values["TemplateCode"])
    _locked_while_reviewed(current, "deleted")
    await call.runtime.templates.delete(call.account, [current.id])
    return {"TemplateCode": views.template_code(current.id)}


def _reason(template: Template) -> str:
    return template.review_reply or views.NO_REMARK


async def QuerySmsTemplate(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    t = await _existing(call, values["TemplateCode"])
    return {
        "TemplateCode": views.template_code(t.id),
        "TemplateName": t.name,
        "TemplateContent": render(t),
        "TemplateType": views.template_type(t),
        "TemplateStatus": views.SIGN_STATUS[t.status],
        "Reason": _reason(t),
        "CreateDate": views.date(t.submitted_at),
    }


async def GetSmsTemplate(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    t = await _existing(call, values["TemplateCode"])
    reply: dict[str, Any] = {
        "TemplateCode": views.template_code(t.id),
        "TemplateName": t.name,
        "TemplateContent": render(t),
        "TemplateType": str(views.template_type(t)),
        "TemplateStatus": str(views.SIGN_STATUS[t.status]),
        "TemplateTag": 2,
        "Remark": t.remark,
        "OrderId": str(t.application_id),
        "CreateDate": views.date(t.submitted_at),
        "AuditInfo": {
            "RejectInfo": t.review_reply if t.status is Status.REJECTED else "",
            "AuditDate": views.date(t.reviewed_at),
        },
    }
    intl = views.intl_type(t)
    if intl is not None:
        reply["IntlType"] = intl
    return reply


async def QuerySmsTemplateList(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    index, size = page_window(values)
    listed, total = await call.runtime.templates.page(
        call.account, offset=(index - 1) * size, limit=size
    )
    return {
        "CurrentPage": index,
        "PageSize": size,
        "TotalCount": total,
        "SmsTemplateList": [
            {
                "TemplateCode": views.template_code(t.id),
                "TemplateName": t.name,
                "TemplateContent": render(t),
                "AuditStatus": views.AUDIT_STATUS[t.status],
                "Reason": {
                    "RejectDate": views.date(t.reviewed_at) if t.status is Status.REJECTED else "",
                    "RejectInfo": t.review_reply if t.status is Status.REJECTED else "",
                    "RejectSubInfo": "",
                },
                "TemplateType": views.LIST_TYPES[views.template_type(t)],
                "OuterTemplateType": views.template_type(t),
                "CreateDate": views.date(t.submitted_at),
                "OrderId": str(t.application_id),
            }
            for t in listed
        ],
    }


def _selected(t: Template, values: dict[str, Any]) -> bool:
    if "TemplateCode" in values and values["TemplateCode"] != views.template_code(t.id):
        return False
    if "TemplateName" in values and values["TemplateName"] not in t.name:
        return False
    if "TemplateType" in values and values["TemplateType"] != views.template_type(t):
        return False
    return "AuditStatus" not in values or values["AuditStatus"] == views.SIGN_STATUS[t.status]


async def GetSmsTemplateList(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    index, size = page_window(values)
    every, _ = await call.runtime.templates.page(call.account)
    matching = [t for t in every if _selected(t, values)]
    shown = matching[(index - 1) * size : index * size]
    return {
        "Success": True,
        "Data": {
            "PageNo": index,
            "PageSize": size,
            "Total": len(matching),
            "List": [
                {
                    "TemplateCode": views.template_code(t.id),
                    "TemplateName": t.name,
                    "TemplateContent": render(t),
                    "TemplateType": views.template_type(t),
                    "AuditStatus": views.SIGN_STATUS[t.status],
                    "GmtCreate": views.date(t.created_at),
                    "WorkOrderId": str(t.application_id),
                    "UsableStateList": ["USABLE"] if t.status is Status.APPROVED else [],
                    "TemplateTag": [],
                }
                for t in shown
            ],
        },
    }


TEMPLATE_HANDLERS: dict[str, Handler] = {
    "AddSmsTemplate": AddSmsTemplate,
    "ModifySmsTemplate": ModifySmsTemplate,
    "QuerySmsTemplate": QuerySmsTemplate,
    "DeleteSmsTemplate": DeleteSmsTemplate,
    "QuerySmsTemplateList": QuerySmsTemplateList,
    "CreateSmsTemplate": CreateSmsTemplate,
    "UpdateSmsTemplate": UpdateSmsTemplate,
    "GetSmsTemplate": GetSmsTemplate,
    "GetSmsTemplateList": GetSmsTemplateList,
}
