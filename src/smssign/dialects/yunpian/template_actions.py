"""The five template actions under `/v2/tpl/`, each named after its path.

A Yunpian template starts with 【signature】 and writes variables `#name#`. The neutral
content (core/templates.py) holds neither: the signature text becomes the template's name
(Yunpian templates have none), `#code#` becomes `{code}`. Read back here, a template shows
its name in 【】 when that names one of the account's live signatures, else the account's
oldest approved (then pending) signature; numbered variables `{1}` show as `#1#`.

A `callback` URL is kept in the template's `extra` (review_callback.py sends the result).

Success bodies are the bare template object, or a bare array for lists (spec §2.3): the
handlers return them under `TEMPLATE_REPLY`, and the protocol unwraps that member.
"""

from __future__ import annotations

import re
from typing import Any

from smssign.core.model import Signature, Status, Template, TemplateType
from smssign.core.templates import TemplateDraft, parse
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.yunpian.errors import (
    BAD_FORMAT,
    EXISTS,
    SIGN_FORMAT,
    SIGN_MISMATCH,
    TEMPLATE_NOT_FOUND,
    YunpianError,
)
from smssign.dialects.yunpian.review_callback import CALLBACK, callback_of

DIALECT = "yunpian"
TEMPLATE_REPLY = "__template_reply__"
"""The member whose value is the whole success body of a `/v2/tpl/` action."""

CHECK_STATUS = {
    Status.PENDING: "CHECKING",
    Status.APPROVED: "SUCCESS",
    Status.REJECTED: "FAIL",
}

_PREFIX = re.compile(r"【([^【】]*)】")
_HASHED = re.compile(r"#([^#]*)#")
_NAME = re.compile(r"[A-Za-z0-9_]{1,20}")


def _split(raw: str) -> tuple[str, str]:
    """(signature, neutral content) of a Yunpian `tpl_content`."""
    text = raw.strip()
    prefix = _PREFIX.match(text)
    if prefix is None or not prefix.group(1).strip():
        raise YunpianError(SIGN_FORMAT, "模板必须以【签名】开头")
    body = text[prefix.end() :]
    if "【" in body or "】" in body:
        raise YunpianError(SIGN_FORMAT, "模板只能在开头带一个【签名】")
    if body.count("#") % 2:
        raise YunpianError(BAD_FORMAT, "tpl_content: 变量 #name# 的 # 不成对")
    for name in _HASHED.findall(body):
        if not _NAME.fullmatch(name):
            raise YunpianError(BAD_FORMAT, f"tpl_content: 变量名 #{name}# 不合法")
    if "{" in body or "}" in body:
        raise YunpianError(BAD_FORMAT, "tpl_content: 不能包含 { 或 }")
    return prefix.group(1).strip(), _HASHED.sub(lambda m: "{" + m.group(1) + "}", body)


async def _signatures(call: Call) -> list[Signature]:
    listed, _ = await call.runtime.signatures.page(call.account, offset=0, limit=None)
    return [s for s in listed if s.status is not Status.REJECTED]


async def _checked(call: Call, raw: str) -> tuple[str, str]:
    name, content = _split(raw)
    if not any(s.name == name for s in await _signatures(call)):
        raise YunpianError(SIGN_MISMATCH, f"签名 【{name}】 与设置的签名不匹配")
    return name, content


def _type(values: dict[str, Any], current: TemplateType | None) -> TemplateType:
    given = values.get("tplType", values.get("tpl_type"))
    if given is None:
        return current or TemplateType.NOTIFICATION
    return TemplateType.VERIFICATION if given == 1 else TemplateType.NOTIFICATION


def _prefix(template: Template, signatures: list[Signature]) -> str:
    live = [s for s in signatures if not s.international]
    if any(s.name == template.name for s in live):
        return f"【{template.name}】"
    ranked = sorted(live, key=lambda s: (s.status is not Status.APPROVED, s.id))
    return f"【{ranked[0].name}】" if ranked else ""


def render(template: Template, signatures: list[Signature]) -> str:
    """`tpl_content` as Yunpian shows it: 【signature】 and `#name#` variables."""
    body = parse(template.content).render(lambda _, name: f"#{name}#")
    return _prefix(template, signatures) + body


def _object(template: Template, signatures: list[Signature]) -> dict[str, Any]:
    variables = parse(template.content).variables
    return {
        "tpl_id": template.id,
        "tpl_content": render(template, signatures),
        "tpl_variable": [
            {"variable": name, "variableType": 10, "paramValueExample": ""} for name in variables
        ],
        "check_status": CHECK_STATUS[template.status],
        "reason": template.review_reply or None,
        "country_code": None,
        "lang": None,
        "ref_id": None,
    }


async def _one(call: Call, template_id: int) -> Template:
    found = await call.runtime.templates.describe(call.account, [template_id])
    if not found:
        raise YunpianError(TEMPLATE_NOT_FOUND, "未找到对应id的模板")
    return found[0]


async def tpl_add(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    name, content = await _checked(call, values["tpl_content"])
    listed, _ = await call.runtime.templates.page(call.account, international=False)
    if any(t.name == name and t.content == content for t in listed):
        raise YunpianError(EXISTS, "模板已存在")
    callback = callback_of(values)
    draft = TemplateDraft(
        name,
        content,
        _type(values, None),
        international=False,
        extra={CALLBACK: callback} if callback else {},
    )
    change = await call.runtime.templates.add(call.account, draft, dialect=DIALECT)
    signatures = await _signatures(call)
    return {TEMPLATE_REPLY: _object(change.template, signatures)}


async def tpl_update(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    current = await _one(call, values["tpl_id"])
    name, content = await _checked(call, values["tpl_content"])
    # Without a callback the one given before still hears the new review.
    callback = callback_of(values)
    draft = TemplateDraft(
        name=name,
        content=content,
        type=_type(values, current.type),
        international=current.international,
        remark=current.remark,
        extra={**current.extra, CALLBACK: callback} if callback else None,
    )
    change = await call.runtime.templates.modify(call.account, current.id, draft, dialect=DIALECT)
    return {TEMPLATE_REPLY: _object(change.template, await _signatures(call))}


async def tpl_get(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    signatures = await _signatures(call)
    template_id: int | None = values.get("tpl_id")
    if template_id is not None:
        return {TEMPLATE_REPLY: _object(await _one(call, template_id), signatures)}
    listed, _ = await call.runtime.templates.page(call.account, international=False)
    return {TEMPLATE_REPLY: [_object(t, signatures) for t in listed]}


async def tpl_del(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    current = await _one(call, values["tpl_id"])
    signatures = await _signatures(call)
    await call.runtime.templates.delete(call.account, [current.id])
    return {TEMPLATE_REPLY: _object(current, signatures)}


async def tpl_get_default(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    # smssign keeps no provider-owned default templates: the list is always empty.
    if values.get("tpl_id") is not None:
        raise YunpianError(TEMPLATE_NOT_FOUND, "未找到对应id的模板")
    return {TEMPLATE_REPLY: []}


TEMPLATE_PATHS = {
    "add.json": "tpl_add",
    "update.json": "tpl_update",
    "get.json": "tpl_get",
    "del.json": "tpl_del",
    "get_default.json": "tpl_get_default",
}

TEMPLATE_HANDLERS: dict[str, Handler] = {
    "tpl_add": tpl_add,
    "tpl_update": tpl_update,
    "tpl_get": tpl_get,
    "tpl_del": tpl_del,
    "tpl_get_default": tpl_get_default,
}
