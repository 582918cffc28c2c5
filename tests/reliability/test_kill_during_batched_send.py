"""kill -9 during 300 concurrent SendSms calls of 5 numbers: no request half stored.

A request's messages and their events are written with one statement each (and, on
SQLite, their ids worked out from the last one inserted): every SerialNo the node
acknowledged must be a stored message of that number afterwards, with its
`message.accepted` event, and no request may be half stored.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from smssign.core.model import Draft, Image, Status, TemplateType
from smssign.core.templates import TemplateDraft
from smssign.store import tables as t
from tests.conftest import Server, stop_server
from tests.reliability.cluster import call, client, figure, fresh_postgres, rows, start_node
from tests.samples import png

CALLS = 300
NUMBERS = 5
KILL_AFTER = 100


def ready(node: Server, account_id: int) -> int:
    """An approved signature 可靠 and an approved template; the template's id."""

    async def setup(runtime: Any) -> int:
        account = await runtime.accounts.get(account_id)
        image = Image(png(), "PNG", 8, 8)
        draft = Draft(name="可靠", sign_type=0, document_type=1, proof_images=(image,))
        sign = await runtime.signatures.add(account, draft, dialect="setup")
        await runtime.signatures.review(sign.signature.id, Status.APPROVED)
        made = await runtime.templates.add(
            account,
            TemplateDraft("码", "验证码{1}", TemplateType.VERIFICATION, False),
            dialect="setup",
        )
        await runtime.templates.review(made.template.id, Status.APPROVED)
        return int(made.template.id)

    return node.run(setup)


async def send_until_killed(node: Server, account: dict[str, Any], template: int) -> list[Any]:
    acknowledged = 0
    killed = asyncio.Event()

    async def one(http: Any, n: int) -> Any:
        nonlocal acknowledged
        payload = {
            "PhoneNumberSet": [f"+86138{n:04d}{k:04d}" for k in range(NUMBERS)],
            "SmsSdkAppId": str(account["legacy"]["sdkappid"]),
            "SignName": "可靠",
            "TemplateId": str(template),
            "TemplateParamSet": ["1234"],
        }
        reply = await call(http, node.url, account, "SendSms", payload)
        if reply.ok:
            acknowledged += 1
            if acknowledged >= KILL_AFTER and not killed.is_set():
                killed.set()
                os.kill(node.process.pid, signal.SIGKILL)
        return reply

    async with client(connections=100) as http:
        return await asyncio.gather(*(one(http, n) for n in range(CALLS)))


@pytest.mark.slow
@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_batched_messages_and_events_survive_kill_9_whole(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_postgres() if database == "postgresql" else f"sqlite:///{tmp_path / 'send.db'}"
    node = start_node(tmp_path, "node", url, "--no-rate-limit", "--delivery-delay", "3600")
    account = node.create_account()
    template = ready(node, account["id"])

    replies = asyncio.run(send_until_killed(node, account, template))
    assert node.process.wait(timeout=10) == -signal.SIGKILL
    acked = {
        entry["SerialNo"]: entry["PhoneNumber"]
        for r in replies
        if r.ok and r.response is not None
        for entry in r.response["SendStatusSet"]
    }
    errors = [r for r in replies if r.status is not None and not r.ok]
    assert len(acked) >= KILL_AFTER * NUMBERS
    assert errors == [], [r.response for r in errors[:3]]  # only success or a dead socket

    restarted = start_node(tmp_path, "restarted", url, "--no-rate-limit")
    try:
        stored = rows(
            url, select(t.messages.c.id, t.messages.c.provider_message_id, t.messages.c.mobile)
        )
        by_serial = {m["provider_message_id"]: m for m in stored}
        missing = [s for s, mobile in acked.items() if by_serial.get(s, {}).get("mobile") != mobile]
        accepted = Counter(
            e["subject_id"]
            for e in rows(url, select(t.events.c.subject_id, t.events.c.type))
            if e["type"] == "message.accepted"
        )
        without_event = [m for m in stored if accepted[m["id"]] != 1]
        # A request is stored whole or not at all: its numbers share their 4 middle digits.
        per_request = Counter(m["mobile"][6:10] for m in stored)
        partial = [n for n, count in per_request.items() if count != NUMBERS]
        figure(
            capsys,
            f"kill -9 ({database}): {len(acked)} of {CALLS * NUMBERS} messages acknowledged "
            f"before the kill, {len(stored)} stored; missing after restart: {len(missing)}; "
            f"without their event: {len(without_event)}; requests half stored: {len(partial)}",
        )
        assert missing == [] and without_event == [] and partial == []
    finally:
        stop_server(restarted)
