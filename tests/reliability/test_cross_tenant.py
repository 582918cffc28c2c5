"""Cross-tenant probes on every action and dialect answer exactly like a missing id.

Account B calls every action of every dialect on account A's signatures (a live one and
a deleted one, by id and, where the dialect selects by name, by name). Each reply must
be byte-for-byte the reply for an id or name that never existed, apart from the request
id; and A's signatures must be exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from smssign.store import tables as t
from tests.conftest import Server, stop_server
from tests.dialects.tencent_legacy.wire import Legacy
from tests.dialects.tencent_v3.signing import tc3_post
from tests.dialects.yunpian.wire import Yunpian
from tests.reliability.cluster import (
    PROOF,
    add_signatures,
    figure,
    fresh_postgres,
    rows,
    start_node,
)

NEVER = 9_000_000_000
"""An id no signature has."""
NEVER_NAME = "从未有过"

NOT_FOUND = (
    "FailedOperation.MissingSignatureToModify",
    "FailedOperation.SignIdNotExist",
    "'DescribeSignListStatusSet': []",
    "sign_id not found",
    "'count': 0",
    "'code': -55",
    "'total': 0",
)
"""How each dialect says "no such signature" (an error, or an empty list)."""

Probe = Callable[[int, str], tuple[int, str, Any]]
"""(sign id, signature name) -> (HTTP status, content type, reply without request id)."""


def tencent(server: Server, account: dict[str, Any], action: str, version: str) -> Probe:
    def payload(sign_id: int) -> dict[str, Any]:
        if action == "DescribeSmsSignList":
            return {"SignIdSet": [sign_id], "International": 0}
        if action == "DeleteSmsSign":
            return {"SignId": sign_id}
        purpose = {"UsedMethod": 1} if version == "2019-07-11" else {"SignPurpose": 0}
        return {
            "SignId": sign_id,
            "SignName": "探测改名",
            "SignType": 0,
            "DocumentType": 1,
            "International": 0,
            "ProofImage": PROOF,
            **purpose,
        }

    def probe(sign_id: int, name: str) -> tuple[int, str, Any]:
        creds = account["tencent"]
        reply = tc3_post(
            server.url,
            creds["secret_id"],
            creds["secret_key"],
            action,
            payload(sign_id),
            version=version,
        )
        body = reply.json()["Response"]
        body.pop("RequestId")
        return reply.status_code, reply.headers["content-type"], body

    return probe


def legacy(server: Server, account: dict[str, Any], action: str) -> Probe:
    def probe(sign_id: int, name: str) -> tuple[int, str, Any]:
        by_action: dict[str, dict[str, Any]] = {
            "mod_sign": {"sign_id": sign_id, "text": "探测改名", "pic": PROOF},
            "del_sign": {"sign_id": sign_id},
            "get_sign": {"sign_id": [sign_id]},
        }
        fields = by_action[action]
        reply = Legacy(server, account).post(action, fields)
        return reply.status, reply.content_type, reply.body

    return probe


def yunpian(server: Server, account: dict[str, Any], action: str, by: str) -> Probe:
    def probe(sign_id: int, name: str) -> tuple[int, str, Any]:
        selector = {"sign_id" if action == "update" else "id": str(sign_id)} if by == "id" else {}
        if by == "name":
            selector = (
                {"old_sign": f"【{name}】"} if action == "update" else {"sign": f"【{name}】"}
            )
        fields = {**selector, **({"sign": "探测改名"} if action == "update" else {})}
        reply = Yunpian(server, account).post(f"{action}.json", fields)
        return reply.status, reply.content_type, reply.body

    return probe


@pytest.mark.slow
def test_foreign_signatures_look_like_missing_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_postgres()
    node = start_node(tmp_path, "node", url, "--no-rate-limit")
    try:
        owner, prober = node.create_account(), node.create_account()
        live, deleted = add_signatures(node, owner["id"], ["业主签名", "已删签名"])

        async def delete(runtime: Any) -> None:
            account = await runtime.accounts.get(owner["id"])
            await runtime.signatures.delete(account, [deleted])

        node.run(delete)
        before = rows(url, select(t.signatures).where(t.signatures.c.account_id == owner["id"]))

        probes: dict[str, Probe] = {}
        for version in ("2019-07-11", "2021-01-11"):
            for action in ("ModifySmsSign", "DeleteSmsSign", "DescribeSmsSignList"):
                probes[f"tencent_v3 {version} {action}"] = tencent(node, prober, action, version)
        for action in ("mod_sign", "del_sign", "get_sign"):
            probes[f"tencent_legacy {action}"] = legacy(node, prober, action)
        for action in ("update", "get"):
            for by in ("id", "name"):
                probes[f"yunpian {action} by {by}"] = yunpian(node, prober, action, by)

        differing = []
        count = 0
        for label, probe in probes.items():
            missing = probe(NEVER, NEVER_NAME)
            for target, sign_id, name in (
                ("live", live, "业主签名"),
                ("deleted", deleted, "已删签名"),
            ):
                count += 1
                answer = probe(sign_id, name)
                if answer != missing:
                    differing.append((label, target, answer, missing))
            # The probe got as far as looking the signature up.
            assert any(marker in repr(missing) for marker in NOT_FOUND), (label, missing)

        after = rows(url, select(t.signatures).where(t.signatures.c.account_id == owner["id"]))
        figure(
            capsys,
            f"cross-tenant: {count} probes on {len(probes)} action variants of 3 dialects; "
            f"answered unlike a missing id: {len(differing)}; owner's signatures changed: "
            f"{sum(1 for b, a in zip(before, after, strict=True) if b != a)}",
        )
        assert differing == []
        assert after == before
    finally:
        stop_server(node)
