"""How neutral signatures and templates read in Alibaba's fields: statuses, dates, codes.

A signature is addressed by its name, a template by its `TemplateCode` (`SMS_` and the
template id plus 100,000,000, nine digits for the first 900 million). Dates are
`yyyy-MM-dd HH:mm:ss` in China Standard Time, as Alibaba's console and API show them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from smssign.core.model import Status, Template, TemplateType
from smssign.core.numbers import Mobile

CHINA = timezone(timedelta(hours=8))
CODE_BASE = 100_000_000
_CODE = re.compile(r"SMS_([0-9]{9,18})")

SIGN_STATUS = {Status.PENDING: 0, Status.FILING: 0, Status.APPROVED: 1, Status.REJECTED: 2}
"""SignStatus and TemplateStatus (0 reviewing, 1 approved, 2 rejected). A signature being
filed with the carriers cannot send yet, so it reads as reviewing."""

AUDIT_STATUS = {
    Status.PENDING: "AUDIT_STATE_INIT",
    Status.FILING: "AUDIT_STATE_INIT",
    Status.APPROVED: "AUDIT_STATE_PASS",
    Status.REJECTED: "AUDIT_STATE_NOT_PASS",
}

NO_REMARK = "无审核备注"


def date(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def shown_number(e164: str) -> str:
    """A number as Alibaba writes it back: mainland 11 digits, others without `+`."""
    number = Mobile(e164)
    return number.national if number.mainland else e164.removeprefix("+")


def template_code(template_id: int) -> str:
    return f"SMS_{CODE_BASE + template_id}"


def template_id(code: str) -> int | None:
    """The id a TemplateCode names, or None for one smssign never issued."""
    match = _CODE.fullmatch(code.strip())
    if match is None:
        return None
    number = int(match[1]) - CODE_BASE
    return number if number > 0 else None


TEMPLATE_TYPES = {
    0: TemplateType.VERIFICATION,
    1: TemplateType.NOTIFICATION,
    2: TemplateType.MARKETING,
}
"""TemplateType 0-2 (3 is international, typed further by IntlType)."""
INTL_TYPES = {
    0: TemplateType.NOTIFICATION,
    1: TemplateType.MARKETING,
    2: TemplateType.VERIFICATION,
}
INTERNATIONAL = 3


def template_type(template: Template) -> int:
    """The TemplateType the add and get actions speak (0 to 3)."""
    if template.international:
        return INTERNATIONAL
    if template.type is TemplateType.VERIFICATION:
        return 0
    if template.type is TemplateType.MARKETING:
        return 2
    return 1  # notification, and the general templates of other dialects


def intl_type(template: Template) -> int | None:
    if not template.international:
        return None
    return {TemplateType.MARKETING: 1, TemplateType.VERIFICATION: 2}.get(template.type, 0)


LIST_TYPES = {0: 2, 1: 0, 2: 1, INTERNATIONAL: 6}
"""QuerySmsTemplateList's own TemplateType numbering, from the one above."""
