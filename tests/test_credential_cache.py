"""The server keeps what it found for a key id, and still refuses a rotated key at once.

The lookups are cached in the server process (store/callers.py); these tests change a
credential or an account from another process, the command line or this test, between
two calls of the same client, and the very next call sees the change.
"""

from __future__ import annotations

from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tests.conftest import Server
from tests.test_cross_dialect import cli, legacy, tencent, tencent_call, yunpian

__all__ = ["legacy"]  # the fixture, for test_cross_dialect's helpers


def describe(client: Any) -> list[Any]:
    return list(
        tencent_call(client, "DescribeSmsSignList", International=0).DescribeSignListStatusSet
    )


def test_a_rotated_key_is_refused_on_the_next_request(server: Server) -> None:
    account = cli(server, "accounts", "create", f"cache-rotate-{server.port}")
    old = tencent(server, account["tencent"]["secret_id"], account["tencent"]["secret_key"])
    assert describe(old) == [] and describe(old) == []  # looked up, then answered from memory
    old_apikey = account["yunpian"]["apikey"]
    assert yunpian(server, old_apikey).sign().get().code() == 0

    rotated = cli(server, "accounts", "rotate", str(account["id"]), "--dialect", "tencent")
    with pytest.raises(TencentCloudSDKException) as denied:
        describe(old)
    assert denied.value.code == "AuthFailure.SecretIdNotFound"
    new = tencent(server, rotated["tencent"]["secret_id"], rotated["tencent"]["secret_key"])
    assert describe(new) == []

    cli(server, "accounts", "rotate", str(account["id"]), "--dialect", "yunpian")
    assert yunpian(server, old_apikey).sign().get().code() == -1


def test_an_account_change_reaches_the_cached_caller_at_once(server: Server) -> None:
    account = server.create_account()
    client = tencent(server, account["tencent"]["secret_id"], account["tencent"]["secret_key"])
    assert describe(client) == [] and describe(client) == []
    server.set_account(account["id"], arrears=True)
    with pytest.raises(TencentCloudSDKException) as refused:
        describe(client)
    assert refused.value.code == "UnauthorizedOperation.ServiceSuspendDueToArrears"
    server.set_account(account["id"], arrears=False)
    assert describe(client) == []
