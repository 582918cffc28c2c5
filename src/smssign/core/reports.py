"""Status reports and replies pushed to an account's own URLs, in its provider's format.

A dialect whose provider pushes reports declares a `ReportFormat` (its `Provider`
entry's `reports`): the name an operator sets URLs under (one format may serve several
dialects), how one report, a batch of them and one reply are written, and which answer of
the receiver means "received". The core knows no format by name.

An account sets, per format, a status URL and a reply URL (`Callbacks`). A message's own
`callback_url` (a request parameter some providers take) wins over the account's status
URL. Reports travel through the webhooks' outbox: the dispatcher turns each batch of
new `message.delivered` / `message.failed` events into one delivery per URL (at most
`most_reports` each), and each `reply.received` into one delivery, fixed when planned,
which the webhook worker sends with the same lease, retries and attempt log
(core/deliveries.py). Rules only here: which events go where (`plan`).

A format may sign each pushed reply with the account's key of one credential kind
(`signed_with`); the store opens that key's sealed copy only to plan the delivery, and
hands it to `plan`, which passes it to `reply_body` ("" when the account has no copy).

A provider may also push other callbacks in its format (`Push`: a template's review
result to the URL its submission named): its `Provider.pushes` derives them from single
events, and the dispatcher writes each as a delivery of the format's channel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from smssign.core import errors
from smssign.core.deliveries import Delivery
from smssign.core.messages import MESSAGE, REPLY, Message, Reply
from smssign.core.model import Event, EventType, Subject

WEBHOOK = "webhook"
"""The channel of smssign's own webhooks; a report delivery's channel is its format's name."""
STATUS_REPORT = "report.status"
"""A delivery's type when it carries status reports."""
REPLY_REPORT = "report.reply"
"""A delivery's type when it carries a reply (MO)."""
MOST_REPORTS = 100
"""Reports per POST unless a format says otherwise (every provider documents 100)."""

_REPORTED = frozenset({EventType.MESSAGE_DELIVERED, EventType.MESSAGE_FAILED})


def json_answer(status: int, answer: str) -> dict[str, Any] | None:
    """A receiver's answer as a JSON object, when it came with HTTP 200; else None (the
    JSON formats' `accepts` then look at their own success field)."""
    if status != 200:
        return None
    try:
        data = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True, slots=True)
class ReportFormat:
    """How one provider pushes status reports and replies (declared in its folder)."""

    name: str
    """What `smssign callbacks set ACCOUNT PROVIDER` names; dialects may share it."""
    title: str
    """Who it is, for --help and the console (the provider and the APIs it covers)."""
    content_type: str
    report: Callable[[Message], Any]
    """One status report, as JSON-ready data."""
    reports_body: Callable[[Sequence[Any]], str]
    """The request body of a batch of reports."""
    reply_body: Callable[[Reply, str], str]
    """The request body of one reply, given the account's `signed_with` key (or "")."""
    accepts: Callable[[int, str], bool]
    """Whether the receiver's answer (HTTP status, start of the body) means received."""
    most_reports: int = MOST_REPORTS
    signed_with: str | None = None
    """The credential kind whose key signs a pushed reply; that kind keeps a sealed copy
    of its key (core/providers.py `CredentialKind.sealed_copy`)."""


class ReportFormats:
    """The formats of every registered dialect, by dialect and by name."""

    def __init__(self, by_dialect: Mapping[str, ReportFormat]) -> None:
        self.by_dialect = dict(by_dialect)
        self.by_name: dict[str, ReportFormat] = {}
        for found in self.by_dialect.values():
            if self.by_name.setdefault(found.name, found) is not found:
                raise ValueError(f"two report formats are named {found.name!r}")

    def __iter__(self) -> Iterator[ReportFormat]:
        return iter(self.by_name.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.by_name)

    def of_dialect(self, dialect: str) -> ReportFormat | None:
        return self.by_dialect.get(dialect)

    def named(self, name: str) -> ReportFormat:
        """The format of that name; errors.InvalidSubmission for any other."""
        found = self.by_name.get(name)
        if found is None:
            known = ", ".join(self.by_name) or "none"
            raise errors.InvalidSubmission("provider", f"one of {known}")
        return found

    def dialects(self, name: str) -> tuple[str, ...]:
        return tuple(d for d, f in self.by_dialect.items() if f.name == name)

    @property
    def signing_kinds(self) -> tuple[str, ...]:
        """The credential kinds whose keys sign some format's replies."""
        return tuple(sorted({f.signed_with for f in self if f.signed_with}))


NO_FORMATS = ReportFormats({})


@dataclass(frozen=True, slots=True)
class Callbacks:
    """Where an account's reports of one format go; None is "not pushed"."""

    account_id: int
    provider: str
    status_url: str | None
    reply_url: str | None
    created_at: float
    updated_at: float

    def snapshot(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "provider": self.provider,
            "status_url": self.status_url,
            "reply_url": self.reply_url,
        }


@dataclass(frozen=True, slots=True)
class PlannedReport:
    """One report delivery to make: its body is fixed here, sent as is on every attempt."""

    account_id: int
    channel: str
    type: str
    url: str
    body: str
    events: tuple[int, ...]
    subjects: tuple[Subject, ...]


def _since(callbacks: Callbacks | None, event: Event) -> Callbacks | None:
    """The account's URLs if they were set before the event (as webhooks: nothing older)."""
    if callbacks is None or event.created_at < callbacks.created_at:
        return None
    return callbacks


def plan(
    events: Sequence[Event],
    callbacks: Mapping[tuple[int, str], Callbacks],
    formats: ReportFormats,
    signing_keys: Mapping[tuple[int, str], str] | None = None,
) -> list[PlannedReport]:
    """The report deliveries `events` (oldest first) make.

    Status reports are grouped per account, format and URL in event order and cut into
    batches of the format's `most_reports`; each reply is a delivery of its own, to the
    reply URL of its dialect's format, or of every format when it answers no known
    message (no dialect). `signing_keys` holds, by (account id, credential kind), the
    keys that sign replies of formats `signed_with` that kind.
    """
    keys = signing_keys or {}
    batches: dict[tuple[int, str, str], list[tuple[Event, Message]]] = {}
    planned: list[PlannedReport] = []
    for event in events:
        if event.type in _REPORTED and isinstance(event.payload.get("message"), Mapping):
            message = Message.from_snapshot(event.payload["message"])
            found = formats.of_dialect(message.dialect)
            if found is None:
                continue
            urls = _since(callbacks.get((event.account_id, found.name)), event)
            url = message.callback_url or (urls.status_url if urls else None)
            if url:
                batches.setdefault((event.account_id, found.name, url), []).append((event, message))
        elif event.type is EventType.REPLY_RECEIVED and isinstance(
            event.payload.get("reply"), Mapping
        ):
            reply = Reply.from_snapshot(event.payload["reply"])
            chosen = formats.of_dialect(reply.dialect)
            for each in [chosen] if chosen is not None else list(formats):
                urls = _since(callbacks.get((event.account_id, each.name)), event)
                if urls is None or not urls.reply_url:
                    continue
                key = keys.get((event.account_id, each.signed_with or ""), "")
                planned.append(
                    PlannedReport(
                        account_id=event.account_id,
                        channel=each.name,
                        type=REPLY_REPORT,
                        url=urls.reply_url,
                        body=each.reply_body(reply, key),
                        events=(event.id,),
                        subjects=(Subject(REPLY, reply.id),),
                    )
                )
    for (account_id, name, url), items in batches.items():
        found = formats.named(name)
        size = max(1, found.most_reports)
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            planned.append(
                PlannedReport(
                    account_id=account_id,
                    channel=name,
                    type=STATUS_REPORT,
                    url=url,
                    body=found.reports_body([found.report(m) for _, m in chunk]),
                    events=tuple(e.id for e, _ in chunk),
                    subjects=tuple(Subject(MESSAGE, m.id) for _, m in chunk),
                )
            )
    return sorted(planned, key=lambda p: p.events[0])


@dataclass(frozen=True, slots=True)
class Push:
    """A callback one event makes, beside any webhook delivery or report: `body` POSTed
    to `url` in the wire of the report format named `channel` (its Content-Type and the
    answer that means received)."""

    channel: str
    url: str
    body: str


class ReportStore(Protocol):
    """Where callback URLs are kept, and the report deliveries of a message or reply
    (the deliveries themselves are the webhooks' store's: core/deliveries.py)."""

    async def set_callbacks(
        self,
        account_id: int,
        provider: str,
        status_url: str | None,
        reply_url: str | None,
        at: float,
    ) -> Callbacks:
        """Create or replace; AccountNotFound when the account does not exist."""
        ...

    async def callbacks(self, account_id: int) -> list[Callbacks]:
        """The account's URLs, one entry per format that has any, by format name."""
        ...

    async def remove_callbacks(self, account_id: int, provider: str) -> bool:
        """Stop pushing new reports of that format (ones already planned still go)."""
        ...

    async def report_deliveries(self, message_id: int) -> list[Delivery]:
        """Every delivery that carries the message's status report, oldest first (the
        console's message page lists them, with `attempts(delivery.id)` each)."""
        ...

    async def reply_deliveries(self, reply_id: int) -> list[Delivery]:
        """Every delivery that carries the reply, oldest first."""
        ...


__all__ = [
    "MOST_REPORTS",
    "NO_FORMATS",
    "REPLY_REPORT",
    "STATUS_REPORT",
    "WEBHOOK",
    "Callbacks",
    "PlannedReport",
    "Push",
    "ReportFormat",
    "ReportFormats",
    "ReportStore",
    "plan",
]
