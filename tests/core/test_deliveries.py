"""The webhook delivery rules on plain values: which events are sent, how a delivery moves
on after an attempt, and which claims a worker may start."""

from __future__ import annotations

import pytest

from smssign.core import deliveries as rules
from smssign.core import errors
from smssign.core.deliveries import (
    Claim,
    Delivery,
    DeliveryStatus,
    Fairness,
    Lease,
    Outcome,
    RetrySchedule,
    Webhook,
)

NOW = 1_800_000_000.0
SCHEDULE = RetrySchedule((10.0, 20.0), every=100.0, give_up_after=250.0)


def outcome(status_code: int | None) -> Outcome:
    return Outcome("http://hook", NOW, 0.1, status_code, "", "")


def leased(worker: str = "w1", attempts: int = 0) -> rules.DeliveryState:
    state = rules.dispatched(NOW)
    return rules.DeliveryState(
        status=state.status,
        attempts=attempts,
        next_attempt_at=state.next_attempt_at,
        lease=rules.lease(worker, NOW, 40.0),
        last_status_code=None,
        last_error="",
        finished_at=None,
    )


def test_only_events_after_an_enabled_webhook_was_set_are_sent() -> None:
    hook = Webhook(1, "http://hook", "k", True, created_at=NOW, updated_at=NOW)
    assert rules.dispatches(hook, NOW)
    assert not rules.dispatches(hook, NOW - 1)
    assert not rules.dispatches(None, NOW)
    off = Webhook(1, "http://hook", "k", False, created_at=NOW, updated_at=NOW)
    assert not rules.dispatches(off, NOW + 1)


def test_a_new_delivery_is_due_at_once_and_a_lease_hides_it_until_it_runs_out() -> None:
    state = rules.dispatched(NOW)
    assert state.status is DeliveryStatus.PENDING and state.attempts == 0
    assert rules.is_due(state, NOW)
    held = leased()
    assert not rules.is_due(held, NOW + 39)
    assert rules.is_due(held, NOW + 41)


def test_an_attempt_delivers_retries_or_gives_up() -> None:
    done = rules.attempted(leased(), "w1", outcome(204), SCHEDULE, NOW, NOW + 1)
    assert done.status is DeliveryStatus.DELIVERED and done.finished_at == NOW + 1
    assert done.attempts == 1 and done.lease is None and done.last_status_code == 204

    again = rules.attempted(leased(), "w1", outcome(500), SCHEDULE, NOW, NOW + 1)
    assert again.status is DeliveryStatus.PENDING and again.next_attempt_at == NOW + 11
    assert again.lease is None and again.attempts == 1

    # After the 4th failure at +230 the next would start at +330, past give_up_after.
    last = rules.attempted(leased(attempts=3), "w1", outcome(None), SCHEDULE, NOW, NOW + 230)
    assert last.status is DeliveryStatus.FAILED and last.finished_at == NOW + 230


def test_an_attempt_by_a_worker_that_lost_its_lease_only_counts() -> None:
    taken = leased("w2")
    after = rules.attempted(taken, "w1", outcome(500), SCHEDULE, NOW, NOW + 1)
    assert after.status is DeliveryStatus.PENDING and after.lease == taken.lease
    assert after.attempts == 1 and after.next_attempt_at == taken.next_attempt_at
    # A delivery that got through is delivered, even if it was cancelled meanwhile.
    cancelled = rules.cancelled(taken, NOW)
    assert cancelled.status is DeliveryStatus.CANCELLED and cancelled.lease is None
    assert rules.attempted(cancelled, "w1", outcome(200), SCHEDULE, NOW, NOW + 1).status is (
        DeliveryStatus.DELIVERED
    )


def test_cancel_release_and_retry() -> None:
    done = rules.attempted(leased(), "w1", outcome(200), SCHEDULE, NOW, NOW + 1)
    assert rules.cancelled(done, NOW + 2) == done
    assert rules.released(leased("w1"), "w1").lease is None
    assert rules.released(leased("w2"), "w1").lease == Lease("w2", NOW + 40)
    retried = rules.retried(done, NOW + 5, has_webhook=True)
    assert retried.status is DeliveryStatus.PENDING and retried.next_attempt_at == NOW + 5
    assert retried.finished_at is None and rules.is_due(retried, NOW + 5)
    with pytest.raises(errors.InvalidSubmission):
        rules.retried(done, NOW + 5, has_webhook=False)


def claim(delivery_id: int, account_id: int) -> Claim:
    delivery = Delivery(
        delivery_id, delivery_id, account_id, None, "signature.submitted", "{}",
        DeliveryStatus.PENDING, 0, NOW, None, "", NOW, None,
    )  # fmt: skip
    return Claim(delivery, f"http://hook/{account_id}", "k")


def test_fairness_gives_each_account_its_own_share_of_senders() -> None:
    fairness = Fairness(limit=5, per_target=2)
    oldest_first = [claim(n, 1) for n in range(4)] + [claim(10 + n, 2) for n in range(4)]
    chosen = fairness.choose(oldest_first)
    assert [(c.delivery.id, c.delivery.account_id) for c in chosen] == [
        (0, 1), (1, 1), (10, 2), (11, 2),
    ]  # fmt: skip
    for c in chosen:
        fairness.start(c.delivery.account_id)
    assert fairness.full() == {1, 2} and fairness.room == 1
    assert fairness.choose(oldest_first) == []
    fairness.finish(1)
    assert fairness.full() == {2} and fairness.room == 2
    assert [c.delivery.id for c in fairness.choose(oldest_first)] == [0]
