"""Use cases of messages: send, simulated delivery, set an outcome, replies, pulls, inbox.

A dialect parses its request into a `SendRequest` and calls `SendService.send`; every
check is made here, once, and a refusal is a neutral error (core/errors.py, the
`SendRefused` family per number, `SendRequestInvalid` for the whole request) that the
dialect maps to its own code. The messages a request has accepted are stored in one
transaction, with one `message.accepted` event each, before the call returns; so an
acknowledged send is never lost. Delivery, outcomes and replies each change their rows
and write their event (`message.delivered`, `message.failed`, `reply.received`) in one
transaction too, so that whatever pushes reports from the outbox sees every change.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from smssign.core import errors, numbers
from smssign.core.clock import Clock
from smssign.core.messages import (
    BLOCKED_NUMBERS,
    LONGEST_MESSAGE,
    MESSAGE,
    REPLY,
    REPLY_WINDOW,
    FrequencyLimit,
    Message,
    MessageStatus,
    Params,
    Reply,
    Sent,
    account_quotas,
    frequency_hit,
    longest_window,
    outcome,
)
from smssign.core.model import (
    Account,
    Certification,
    EventType,
    Status,
    Subject,
    Template,
    TemplateType,
)
from smssign.core.numbers import Mobile
from smssign.core.ports import (
    MessageFilter,
    MessageRepository,
    MessageTransaction,
    NewMessage,
    Pruned,
    SendingSettings,
)
from smssign.core.rendering import ParameterRules, fill, handset_text, match

DELIVERY_BATCH = 200
"""Messages simulated delivery decides per transaction."""
PRUNE_BATCH = 500
"""Rows of each table one retention transaction removes: a few milliseconds of the writer."""
PRUNE_PAUSE = 0.01
"""Seconds between two retention transactions, so that other writes go first."""


_REPORTED = {
    MessageStatus.DELIVERED: EventType.MESSAGE_DELIVERED,
    MessageStatus.FAILED: EventType.MESSAGE_FAILED,
}

NO_RULES = ParameterRules()
"""Parameter values checked only for being there."""


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One send call of a dialect, parsed.

    `mobiles` as the caller wrote them (or already normalised); each is normalised here
    and an invalid one is refused on its own. `sign` is the signature's name without 【】
    (None or "" sends an international template without one). `provider_ids(position)`
    makes the provider message id of the accepted number at that position of the request
    (a SerialNo, a sid; equal ids for one request are allowed). `most_numbers` and
    `mixed_scope` are the dialect's per-request limits.
    """

    dialect: str
    mobiles: Sequence[str | Mobile]
    template_id: int
    sign: str | None
    params: Params
    provider_ids: Callable[[int], str]
    most_numbers: int = 1
    mixed_scope: bool = False
    session: str = ""
    extend: str = ""
    default_country: str = numbers.MAINLAND_CODE
    parameter_rules: ParameterRules = NO_RULES
    callback_url: str | None = None
    """The request's own status-report URL, kept with each message."""


@dataclass(frozen=True, slots=True)
class NumberResult:
    """The fate of one number of a request, in request order."""

    position: int
    mobile: str
    """E.164 when the number was valid, else as the caller wrote it."""
    iso_code: str
    message: Message | None
    error: errors.SendRefused | None


@dataclass(frozen=True, slots=True)
class SendResult:
    results: tuple[NumberResult, ...]
    request_error: errors.SendRefused | None = None
    """Set when a check that concerns every number (signature, template, parameters,
    length) failed: every result carries it and nothing was stored. Dialects that answer
    such errors for the whole request raise their code from it."""

    @property
    def accepted(self) -> list[Message]:
        return [r.message for r in self.results if r.message is not None]


@dataclass(frozen=True, slots=True)
class TextMatch:
    """Free text matched against the account's approved templates (text-sending dialects)."""

    template: Template
    sign: str
    params: tuple[str, ...]


class Arrivals:
    """Wakes what waits for new messages in this process (the inbox's `wait`, delivery)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()
        self.listeners: list[Callable[[], None]] = []

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()
        for listener in self.listeners:
            listener()

    async def wait(self, timeout: float) -> None:
        """Return after the next `notify`, or after `timeout` seconds."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)


_POLL = 0.25
"""Seconds between store reads while the inbox waits (other nodes' sends)."""
LONGEST_WAIT = 30.0


class SendService:
    def __init__(
        self,
        repository: MessageRepository,
        clock: Clock,
        *,
        frequency_limits: Mapping[str, Sequence[FrequencyLimit]] | None = None,
        frequency_enabled: bool = True,
        delivery_delay: float = 0.0,
    ) -> None:
        """`frequency_limits` per dialect name (the providers' declarations);
        `frequency_enabled` False (`--no-rate-limit`) turns them all off; each accepted
        message is decided `delivery_delay` seconds after it was accepted."""
        self.repository = repository
        self.clock = clock
        self.frequency_limits: Mapping[str, Sequence[FrequencyLimit]] = dict(frequency_limits or {})
        self.frequency_enabled = frequency_enabled
        self.delivery_delay = delivery_delay
        self.arrivals = Arrivals()
        self.reported = Arrivals()
        """Notified after outcomes or replies were stored (wakes what pushes reports)."""

    # --- sending ------------------------------------------------------------------------

    async def send(self, account: Account, request: SendRequest) -> SendResult:
        """Check and accept what can be sent; raise errors.SendRequestInvalid for the
        request as a whole (no numbers, too many, mixed scopes), changing nothing."""
        if not request.mobiles:
            raise errors.NoNumbers("no mobile number")
        if len(request.mobiles) > request.most_numbers:
            raise errors.TooManyNumbers(request.most_numbers)
        parsed: list[Mobile | errors.InvalidNumber] = []
        for raw in request.mobiles:
            if isinstance(raw, Mobile):
                parsed.append(raw)
                continue
            try:
                parsed.append(numbers.normalise(raw, default_country=request.default_country))
            except errors.InvalidNumber as exc:
                parsed.append(exc)
        scopes = {m.mainland for m in parsed if isinstance(m, Mobile)}
        if len(scopes) > 1 and not request.mixed_scope:
            raise errors.MixedScope("mainland and international numbers together")
        now = self.clock.now()
        limits = self.frequency_limits.get(request.dialect, ()) if self.frequency_enabled else ()
        async with self.repository.message_transaction() as tx:
            try:
                template, sign, text = await self._compose(tx, account, request)
            except errors.SendRefused as exc:
                return _refused_all(request, parsed, exc)
            settings = await tx.lock_sending(account.id)
            # Account-wide quotas refuse a request they cannot take whole (the account's
            # lock above keeps concurrent sends from both fitting).
            wanted = sum(1 for m in parsed if isinstance(m, Mobile))
            for quota, count in account_quotas(limits, settings.frequency):
                seen = await tx.count_sent_since(account.id, quota.window_start(now), count)
                if seen + wanted > count:
                    return _refused_all(request, parsed, errors.FrequencyLimited(quota.name))
            balance = settings.balance
            results: list[NumberResult] = []
            new: list[NewMessage] = []
            accepted_now: dict[str, list[Sent]] = {}
            for position, mobile in enumerate(parsed):
                if isinstance(mobile, errors.InvalidNumber):
                    raw = request.mobiles[position]
                    results.append(NumberResult(position, str(raw), "", None, mobile))
                    continue
                parts = numbers.segments(text, international=not mobile.mainland)
                error = await self._refusal(
                    tx, account, settings, limits, template, text, mobile, parts, balance, now,
                    accepted_now,
                )  # fmt: skip
                if error is not None:
                    results.append(
                        NumberResult(position, mobile.e164, mobile.iso_code, None, error)
                    )
                    continue
                balance -= parts
                accepted_now.setdefault(mobile.e164, []).append(Sent(now, text, template.type))
                new.append(
                    NewMessage(
                        account_id=account.id,
                        dialect=request.dialect,
                        mobile=mobile.e164,
                        sign=sign,
                        signature_id=None,
                        template_id=template.id,
                        template_type=template.type,
                        params=_params(request.params),
                        text=text,
                        parts=parts,
                        fee=parts,
                        provider_message_id=request.provider_ids(position),
                        session=request.session,
                        extend=request.extend,
                        created_at=now,
                        due_at=now + self.delivery_delay,
                        callback_url=request.callback_url,
                    )
                )
                results.append(NumberResult(position, mobile.e164, mobile.iso_code, None, None))
            accepted = await tx.insert_messages(new) if new else []
            stored = iter(accepted)
            final: list[NumberResult] = []
            for result in results:
                if result.error is None:
                    result = NumberResult(
                        result.position, result.mobile, result.iso_code, next(stored), None
                    )
                final.append(result)
            if new:
                await tx.insert_events(
                    [
                        (account.id, EventType.MESSAGE_ACCEPTED, Subject(MESSAGE, m.id),
                         {"message": m.snapshot()})
                        for m in accepted
                    ],
                    now,
                )  # fmt: skip
                await tx.set_balance(account.id, balance)
        if new:
            self.arrivals.notify()
        return SendResult(tuple(final))

    async def _compose(
        self, tx: MessageTransaction, account: Account, request: SendRequest
    ) -> tuple[Template, str, str]:
        template = await tx.template(account.id, request.template_id)
        if template is None:
            raise errors.TemplateNotFound(f"no template {request.template_id}")
        if template.status is not Status.APPROVED:
            raise errors.TemplateNotApproved(f"template {template.id} is {template.status}")
        if (
            template.type is TemplateType.MARKETING
            and account.certification is Certification.INDIVIDUAL
        ):
            raise errors.MarketingNotAllowed("individual accounts send no marketing messages")
        sign = request.sign or ""
        if sign or not template.international:
            signature = await tx.approved_signature(account.id, sign, template.international)
            if signature is None or signature.status is not Status.APPROVED:
                raise errors.SignatureNotApproved(f"no approved signature {sign!r} of this scope")
        text = handset_text(sign, fill(template, request.params))
        if len(text) > LONGEST_MESSAGE:
            raise errors.ContentTooLong(f"at most {LONGEST_MESSAGE} characters")
        params = request.params
        request.parameter_rules.check(
            template, list(params.values()) if isinstance(params, Mapping) else list(params)
        )
        return template, sign, text

    async def _refusal(
        self,
        tx: MessageTransaction,
        account: Account,
        settings: SendingSettings,
        limits: Sequence[FrequencyLimit],
        template: Template,
        text: str,
        mobile: Mobile,
        parts: int,
        balance: int,
        now: float,
        accepted_now: Mapping[str, Sequence[Sent]],
    ) -> errors.SendRefused | None:
        if mobile.mainland == template.international:
            return errors.ScopeMismatch(template.international)
        if mobile.e164 in BLOCKED_NUMBERS:
            return errors.NumberBlocked(f"{mobile.e164} is on the do-not-disturb list")
        if limits:
            earlier = await tx.sent_since(account.id, mobile.e164, longest_window(limits, now))
            earlier = [*earlier, *accepted_now.get(mobile.e164, ())]
            hit = frequency_hit(limits, settings.frequency, earlier, text, template.type, now)
            if hit is not None:
                return errors.FrequencyLimited(hit.name)
        if balance < parts:
            return errors.InsufficientBalance(f"{balance} parts left, {parts} needed")
        return None

    async def match_text(self, account: Account, text: str) -> TextMatch:
        """The approved template (and signature) that free text `【sign】content` was
        written from: errors.SignatureNotApproved, or NoTemplateMatch when no approved
        template of the account matches (only pending or rejected ones: TemplateNotApproved)."""
        found = re.fullmatch(r"【([^【】]+)】(.*)", text, re.DOTALL)
        if found is None:
            raise errors.SignatureNotApproved("the text does not start with 【signature】")
        sign, body = found.group(1), found.group(2)
        async with self.repository.message_transaction() as tx:
            candidates = await tx.templates_of(account.id)
            unapproved = False
            for template in candidates:
                values = match(template, body)
                if values is None:
                    continue
                if template.status is not Status.APPROVED:
                    unapproved = True
                    continue
                signature = await tx.approved_signature(account.id, sign, template.international)
                if signature is None or signature.status is not Status.APPROVED:
                    raise errors.SignatureNotApproved(f"no approved signature {sign!r}")
                return TextMatch(template, sign, values)
        if unapproved:
            raise errors.TemplateNotApproved("the matching template is not approved")
        raise errors.NoTemplateMatch("no approved template matches the text")

    # --- delivery and outcomes ---------------------------------------------------------

    async def deliver_due(self, limit: int = DELIVERY_BATCH) -> int:
        """Decide the pending messages whose time has come; how many were decided."""
        now = self.clock.now()
        # A read first: with nothing due (the usual case between sends) no write
        # transaction is begun, and the writer is left to those who write.
        first = await self.repository.next_due()
        if first is None or first > now:
            return 0
        async with self.repository.message_transaction() as tx:
            due = await tx.due_messages(now, limit)
            if not due:
                return 0
            rules = await tx.outcome_rules()
            decided = await tx.reports(
                [(m, *outcome(rules, m.account_id, m.mobile)) for m in due], now
            )
            await tx.insert_events(
                [
                    (m.account_id, _REPORTED[m.status], Subject(MESSAGE, m.id),
                     {"message": m.snapshot()})
                    for m in decided
                    if m.status is not MessageStatus.PENDING
                ],
                now,
            )  # fmt: skip
        self.reported.notify()
        return len(due)

    async def set_status(
        self, message_id: int, status: MessageStatus, error_code: str | None = None
    ) -> Message:
        """Set a message's outcome by hand (the inbox, the testing kit); its event follows."""
        if status is MessageStatus.PENDING:
            raise errors.InvalidSubmission("status", "must be delivered or failed")
        now = self.clock.now()
        async with self.repository.message_transaction() as tx:
            message = await tx.lock_message(message_id)
            if message is None:
                raise errors.NotFound()
            code = error_code if status is MessageStatus.FAILED else None
            saved = await self._report(tx, message, status, code, now)
        self.reported.notify()
        return saved

    async def _report(
        self,
        tx: MessageTransaction,
        message: Message,
        status: MessageStatus,
        code: str | None,
        now: float,
    ) -> Message:
        saved = await tx.report(message.id, status, code, now)
        if status is not MessageStatus.PENDING:
            await tx.insert_event(
                message.account_id,
                EventType.MESSAGE_DELIVERED
                if status is MessageStatus.DELIVERED
                else EventType.MESSAGE_FAILED,
                Subject(MESSAGE, message.id),
                {"message": saved.snapshot()},
                now,
            )
        return saved

    async def next_due(self) -> float | None:
        return await self.repository.next_due()

    # --- replies -----------------------------------------------------------------------

    async def reply(
        self,
        mobile: str,
        text: str,
        *,
        account_id: int | None = None,
        dialect: str | None = None,
    ) -> Reply:
        """A handset's reply. It answers the latest message to the number within 48 hours
        (its account, dialect, sign and extension); without such a message `account_id`
        must be given (errors.NotFound otherwise)."""
        number = numbers.normalise(mobile)
        if not text:
            raise errors.InvalidSubmission("text", "the reply is empty")
        now = self.clock.now()
        async with self.repository.message_transaction() as tx:
            latest = await tx.latest_to(account_id, number.e164)
            if latest is not None and latest.created_at < now - REPLY_WINDOW:
                latest = None
            owner = account_id
            if owner is None and latest is not None:
                owner = latest.account_id
            if owner is None:
                raise errors.NotFound()
            reply = await tx.insert_reply(
                owner,
                dialect or (latest.dialect if latest else ""),
                number.e164,
                text,
                latest.sign if latest else "",
                latest.extend if latest else "",
                latest.id if latest else None,
                now,
            )
            await tx.insert_event(
                owner, EventType.REPLY_RECEIVED, Subject(REPLY, reply.id),
                {"reply": reply.snapshot()}, now,
            )  # fmt: skip
        self.reported.notify()
        return reply

    # --- pulls (the dialects' status and reply queues) ---------------------------------

    async def pull_reports(
        self, account_id: int, dialects: Sequence[str], limit: int
    ) -> list[Message]:
        """Reported messages not pulled before; each is pulled once."""
        # A read first: a client polling an empty queue (the usual case) begins no write
        # transaction, whose COMMIT would go to a thread for nothing.
        if not await self.repository.has_reports(account_id, dialects):
            return []
        async with self.repository.message_transaction() as tx:
            return await tx.pull_reports(account_id, dialects, limit, self.clock.now())

    async def pull_replies(
        self, account_id: int, dialects: Sequence[str], limit: int
    ) -> list[Reply]:
        async with self.repository.message_transaction() as tx:
            return await tx.pull_replies(account_id, dialects, limit, self.clock.now())

    async def reports_for(
        self,
        account_id: int,
        dialects: Sequence[str],
        mobile: str,
        since: float,
        until: float | None,
        limit: int,
    ) -> list[Message]:
        return await self.repository.reports_for(account_id, dialects, mobile, since, until, limit)

    async def replies_for(
        self,
        account_id: int,
        dialects: Sequence[str],
        mobile: str,
        since: float,
        until: float | None,
        limit: int,
    ) -> list[Reply]:
        return await self.repository.replies_for(account_id, dialects, mobile, since, until, limit)

    # --- the inbox ---------------------------------------------------------------------

    async def messages(
        self, where: MessageFilter | None = None, *, limit: int = 50
    ) -> tuple[list[Message], int]:
        """Newest first, and how many match (up to the store's bound, 10 000)."""
        return await self.repository.message_page(where or MessageFilter(), limit=limit)

    async def latest(self, mobile: str, *, wait: float = 0.0) -> Message | None:
        """The newest message to `mobile`; when there is none, wait up to `wait` seconds
        (at most LONGEST_WAIT) for one to arrive."""
        number = numbers.normalise(mobile).e164
        # The event loop's clock, not the injected one: a test's fixed clock never moves.
        loop = asyncio.get_running_loop()
        stop = loop.time() + min(max(wait, 0.0), LONGEST_WAIT)
        while True:
            found = await self.repository.latest_message(number)
            left = stop - loop.time()
            if found is not None or left <= 0:
                return found
            await self.arrivals.wait(min(left, _POLL))

    async def delete(self, *, account_id: int | None = None, mobile: str | None = None) -> int:
        number = numbers.normalise(mobile).e164 if mobile else None
        return await self.repository.delete_messages(account_id, number)

    # --- retention ---------------------------------------------------------------------

    async def prune(
        self, retention: float, *, batch: int = PRUNE_BATCH, pause: float = PRUNE_PAUSE
    ) -> Pruned:
        """Remove what was created more than `retention` seconds ago: messages, replies,
        their events and deliveries; in transactions of at most `batch` rows a table, with
        `pause` seconds between them. Returns what went in all."""
        before = self.clock.now() - retention
        messages = replies = events = 0
        while True:
            done = await self.repository.prune_messages(before, batch)
            messages += done.messages
            replies += done.replies
            events += done.events
            if done.total == 0:
                return Pruned(messages, replies, events)
            await asyncio.sleep(pause)


def _params(params: Params) -> Params:
    return dict(params) if isinstance(params, Mapping) else tuple(params)


def _refused_all(
    request: SendRequest, parsed: Sequence[Mobile | errors.InvalidNumber], error: errors.SendRefused
) -> SendResult:
    results = tuple(
        NumberResult(
            position,
            mobile.e164 if isinstance(mobile, Mobile) else str(request.mobiles[position]),
            mobile.iso_code if isinstance(mobile, Mobile) else "",
            None,
            error,
        )
        for position, mobile in enumerate(parsed)
    )
    return SendResult(results, error)


__all__ = [
    "Arrivals",
    "NumberResult",
    "ParameterRules",
    "SendRequest",
    "SendResult",
    "SendService",
    "TextMatch",
    "fill",
    "handset_text",
]
