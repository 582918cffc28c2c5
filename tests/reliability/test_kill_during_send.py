"""kill -9 a node in the middle of 500 concurrent SendSms calls, then restart it.

Every message the node acknowledged (`Code` "Ok" with its SerialNo) must be readable
through `/_smssign/messages` after the restart, and its status report must reach the
account's status URL: the ones decided or dispatched before the kill as well as the ones
the restarted node decides (`--delivery-delay` leaves the last second of sends for it)
and the deliveries the killed node had claimed but not sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backoffice import Receiver, smssign
from tests.clients.test_tencent_sdk_sending import prepare
from tests.conftest import Server, stop_server
from tests.reliability.cluster import (
    Reply,
    call,
    client,
    figure,
    fresh_postgres,
    outcomes,
    start_node,
)

CALLS = 500
KILL_AFTER = 200
"""Acknowledged sends before the kill: well inside the run."""
TENCENT_OK = b'{"result":0,"errmsg":"OK"}'


def send_sms(account: dict[str, Any], template_id: int, n: int) -> dict[str, Any]:
    return {
        "PhoneNumberSet": [f"+86137{n:08d}"],
        "SmsSdkAppId": str(account["legacy"]["sdkappid"]),
        "TemplateId": str(template_id),
        "SignName": "腾讯云",
        "TemplateParamSet": ["1234", "5"],
    }


def serial(reply: Reply) -> str | None:
    """The SerialNo of an acknowledged send, else None."""
    if not reply.ok or reply.response is None:
        return None
    (status,) = reply.response["SendStatusSet"]
    return str(status["SerialNo"]) if status["Code"] == "Ok" else None


async def send_until_killed(node: Server, account: dict[str, Any], template_id: int) -> list[Reply]:
    acknowledged = 0
    killed = False

    async def one(http: httpx.AsyncClient, n: int) -> Reply:
        nonlocal acknowledged, killed
        reply = await call(http, node.url, account, "SendSms", send_sms(account, template_id, n))
        if serial(reply) is not None:
            acknowledged += 1
            if acknowledged >= KILL_AFTER and not killed:
                killed = True
                os.kill(node.process.pid, signal.SIGKILL)
        return reply

    async with client(connections=100) as http:
        replies = await asyncio.gather(*(one(http, n) for n in range(CALLS)))
    if not killed:
        # Too few acknowledged to kill mid-run (a stalled machine): kill anyway so that the
        # assertions below say what came back instead of a hung wait.
        os.kill(node.process.pid, signal.SIGKILL)
    return replies


def reported_sids(receiver: Receiver, after: float = 0.0) -> set[str]:
    with receiver._lock:
        pushes = [r for r in receiver.received if r.at >= after]
    return {report["sid"] for push in pushes for report in json.loads(push.body)}


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_acknowledged_sends_survive_kill_9_and_their_reports_are_pushed(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_postgres() if database == "postgresql" else f"sqlite:///{tmp_path / 'kill.db'}"
    flags = ("--no-rate-limit", "--testing", "--webhook-retry-delays", "0.5,0.5,0.5")
    receiver = Receiver(body=TENCENT_OK).start()
    restarted: Server | None = None
    try:
        node = start_node(tmp_path, "node", url, *flags, "--delivery-delay", "1")
        account = node.create_account()
        template_id = prepare(node, account)
        smssign(
            node, "callbacks", "set", str(account["id"]), "tencent", "--status-url", receiver.url
        )

        replies = asyncio.run(send_until_killed(node, account, template_id))
        assert node.process.wait(timeout=10) == -signal.SIGKILL
        acked = {sid for sid in map(serial, replies) if sid is not None}
        refused = [r for r in replies if r.status is not None and not r.ok]
        assert len(acked) >= KILL_AFTER, outcomes(replies)
        assert refused == [], [r.response for r in refused[:3]]  # success or a dead socket
        before = reported_sids(receiver)

        restart_at = time.time()
        restarted = start_node(tmp_path, "restarted", url, *flags)
        listed = httpx.get(
            f"{restarted.url}/_smssign/messages",
            params={"account_id": str(account["id"]), "limit": "1000"},
        ).json()["messages"]
        stored = {m["provider_message_id"] for m in listed}
        missing = acked - stored
        deadline = time.monotonic() + 40
        while (unreported := acked - reported_sids(receiver)) and time.monotonic() < deadline:
            time.sleep(0.1)
        after = reported_sids(receiver, restart_at)
        figure(
            capsys,
            f"kill -9 during SendSms ({database}): {len(acked)} of {CALLS} acknowledged, "
            f"{len(stored)} stored; missing after restart: {len(missing)}; reports pushed "
            f"before the kill: {len(before & acked)}, after the restart: {len(after & acked)}; "
            f"never pushed: {len(unreported)}",
        )
        assert missing == set()
        assert unreported == set()
        assert acked - before, "every report went out before the kill: nothing was left over"
        assert acked - before <= after
    finally:
        receiver.stop()
        if restarted is not None:
            stop_server(restarted)
