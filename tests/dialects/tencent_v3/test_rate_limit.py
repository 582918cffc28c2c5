"""Per-account, per-action rate limits with the documented defaults (1/s writes, 20/s reads)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Server, start_server, stop_server
from tests.dialects.tencent_v3.signing import error_code, tc3_headers
from tests.samples import PNG_B64


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("limited"))
    yield server
    stop_server(server)


def codes(
    server: Server, account: dict[str, Any], action: str, payload: Any, n: int
) -> list[str | None]:
    """`n` calls in a row on one keep-alive connection, so they fit in one second."""
    key = account["tencent"]
    raw = json.dumps(payload).encode()
    with httpx.Client(base_url=server.url) as client:
        return [
            error_code(
                client.post(
                    "/",
                    content=raw,
                    headers=tc3_headers(
                        server.url, key["secret_id"], key["secret_key"], action, raw
                    ),
                )
            )
            for _ in range(n)
        ]


def test_writes_are_limited_to_one_per_second(limited: Server) -> None:
    account = limited.create_account()
    results = codes(limited, account, "DeleteSmsSign", {"SignId": 1}, 3)
    assert results[0] == "FailedOperation.SignIdNotExist"
    assert results[1:] == ["RequestLimitExceeded", "RequestLimitExceeded"]
    # Another action of the same account has its own budget, and so has another account.
    add = {
        "SignName": "限流测试",
        "SignType": 0,
        "DocumentType": 1,
        "International": 0,
        "SignPurpose": 0,
        "ProofImage": PNG_B64,
    }
    assert codes(limited, account, "AddSmsSign", add, 1) == [None]
    assert codes(limited, limited.create_account(), "DeleteSmsSign", {"SignId": 1}, 1) == [
        "FailedOperation.SignIdNotExist"
    ]


def test_describe_allows_twenty_per_second(limited: Server) -> None:
    account = limited.create_account()
    results = codes(limited, account, "DescribeSmsSignList", {"International": 0}, 24)
    assert results.count(None) == 20
    assert "RequestLimitExceeded" in results


def test_template_actions_have_their_documented_limits(limited: Server) -> None:
    """AddSmsTemplate 2/s, DeleteSmsTemplate 1/s, ModifySmsTemplate and
    DescribeSmsTemplateList 20/s (the 2021 page)."""
    account = limited.create_account()
    add = {
        "TemplateName": "限流模板",
        "TemplateContent": "您的验证码是{1}",
        "SmsType": 3,
        "International": 0,
        "Remark": "",
    }
    # No signature applied for yet: each call that passes the limit says so.
    assert codes(limited, account, "AddSmsTemplate", add, 3) == [
        "FailedOperation.MissingSignature",
        "FailedOperation.MissingSignature",
        "RequestLimitExceeded",
    ]
    assert codes(limited, account, "DeleteSmsTemplate", {"TemplateId": 1}, 2) == [
        "FailedOperation.TemplateIdNotExist",
        "RequestLimitExceeded",
    ]
    modified = codes(limited, account, "ModifySmsTemplate", {**add, "TemplateId": 1}, 22)
    assert modified.count("FailedOperation.MissingTemplateToModify") == 20
    assert "RequestLimitExceeded" in modified
    listed = codes(limited, account, "DescribeSmsTemplateList", {"International": 0}, 22)
    assert listed.count(None) == 20
    assert "RequestLimitExceeded" in listed
