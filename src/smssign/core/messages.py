"""Messages and replies as the core sees them, and the rules that decide what becomes of them.

Plain values. A message is sent under an approved signature and template to one E.164
number (core/numbers.py); its provider message id (a SerialNo, a sid, a BizId) is made by
the dialect that sent it. Simulated delivery moves it from `pending` to `delivered` or
`failed`, as the outcome rules say. The use cases are in core/sending.py.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from smssign.core.model import TemplateType

LONGEST_MESSAGE = 500
"""Characters of a rendered message, signature included."""
DEFAULT_BALANCE = 1_000_000
"""Parts an account may send before its balance is used up (see `smssign accounts set`)."""
REPLY_WINDOW = 48 * 3600.0
"""A reply is attributed to the latest message to its number within this many seconds."""

MESSAGE = "message"
"""The subject kind of message events."""
REPLY = "reply"
"""The subject kind of reply events."""


class MessageStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


Params = tuple[str, ...] | Mapping[str, str]
"""A message's parameters: values in variable order, or by variable name."""


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one number. `session` is the caller's echo value (SessionContext,
    uid, OutId, ext); `extend` the extension code; `error_code` the receipt code of a
    failure (None while pending and when delivered)."""

    id: int
    account_id: int
    dialect: str
    mobile: str
    sign: str
    signature_id: int | None
    template_id: int | None
    template_type: TemplateType | None
    params: Params
    text: str
    parts: int
    fee: int
    provider_message_id: str
    session: str
    extend: str
    status: MessageStatus
    error_code: str | None
    created_at: float
    reported_at: float | None
    due_at: float | None
    """When simulated delivery decides it; None once decided, or never (a held number)."""
    pulled_at: float | None = None
    """When its status report was pulled from a dialect's report queue."""
    callback_url: str | None = None
    """Where this message's status report goes instead of the account's URL (a request's
    own `callback_url`, as some providers take it)."""

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready data for events: everything a status report in any format needs."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "dialect": self.dialect,
            "mobile": self.mobile,
            "sign": self.sign,
            "template_id": self.template_id,
            "params": self.params if isinstance(self.params, Mapping) else list(self.params),
            "text": self.text,
            "parts": self.parts,
            "fee": self.fee,
            "provider_message_id": self.provider_message_id,
            "session": self.session,
            "extend": self.extend,
            "status": self.status.value,
            "error_code": self.error_code,
            "created_at": self.created_at,
            "reported_at": self.reported_at,
            "callback_url": self.callback_url,
        }

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Message:
        """The message as an event's snapshot recorded it (what a report is made from);
        what a snapshot leaves out (signature, template type, due time) is None."""
        params = snapshot.get("params") or ()
        return cls(
            id=int(snapshot["id"]),
            account_id=int(snapshot["account_id"]),
            dialect=str(snapshot["dialect"]),
            mobile=str(snapshot["mobile"]),
            sign=str(snapshot.get("sign") or ""),
            signature_id=None,
            template_id=snapshot.get("template_id"),
            template_type=None,
            params=dict(params) if isinstance(params, Mapping) else tuple(params),
            text=str(snapshot.get("text") or ""),
            parts=int(snapshot.get("parts") or 0),
            fee=int(snapshot.get("fee") or 0),
            provider_message_id=str(snapshot.get("provider_message_id") or ""),
            session=str(snapshot.get("session") or ""),
            extend=str(snapshot.get("extend") or ""),
            status=MessageStatus(snapshot["status"]),
            error_code=snapshot.get("error_code"),
            created_at=float(snapshot.get("created_at") or 0.0),
            reported_at=snapshot.get("reported_at"),
            due_at=None,
            callback_url=snapshot.get("callback_url"),
        )


@dataclass(frozen=True, slots=True)
class Reply:
    """A text a handset sent back (MO), with the message it answers when one is known."""

    id: int
    account_id: int
    dialect: str
    mobile: str
    text: str
    sign: str
    extend: str
    message_id: int | None
    created_at: float
    pulled_at: float | None = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "dialect": self.dialect,
            "mobile": self.mobile,
            "text": self.text,
            "sign": self.sign,
            "extend": self.extend,
            "message_id": self.message_id,
            "created_at": self.created_at,
        }

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Reply:
        return cls(
            id=int(snapshot["id"]),
            account_id=int(snapshot["account_id"]),
            dialect=str(snapshot.get("dialect") or ""),
            mobile=str(snapshot["mobile"]),
            text=str(snapshot.get("text") or ""),
            sign=str(snapshot.get("sign") or ""),
            extend=str(snapshot.get("extend") or ""),
            message_id=snapshot.get("message_id"),
            created_at=float(snapshot.get("created_at") or 0.0),
        )


# --- per-number frequency limits ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrequencyLimit:
    """At most `count` accepted messages of one account to one number within a window.

    A provider declares its defaults as data (its PROVIDER entry); an account may change
    each `count` by `name` (0 switches the limit off). The window is the last `window`
    seconds, or, with `day_offset_hours`, the calendar day (with `month`, the calendar
    month) in that UTC offset. `same_content` counts only messages with the same text;
    `template_types`, when set, counts (and limits) only messages of those template types.
    `per_account` makes it a quota of the whole account: every accepted message of the
    account counts, whatever the number, and a request it cannot take whole is refused
    whole (sending.py); such a limit ignores `same_content` and `template_types`.
    """

    name: str
    count: int
    window: float = 0.0
    day_offset_hours: float | None = None
    same_content: bool = False
    template_types: frozenset[TemplateType] = frozenset()
    month: bool = False
    per_account: bool = False

    def window_start(self, now: float) -> float:
        if self.day_offset_hours is None:
            return now - self.window
        zone = timezone(timedelta(hours=self.day_offset_hours))
        local = datetime.fromtimestamp(now, zone).replace(hour=0, minute=0, second=0, microsecond=0)
        return (local.replace(day=1) if self.month else local).timestamp()

    def applies(self, template_type: TemplateType | None) -> bool:
        return not self.template_types or template_type in self.template_types


@dataclass(frozen=True, slots=True)
class Sent:
    """What a frequency check needs of an earlier message to the same number."""

    created_at: float
    text: str
    template_type: TemplateType | None


def frequency_hit(
    limits: Sequence[FrequencyLimit],
    overrides: Mapping[str, int],
    earlier: Sequence[Sent],
    text: str,
    template_type: TemplateType | None,
    now: float,
) -> FrequencyLimit | None:
    """The first per-number limit one more message (`text`) would break, in declaration
    order (quotas of the whole account are checked by sending.py, see `account_quotas`)."""
    for limit in limits:
        count = overrides.get(limit.name, limit.count)
        if limit.per_account or count <= 0 or not limit.applies(template_type):
            continue
        start = limit.window_start(now)
        seen = sum(
            1
            for sent in earlier
            if sent.created_at > start
            and (not limit.same_content or sent.text == text)
            and limit.applies(sent.template_type)
        )
        if seen >= count:
            return limit
    return None


def longest_window(limits: Sequence[FrequencyLimit], now: float) -> float:
    """The earliest time any per-number limit looks back to."""
    return min((lim.window_start(now) for lim in limits if not lim.per_account), default=now)


def account_quotas(
    limits: Sequence[FrequencyLimit], overrides: Mapping[str, int]
) -> list[tuple[FrequencyLimit, int]]:
    """The account-wide limits that are on, each with the account's count."""
    quotas = [(lim, overrides.get(lim.name, lim.count)) for lim in limits if lim.per_account]
    return [(lim, count) for lim, count in quotas if count > 0]


# --- simulated delivery ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutcomeRule:
    """What simulated delivery does with messages to numbers matching `pattern`.

    `pattern` is a glob over the E.164 number (`+8613900000*`). `status` failed (with
    `error_code`, a receipt code as the provider's reports carry it), delivered, or
    pending: never reported. `account_id` None applies to every account.
    """

    id: int
    pattern: str
    status: MessageStatus
    error_code: str | None = None
    account_id: int | None = None
    description: str = ""

    def matches(self, account_id: int, mobile: str) -> bool:
        if self.account_id is not None and self.account_id != account_id:
            return False
        return fnmatch.fnmatchcase(mobile, self.pattern)

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pattern": self.pattern,
            "status": self.status.value,
            "error_code": self.error_code,
            "account_id": self.account_id,
            "description": self.description,
        }


MAGIC_RULES: tuple[OutcomeRule, ...] = (
    OutcomeRule(0, "+8613900000001", MessageStatus.FAILED, "UNDELIV", None, "undeliverable"),
    OutcomeRule(0, "+8613900000002", MessageStatus.FAILED, "EXPIRED", None, "handset off"),
    OutcomeRule(0, "+8613900000003", MessageStatus.FAILED, "REJECTD", None, "carrier refused"),
    OutcomeRule(0, "+8613900000004", MessageStatus.PENDING, None, None, "never reported"),
    OutcomeRule(0, "+15005550001", MessageStatus.FAILED, "UNDELIV", None, "undeliverable"),
)
"""Fixed test numbers (documented in the README), after every configured rule."""
BLOCKED_NUMBERS = frozenset({"+8613900000009"})
"""Numbers every send refuses as on the do-not-disturb list."""


def outcome(
    rules: Sequence[OutcomeRule], account_id: int, mobile: str
) -> tuple[MessageStatus, str | None]:
    """The first matching rule's outcome: the account's rules, then server-wide ones, then
    the magic numbers; delivered when none matches."""
    ordered = sorted(rules, key=lambda rule: (rule.account_id is None, rule.id))
    for rule in (*ordered, *MAGIC_RULES):
        if rule.matches(account_id, mobile):
            return rule.status, rule.error_code if rule.status is MessageStatus.FAILED else None
    return MessageStatus.DELIVERED, None


def rfc3339(at: float | None) -> str | None:
    """RFC 3339 in UTC with a Z, to the second (the inbox's times)."""
    if at is None:
        return None
    return datetime.fromtimestamp(int(at), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def inbox_view(message: Message) -> dict[str, Any]:
    """A message as the inbox contract shows it (`/_smssign/messages`, the testing kit)."""
    return {
        "id": str(message.id),
        "dialect": message.dialect,
        "account_id": message.account_id,
        "mobile": message.mobile,
        "sign": message.sign,
        "template_id": None if message.template_id is None else str(message.template_id),
        "params": dict(message.params)
        if isinstance(message.params, Mapping)
        else list(message.params),
        "text": message.text,
        "parts": message.parts,
        "fee": message.fee,
        "status": message.status.value,
        "error_code": message.error_code,
        "provider_message_id": message.provider_message_id,
        "created_at": rfc3339(message.created_at),
        "reported_at": rfc3339(message.reported_at),
    }


__all__ = [
    "BLOCKED_NUMBERS",
    "DEFAULT_BALANCE",
    "LONGEST_MESSAGE",
    "MAGIC_RULES",
    "MESSAGE",
    "REPLY",
    "FrequencyLimit",
    "Message",
    "MessageStatus",
    "OutcomeRule",
    "Params",
    "Reply",
    "Sent",
    "account_quotas",
    "frequency_hit",
    "inbox_view",
    "outcome",
    "rfc3339",
]
