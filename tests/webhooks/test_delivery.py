"""Webhooks from a running server to a local receiver: every event type, the signed
envelope, retries with backoff, and a restart while a delivery is being retried.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smssign.core.model import Draft, Image
from tests.backoffice import (
    Received,
    Receiver,
    add_signature,
    delete_signature,
    modify_signature,
    set_webhook,
    signed_correctly,
    smssign,
    tencent,
    wait_until,
)
from tests.conftest import Server, start_server, stop_server
from tests.samples import OTHER_PNG_B64, png


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Retries after 1, 1 and 2 seconds instead of minutes."""
    s = start_server(
        tmp_path_factory.mktemp("webhooks"), "--no-rate-limit", "--webhook-retry-delays", "1,1,2"
    )
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def hooked(server: Server, receiver: Receiver) -> dict[str, Any]:
    """A fresh account whose webhook points at the receiver, secret "s3cret"."""
    account = server.create_account()
    set_webhook(server, account["id"], receiver.url, "s3cret")
    return account


def test_every_event_type_arrives_signed(
    server: Server, receiver: Receiver, hooked: dict[str, Any]
) -> None:
    client = tencent(server, hooked)
    kept = add_signature(client, "事件签名")
    modify_signature(client, kept, "事件签名二", proof=OTHER_PNG_B64)
    server.file(kept)
    server.approve(kept)
    dropped = add_signature(client, "驳回签名")
    server.reject(dropped, "名称不规范")
    delete_signature(client, dropped)

    async def notify(rt: Any) -> int:
        account = await rt.accounts.get(hooked["id"])
        draft = Draft(
            name="通知签名",
            proof_images=(Image(png(), "PNG", 8, 8),),
            notify=True,
        )
        return int((await rt.signatures.add(account, draft, dialect="yunpian")).signature.id)

    notified = server.run(notify)

    expected = [
        ("signature.submitted", kept),
        ("signature.modified", kept),
        ("signature.filing", kept),
        ("signature.approved", kept),
        ("signature.submitted", dropped),
        ("signature.rejected", dropped),
        ("signature.deleted", dropped),
        ("signature.submitted", notified),
        ("notification.requested", notified),
    ]
    for type, sign_id in expected:
        receiver.wait_for(type, sign_id)
    mine = [r for r in receiver.received if r.json["account_id"] == hooked["id"]]
    assert len(mine) == len(expected)
    assert len({r.json["id"] for r in mine}) == len(expected)

    now = time.time()
    for received in mine:
        body = received.json
        assert {"id", "type", "time", "account_id", "signature"} <= set(body)
        assert received.headers["content-type"] == "application/json"
        assert received.headers["x-smssign-event"] == body["type"]
        assert abs(int(received.headers["x-smssign-timestamp"]) - now) < 60
        assert signed_correctly("s3cret", received)
        assert not signed_correctly("another secret", received)
        sent_at = datetime.strptime(body["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(sent_at.timestamp() - now) < 60

    (rejection,) = receiver.events("signature.rejected", dropped)
    assert rejection.json["signature"]["review_reply"] == "名称不规范"
    assert rejection.json["reason"] == "名称不规范"
    (modified,) = receiver.events("signature.modified", kept)
    assert modified.json["signature"]["name"] == "事件签名二"
    assert modified.json["application_id"] == modified.json["signature"]["application_id"]
    (approval,) = receiver.events("signature.approved", kept)
    assert approval.json["signature"]["status"] == "approved"


def test_failures_are_retried_with_backoff(
    server: Server, receiver: Receiver, hooked: dict[str, Any]
) -> None:
    receiver.statuses[:] = [500, 503]
    sign_id = add_signature(tencent(server, hooked), "重试签名")
    attempts = receiver.wait_for("signature.submitted", sign_id, count=3, timeout=15)
    assert len({r.json["id"] for r in attempts}) == 1  # the same event, again
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert all(gap >= 0.9 for gap in gaps), gaps
    # Each attempt is signed afresh with its own timestamp.
    assert all(signed_correctly("s3cret", r) for r in attempts)

    shown = wait_until(lambda: _delivered(server, hooked["id"], sign_id))
    assert [d["attempts"] for d in shown] == [3]
    log = smssign(server, "webhooks", "show", str(hooked["id"])).stdout
    assert "signature.submitted\tdelivered\tattempts=3" in log


def test_unreachable_receiver_then_fixed_url(
    server: Server, receiver: Receiver, hooked: dict[str, Any]
) -> None:
    set_webhook(server, hooked["id"], "http://127.0.0.1:9/closed")
    sign_id = add_signature(tencent(server, hooked), "地址错误签名")
    wait_until(lambda: _attempts(server, sign_id) >= 1)
    # Pointing the webhook at the right place lets the next retry through.
    smssign(server, "webhooks", "set", str(hooked["id"]), receiver.url)  # the CLI, once
    (received,) = receiver.wait_for("signature.submitted", sign_id, timeout=15)
    assert signed_correctly("s3cret", received)  # the secret was kept


def _delivered(server: Server, account_id: int, sign_id: int) -> list[dict[str, Any]] | None:
    async def read(rt: Any) -> list[dict[str, Any]]:
        from smssign.backoffice.services import open_backoffice

        async with open_backoffice(rt) as backoffice:
            found = await backoffice.store.deliveries(signature_id=sign_id)
        return [{"status": d.status.value, "attempts": d.attempts} for d in found]

    found = server.run(read)
    return found if found and all(d["status"] == "delivered" for d in found) else None


def _attempts(server: Server, sign_id: int) -> int:
    async def read(rt: Any) -> int:
        from smssign.backoffice.services import open_backoffice

        async with open_backoffice(rt) as backoffice:
            found = await backoffice.store.deliveries(signature_id=sign_id)
        return sum(d.attempts for d in found)

    return int(server.run(read))


def test_restart_while_deliveries_are_retried_or_in_flight(tmp_path: Path) -> None:
    """Stop the server with one delivery waiting for its retry and another one still
    waiting for the receiver's answer; the restarted server finishes both, and sends an
    event written while it was down."""
    first_seen: set[tuple[int, str]] = set()

    def plan(received: Received) -> tuple[int, float] | None:
        body = received.json
        key = (body["signature"]["id"], body["type"])
        if key in first_seen or body["type"] != "signature.submitted":
            return 200, 0.0
        first_seen.add(key)
        if body["signature"]["name"] == "重试签名":
            return 500, 0.0  # fails; its retry is due 2 s later
        if body["signature"]["name"] == "在途签名":
            return 200, 4.0  # the server is stopped before this answer arrives
        return 200, 0.0

    receiver = Receiver(plan=plan).start()
    server = start_server(tmp_path, "--no-rate-limit", "--webhook-retry-delays", "2")
    try:
        account = server.create_account()
        set_webhook(server, account["id"], receiver.url, "k")
        client = tencent(server, account)
        retried = add_signature(client, "重试签名")
        receiver.wait_for("signature.submitted", retried)
        in_flight = add_signature(client, "在途签名")
        receiver.wait_for("signature.submitted", in_flight)
    finally:
        stop_server(server)

    # While the server is down, a review still lands in the outbox with its change.
    server.reject(retried, "停机期间驳回")
    assert len(receiver.events()) == 2

    restarted = start_server(tmp_path, "--no-rate-limit", "--webhook-retry-delays", "2")
    try:
        again = receiver.wait_for("signature.submitted", retried, count=2, timeout=15)
        assert again[0].json == again[1].json
        # Without the lease handed back at shutdown this would wait for it to run out (40 s).
        receiver.wait_for("signature.submitted", in_flight, count=2, timeout=8)
        (rejected,) = receiver.wait_for("signature.rejected", retried, timeout=15)
        assert rejected.json["signature"]["review_reply"] == "停机期间驳回"
        assert all(signed_correctly("k", r) for r in receiver.received)
        assert wait_until(lambda: _delivered(restarted, account["id"], retried)) == [
            {"status": "delivered", "attempts": 1},
            {"status": "delivered", "attempts": 2},
        ]
        assert wait_until(lambda: _delivered(restarted, account["id"], in_flight))
    finally:
        stop_server(restarted)
        receiver.stop()
