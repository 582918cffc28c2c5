"""The inbox's shared parsing: its query filters, outcome rules from JSON, reply views.

The testing routes (`/_smssign/messages`, app/inbox_routes.py) and the admin API
(`/admin/api/messages`) read the same filters and write the same shapes from here.
"""

from __future__ import annotations

from typing import Any

from smssign.core import errors, numbers
from smssign.core.messages import MessageStatus, Reply, rfc3339
from smssign.core.ports import MessageFilter, MessageRepository

DEFAULT_LIMIT = 50
MOST = 1000


class BadQuery(ValueError):
    """A query parameter or body field is malformed; the text says which."""


def message_filter(query: Any) -> tuple[MessageFilter, int]:
    """The inbox's filters and limit from a query string (the admin API's too)."""
    mobile = query.get("mobile")
    account = query.get("account_id")
    status = query.get("status")
    limit_text = query.get("limit")
    try:
        e164 = numbers.normalise(mobile).e164 if mobile else None
    except errors.InvalidNumber as exc:
        raise BadQuery(f"mobile: {exc}") from None
    if account is not None and not account.isdigit():
        raise BadQuery("account_id: a whole number")
    if status is not None and status not in {s.value for s in MessageStatus}:
        raise BadQuery("status: pending, delivered or failed")
    limit = DEFAULT_LIMIT
    if limit_text is not None:
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MOST:
            raise BadQuery(f"limit: 1 to {MOST}")
        limit = int(limit_text)
    where = MessageFilter(
        mobile=e164,
        account_id=int(account) if account is not None else None,
        dialect=query.get("dialect") or None,
        status=MessageStatus(status) if status is not None else None,
    )
    return where, limit


def reply_view(reply: Reply) -> dict[str, Any]:
    return {
        "id": str(reply.id),
        "account_id": reply.account_id,
        "dialect": reply.dialect,
        "mobile": reply.mobile,
        "text": reply.text,
        "sign": reply.sign,
        "extend": reply.extend,
        "message_id": None if reply.message_id is None else str(reply.message_id),
        "created_at": rfc3339(reply.created_at),
    }


async def add_rule(repository: MessageRepository, fields: dict[str, Any]) -> dict[str, Any]:
    """Check and store an outcome rule from JSON fields (the testing and admin APIs)."""
    pattern, status = fields.get("pattern"), fields.get("status", MessageStatus.FAILED.value)
    code, account = fields.get("error_code"), fields.get("account_id")
    description = fields.get("description", "")
    if not isinstance(pattern, str) or not pattern.startswith("+") or len(pattern) > 40:
        raise BadQuery("pattern: a glob over E.164 numbers, such as +86139*")
    if status not in {s.value for s in MessageStatus}:
        raise BadQuery("status: failed, delivered or pending (never reported)")
    if status == MessageStatus.FAILED.value and (
        not isinstance(code, str) or not 0 < len(code) <= 100
    ):
        raise BadQuery("error_code: a failure needs its receipt code")
    if account is not None and (isinstance(account, bool) or not isinstance(account, int)):
        raise BadQuery("account_id: a whole number or null")
    if not isinstance(description, str):
        raise BadQuery("description: text")
    rule = await repository.add_outcome_rule(
        pattern,
        MessageStatus(status),
        code if status == MessageStatus.FAILED.value else None,
        account,
        description,
    )
    return rule.snapshot()
