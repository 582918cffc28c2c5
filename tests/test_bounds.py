"""One set of limits for every face: the CLI, the admin API and the testing kit refuse the same
over-long reason, bad account name, quota and allow-list with the same message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smssign.core import bounds, errors
from smssign.testing import mock
from tests.backoffice import add_signature, create_operator, operator_token, smssign, tencent
from tests.conftest import Server

LONG_REASON = "x" * (bounds.LONGEST_REASON + 1)
REASON_MESSAGE = f"A reason has at most {bounds.LONGEST_REASON} characters"
NETWORK_MESSAGE = "'nope' is not an IP network (that is, not an IP address or network in CIDR form)"
QUOTA_MESSAGE = f"A quota is a whole number from 0 to {bounds.MOST_QUOTA}"


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    create_operator(server, "bounds")
    token = operator_token(server, "bounds")
    with httpx.Client(
        base_url=f"{server.url}/admin/api", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


def _pending_signature(server: Server, account: dict[str, Any], name: str) -> int:
    return add_signature(tencent(server, account), name)


def test_review_reason_limit_is_the_same_in_cli_and_admin_api(
    server: Server, account: dict[str, Any], api: httpx.Client
) -> None:
    sign_id = _pending_signature(server, account, "边界签名")
    cli = smssign(server, "review", "reject", str(sign_id), "--reason", LONG_REASON, check=False)
    assert cli.returncode == 1 and REASON_MESSAGE in cli.stderr
    reply = api.post(
        f"/signatures/{sign_id}/review", json={"decision": "rejected", "reason": LONG_REASON}
    )
    assert reply.status_code == 422
    assert reply.json()["error"]["message"] == REASON_MESSAGE
    # Refused everywhere, so the signature is still waiting for a person.
    assert api.get(f"/signatures/{sign_id}").json()["signature"]["status"] == "pending"
    # Exactly at the limit is fine, and the applicant reads it whole.
    fits = "y" * bounds.LONGEST_REASON
    done = api.post(f"/signatures/{sign_id}/review", json={"decision": "rejected", "reason": fits})
    assert done.status_code == 200 and done.json()["signature"]["review_reply"] == fits


def test_account_policy_limits_are_the_same_in_cli_and_admin_api(
    server: Server, account: dict[str, Any], api: httpx.Client
) -> None:
    account_id = str(account["id"])
    cli = smssign(server, "accounts", "set", account_id, "--ip-allow", "nope", check=False)
    assert cli.returncode == 1 and NETWORK_MESSAGE in cli.stderr
    reply = api.patch(f"/accounts/{account_id}", json={"ip_allow": ["nope"]})
    assert reply.status_code == 422 and reply.json()["error"]["message"] == NETWORK_MESSAGE

    cli = smssign(server, "accounts", "set", account_id, "--quota", "2000000", check=False)
    assert cli.returncode == 1 and QUOTA_MESSAGE in cli.stderr
    reply = api.patch(f"/accounts/{account_id}", json={"signature_quota": 2_000_000})
    assert reply.status_code == 422 and reply.json()["error"]["message"] == QUOTA_MESSAGE

    unchanged = api.get(f"/accounts/{account_id}").json()["account"]
    assert unchanged["ip_allow"] == [] and unchanged["signature_quota"] == 100


def test_account_name_limit_is_the_same_in_cli_and_admin_api(
    server: Server, api: httpx.Client
) -> None:
    name = "n" * (bounds.LONGEST_ACCOUNT_NAME + 1)
    message = f"An account name has 1 to {bounds.LONGEST_ACCOUNT_NAME} characters"
    cli = smssign(server, "accounts", "create", name, check=False)
    assert cli.returncode == 1 and message in cli.stderr
    reply = api.post("/accounts", json={"name": name})
    assert reply.status_code == 422 and reply.json()["error"]["message"] == message
    names = [a["name"] for a in api.get("/accounts").json()["accounts"]]
    assert name not in names


def test_the_testing_kit_gets_the_same_checks() -> None:
    with mock() as sms:
        with pytest.raises(errors.InvalidSubmission) as raised:
            sms.create_account("n" * (bounds.LONGEST_ACCOUNT_NAME + 1))
        assert raised.value.field == "name"
        created = sms.create_account("kit")
        with pytest.raises(errors.InvalidSubmission) as raised:
            sms.set_account(created["id"], ip_allow=["nope"])
        assert raised.value.reason == NETWORK_MESSAGE
