"""Webhook deliveries: which events are sent, how a delivery moves on, who sends what.

The rules only; no SQL and no HTTP. A store persists the states these functions return,
and the worker (smssign.backoffice.webhooks) sends. A delivery's life:

    pending --attempt, 2xx--------------------------> delivered
    pending --attempt fails, schedule has more------> pending (next_attempt_at later)
    pending --attempt fails, schedule ran out-------> failed
    pending --webhook removed-----------------------> cancelled
    any     --operator retries----------------------> pending (due now)

A worker holds a pending delivery under a lease while it sends it. A lease that runs
out (its worker stopped) frees the delivery for another worker, so delivery is at least
once. Fairness bounds what one worker sends at a time, in all and to one account's
receiver, so that a receiver that hangs holds up only its own account's deliveries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from smssign.core import errors


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    """Every attempt the schedule allowed failed."""
    CANCELLED = "cancelled"
    """The webhook was removed before the delivery succeeded."""


@dataclass(frozen=True, slots=True)
class Webhook:
    account_id: int
    url: str
    secret: str
    enabled: bool
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    event_id: int
    account_id: int
    signature_id: int | None
    type: str
    body: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: float
    last_status_code: int | None
    last_error: str
    created_at: float
    finished_at: float | None
    channel: str = "webhook"
    """`webhook`, or the name of the report format it carries (core/reports.py)."""
    url: str | None = None
    """Where a report goes; a webhook's URL is its account's webhook's at each attempt."""


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    delivery_id: int
    number: int
    url: str
    started_at: float
    duration: float
    status_code: int | None
    error: str
    response: str
    delivered: bool


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery leased to one worker, with where and how to send it."""

    delivery: Delivery
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt found out."""

    url: str
    started_at: float
    duration: float
    status_code: int | None
    error: str
    response: str
    answered: bool = True
    """False when the receiver's reply is not the success answer its format expects (a
    status report's receiver answers in its provider's terms, not only with a 2xx)."""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and self.answered


# --- when to try again -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """When to try again: `delays` after the 1st, 2nd, ... failure, then every `every`
    seconds, until the next attempt would start more than `give_up_after` after the event.
    """

    delays: tuple[float, ...] = (60.0, 300.0, 600.0)
    every: float = 3600.0
    give_up_after: float = 24 * 3600.0

    def next_attempt(self, failures: int, created_at: float, now: float) -> float | None:
        """When attempt number `failures + 1` should run, or None to give up."""
        index = failures - 1
        delay = self.delays[index] if index < len(self.delays) else self.every
        at = now + delay
        if at > created_at + self.give_up_after:
            return None
        return at


# --- which events become deliveries ---------------------------------------------------


def dispatches(hook: Webhook | None, event_created_at: float) -> bool:
    """Whether an event of the hook's account is delivered: only events after the webhook
    was first set, and none while it is switched off."""
    return hook is not None and hook.enabled and event_created_at >= hook.created_at


# --- the state machine ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lease:
    """A worker's hold on a delivery while it sends it."""

    holder: str
    until: float


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """What the state machine reads and writes of a delivery."""

    status: DeliveryStatus
    attempts: int
    next_attempt_at: float
    lease: Lease | None
    last_status_code: int | None
    last_error: str
    finished_at: float | None


def dispatched(now: float) -> DeliveryState:
    """A new delivery: pending, due at once."""
    return DeliveryState(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        lease=None,
        last_status_code=None,
        last_error="",
        finished_at=None,
    )


CLAIMABLE = DeliveryStatus.PENDING
"""The status a delivery has when a worker may claim it (see `is_due`)."""


def is_due(state: DeliveryState, now: float) -> bool:
    """Whether a worker may claim the delivery now (a store selects by the same rule)."""
    return (
        state.status is CLAIMABLE
        and state.next_attempt_at <= now
        and (state.lease is None or state.lease.until < now)
    )


def lease(worker: str, now: float, duration: float) -> Lease:
    """The lease a claim takes: it must outlive the slowest attempt, so that no two
    workers send the same delivery at once."""
    return Lease(worker, now + duration)


def attempted(
    state: DeliveryState,
    worker: str,
    outcome: Outcome,
    schedule: RetrySchedule,
    created_at: float,
    at: float,
) -> DeliveryState:
    """The delivery after `worker`'s attempt, as it stands now (it may have changed since
    the claim: cancelled, or taken over by another worker after the lease ran out)."""
    attempts = state.attempts + 1
    after = replace(
        state,
        attempts=attempts,
        last_status_code=outcome.status_code,
        last_error=outcome.error,
    )
    if outcome.delivered:
        # Delivered is the truth even if the delivery was cancelled meanwhile.
        if state.status is DeliveryStatus.DELIVERED:
            return after
        return replace(after, status=DeliveryStatus.DELIVERED, finished_at=at, lease=None)
    still_ours = (
        state.status is DeliveryStatus.PENDING
        and state.lease is not None
        and state.lease.holder == worker
    )
    if not still_ours:
        return after
    next_at = schedule.next_attempt(attempts, created_at, at)
    if next_at is None:
        return replace(after, status=DeliveryStatus.FAILED, finished_at=at, lease=None)
    return replace(after, next_attempt_at=next_at, lease=None)


def released(state: DeliveryState, worker: str) -> DeliveryState:
    """The delivery once `worker` stops without sending it (shutting down)."""
    if state.lease is None or state.lease.holder != worker:
        return state
    return replace(state, lease=None)


def cancelled(state: DeliveryState, at: float) -> DeliveryState:
    """The delivery once its webhook is removed: unfinished ones end here."""
    if state.status is not DeliveryStatus.PENDING:
        return state
    return replace(state, status=DeliveryStatus.CANCELLED, finished_at=at, lease=None)


def retried(state: DeliveryState, now: float, *, has_webhook: bool) -> DeliveryState:
    """One more attempt now, whatever the state; if it fails after the schedule ran
    out, the delivery fails again. Refused once the account's webhook is gone."""
    if not has_webhook:
        raise errors.InvalidSubmission("delivery", "the account has no webhook any more")
    return replace(state, status=DeliveryStatus.PENDING, next_attempt_at=now, finished_at=None)


# --- fairness -------------------------------------------------------------------------


@dataclass
class Fairness:
    """What one worker is sending: at most `limit` deliveries at once, and at most
    `per_target` to one account's receiver, so a slow receiver delays only its own."""

    limit: int = 32
    per_target: int = 4
    _sending: Counter[int] = field(default_factory=Counter)

    @property
    def room(self) -> int:
        """How many more deliveries may start now."""
        return max(0, self.limit - self._sending.total())

    def full(self) -> frozenset[int]:
        """Accounts whose receiver takes no more deliveries now."""
        return frozenset(a for a, n in self._sending.items() if n >= self.per_target)

    def choose(self, claims: Sequence[Claim]) -> list[Claim]:
        """Of `claims` (oldest due first), those that may start now, in order."""
        chosen: list[Claim] = []
        taking: Counter[int] = Counter()
        for claim in claims:
            if len(chosen) >= self.room:
                break
            account = claim.delivery.account_id
            if self._sending[account] + taking[account] < self.per_target:
                taking[account] += 1
                chosen.append(claim)
        return chosen

    def start(self, account_id: int) -> None:
        self._sending[account_id] += 1

    def finish(self, account_id: int) -> None:
        self._sending[account_id] -= 1
        if self._sending[account_id] <= 0:
            del self._sending[account_id]


# --- the port -------------------------------------------------------------------------


class WebhookStore(Protocol):
    """Where webhooks and deliveries are kept; each method is one transaction."""

    async def set_webhook(
        self, account_id: int, url: str, secret: str, enabled: bool, at: float
    ) -> Webhook:
        """Create or replace; AccountNotFound when the account does not exist."""
        ...

    async def webhook(self, account_id: int) -> Webhook | None: ...

    async def remove_webhook(self, account_id: int, at: float) -> bool:
        """Forget the webhook and cancel its unfinished deliveries; False if there was none."""
        ...

    async def dispatch_events(self, now: float, limit: int) -> int:
        """Turn undispatched events into deliveries (see `dispatches`); returns how many
        events it looked at."""
        ...

    async def claim_deliveries(
        self,
        worker: str,
        now: float,
        lease: float,
        limit: int,
        *,
        fairness: Fairness | None = None,
    ) -> list[Claim]:
        """Lease up to `limit` due deliveries (see `is_due`), oldest due first; with
        `fairness`, none of its full accounts and only those it chooses."""
        ...

    async def record_attempt(
        self,
        claim: Claim,
        worker: str,
        outcome: Outcome,
        schedule: RetrySchedule,
        at: float,
    ) -> None:
        """Log the attempt and move the delivery on (see `attempted`)."""
        ...

    async def release_leases(self, worker: str) -> None: ...

    async def lease_holders(self, now: float) -> list[str]:
        """The workers holding a lease on a pending delivery that has not run out."""
        ...

    async def retry_delivery(self, delivery_id: int, now: float) -> Delivery:
        """Schedule a finished or waiting delivery for an attempt now (see `retried`)."""
        ...

    async def delivery(self, delivery_id: int) -> Delivery | None: ...

    async def deliveries(
        self,
        *,
        account_id: int | None = None,
        signature_id: int | None = None,
        status: DeliveryStatus | None = None,
        offset: int = 0,
        limit: int = 50,
        channel: str | None = "webhook",
    ) -> list[Delivery]:
        """Newest first; webhook deliveries only unless another `channel` (None: all)."""
        ...

    async def attempts(self, delivery_id: int) -> list[Attempt]: ...
