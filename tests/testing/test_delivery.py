"""Simulated delivery as a process: `--delivery-delay` holds messages pending, and a
message accepted before a restart is still reported after it (its event written)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from tests.clients.test_tencent_sdk_sending import Sender, prepare
from tests.conftest import start_server, stop_server


def _messages(url: str) -> list[dict[str, Any]]:
    return httpx.get(f"{url}/_smssign/messages").json()["messages"]  # type: ignore[no-any-return]


def test_pending_messages_are_reported_after_a_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--testing", "--no-rate-limit", "--delivery-delay", "3")
    try:
        account = server.create_account()
        template_id = prepare(server, account)
        sender = Sender(server, account, "tc3-post", "2021-01-11")
        assert [e.Code for e in sender.send(template_id, "13800138000")] == ["Ok"]
        (message,) = _messages(server.url)
        assert message["status"] == "pending" and message["reported_at"] is None
    finally:
        stop_server(server)
    again = start_server(tmp_path, "--testing", "--no-rate-limit", "--delivery-delay", "3")
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            (message,) = _messages(again.url)
            if message["status"] != "pending":
                break
            time.sleep(0.2)
        assert message["status"] == "delivered" and message["reported_at"] is not None
        events = httpx.get(f"{again.url}/_smssign/state").json()["events"]
        types = [e["type"] for e in events if e["type"].startswith("message.")]
        assert types == ["message.accepted", "message.delivered"]
    finally:
        stop_server(again)
