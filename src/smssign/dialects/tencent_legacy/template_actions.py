"""The four legacy template actions, each named after its path: typed values in, members out.

Legacy templates are the API 3.0 templates of the same account (one id space, one review):
variables are written `{1}`, `{2}`, … as in API 3.0, and a template added elsewhere with
named variables reads back here numbered in order of first use.
"""

from __future__ import annotations

import re
from typing import Any

from smssign.core.model import Status, Template, TemplateType
from smssign.core.templates import TemplateDraft, parse
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.tencent_legacy.errors import BAD_REQUEST, OTHER, LegacyError
from smssign.dialects.tencent_legacy.params import Page

DIALECT = "tencent_legacy"

TYPES = {0: TemplateType.NORMAL, 1: TemplateType.MARKETING}
"""`type` -> the neutral type. 2 (a voice template) is refused: smssign sends no voice."""

TYPE_NUMBERS = {TemplateType.MARKETING: 1}
"""The neutral type -> `type`; notification and verification templates read as 0, normal."""

STATUS_NUMBERS = {Status.APPROVED: 0, Status.PENDING: 1, Status.REJECTED: 2}

_BRACED = re.compile(r"\{([^{}]*)\}")


def _type(values: dict[str, Any]) -> TemplateType:
    found = TYPES.get(values["type"])
    if found is None:
        raise LegacyError(BAD_REQUEST, "type must be 0 (normal) or 1 (marketing)")
    return found


def _text(values: dict[str, Any]) -> str:
    text: str = values["text"]
    if not text.strip():
        raise LegacyError(BAD_REQUEST, "text is empty")
    if any(not name.isdigit() for name in _BRACED.findall(text)):
        raise LegacyError(BAD_REQUEST, "variables are written {1}, {2}, …")
    return text


def render(template: Template) -> str:
    """The content with numbered variables."""
    return parse(template.content).render(lambda position, _: f"{{{position}}}")


def _data(template: Template) -> dict[str, Any]:
    return {
        "id": template.id,
        "international": int(template.international),
        "status": STATUS_NUMBERS[template.status],
        "text": render(template),
        "type": TYPE_NUMBERS.get(template.type, 0),
    }


def _record(template: Template) -> dict[str, Any]:
    return {**_data(template), "title": template.name, "reply": template.review_reply}


async def add_template(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    text = _text(values)
    draft = TemplateDraft(
        # The title is optional here but a name is not in the core: the text stands in.
        name=values.get("title", "").strip() or text.strip()[:30],
        content=text,
        type=_type(values),
        international=bool(values.get("international", 0)),
        remark=values.get("remark", ""),
    )
    change = await call.runtime.templates.add(call.account, draft, dialect=DIALECT)
    return {"data": _data(change.template)}


async def mod_template(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    text = _text(values)
    sent_type = _type(values)
    service = call.runtime.templates
    found = await service.describe(call.account, [values["tpl_id"]])
    if not found:
        raise LegacyError(OTHER, "tpl_id not found")
    current = found[0]
    # Type 0 covers notification and verification too: keep the finer type already held.
    kept = sent_type is TemplateType.NORMAL and current.type is not TemplateType.MARKETING
    draft = TemplateDraft(
        name=values.get("title", "").strip() or current.name,
        content=text,
        type=current.type if kept else sent_type,
        international=current.international,
        remark=values.get("remark", current.remark),
    )
    change = await service.modify(call.account, current.id, draft, dialect=DIALECT)
    return {"data": _data(change.template)}


async def del_template(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    ids: list[int] = values["tpl_id"]
    if not ids:
        raise LegacyError(BAD_REQUEST, "tpl_id is empty")
    await call.runtime.templates.delete(call.account, ids)
    return {}


async def get_template(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    ids: list[int] | None = values.get("tpl_id")
    page: Page | None = values.get("tpl_page")
    service = call.runtime.templates
    if page is not None:
        if ids:
            raise LegacyError(BAD_REQUEST, "tpl_id and tpl_page are mutually exclusive")
        listed, total = await service.page(
            call.account, international=None, offset=page.offset, limit=page.max
        )
        return {"count": len(listed), "total": total, "data": [_record(t) for t in listed]}
    if ids is None:
        raise LegacyError(BAD_REQUEST, "tpl_id is missing")
    found = await service.describe(call.account, ids)
    return {"count": len(found), "total": len(found), "data": [_record(t) for t in found]}


TEMPLATE_HANDLERS: dict[str, Handler] = {
    "add_template": add_template,
    "mod_template": mod_template,
    "del_template": del_template,
    "get_template": get_template,
}
