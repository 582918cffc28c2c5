"""The in-process mock: official clients on their default endpoints, answered without sockets."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client
from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

import smssign.testing
from smssign.client import PENDING, LegacySignClient
from smssign.core import errors
from smssign.testing import MockError, SmsMock, is_provider_host, mock
from tests.samples import PNG_B64, png

STYLES = {
    "tc3-post": ("POST", "TC3-HMAC-SHA256"),
    "tc3-get": ("GET", "TC3-HMAC-SHA256"),
    "v1-post-sha256": ("POST", "HmacSHA256"),
    "v1-get-sha1": ("GET", "HmacSHA1"),
}


def tencent(
    account: dict[str, Any], style: str = "tc3-post", endpoint: str | None = None
) -> sms_client.SmsClient:
    """An SDK client on its default endpoint (https://sms.tencentcloudapi.com)."""
    method, sign_method = STYLES[style]
    http_profile = HttpProfile(reqMethod=method)
    if endpoint:
        http_profile.endpoint = endpoint
    cred = credential.Credential(account["tencent"]["secret_id"], account["tencent"]["secret_key"])
    profile = ClientProfile(httpProfile=http_profile, signMethod=sign_method)
    return sms_client.SmsClient(cred, "ap-guangzhou", profile)


def add(client: sms_client.SmsClient, name: str) -> int:
    request = models.AddSmsSignRequest()
    request.from_json_string(
        json.dumps(
            {
                "SignName": name,
                "SignType": 0,
                "DocumentType": 1,
                "International": 0,
                "SignPurpose": 0,
                "ProofImage": PNG_B64,
            }
        )
    )
    sign_id: int = client.AddSmsSign(request).AddSignStatus.SignId
    return sign_id


def describe(client: sms_client.SmsClient, sign_id: int) -> Any:
    request = models.DescribeSmsSignListRequest()
    request.from_json_string(json.dumps({"SignIdSet": [sign_id], "International": 0}))
    found = client.DescribeSmsSignList(request).DescribeSignListStatusSet
    return found[0] if found else None


def error_code(call: Any) -> str:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    return str(caught.value.get_code())


@pytest.mark.parametrize("style", list(STYLES))
def test_tencent_sdk_on_its_default_endpoint_in_every_style(style: str) -> None:
    with mock() as sms:
        account = sms.create_account("acme")
        client = tencent(account, style)
        sign_id = add(client, "腾讯云")
        assert describe(client, sign_id).StatusCode == 1
        sms.reject(sign_id, "证明材料不清晰")
        entry = describe(client, sign_id)
        assert (entry.StatusCode, entry.ReviewReply) == (-1, "证明材料不清晰")


def test_regional_endpoints_are_answered_too() -> None:
    with mock() as sms:
        account = sms.create_account("acme")
        regional = tencent(account, endpoint="sms.ap-guangzhou.tencentcloudapi.com")
        sign_id = add(regional, "地域签名")
        sms.file(sign_id)
        assert describe(tencent(account), sign_id).StatusCode == 2


def test_no_socket_and_no_dns_for_provider_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the mock opened a connection or asked DNS")

    # A proxy in the environment must not be used either.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with mock() as sms:
        account = sms.create_account("acme")
        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        sign_id = add(tencent(account), "无网络")
        assert describe(tencent(account), sign_id).SignName == "无网络"
        yunpian = YunpianClient(account["yunpian"]["apikey"])
        assert yunpian.sign().get().code() == 0
        with LegacySignClient(account["legacy"]["sdkappid"], account["legacy"]["appkey"]) as c:
            assert c.get_sign_page().total == 1


def test_yunpian_sdk_and_legacy_client_on_their_default_hosts() -> None:
    with mock() as sms:
        account = sms.create_account("acme")
        yunpian = YunpianClient(account["yunpian"]["apikey"])
        added = yunpian.sign().add({YC.SIGN: "云片科技"})
        assert added.code() == 0, added.detail()
        assert added.data()["apply_state"] == "CHECKING"
        with LegacySignClient(account["legacy"]["sdkappid"], account["legacy"]["appkey"]) as c:
            legacy = c.add_sign("腾讯科技", pic=png())
            assert legacy.status == PENDING
            sms.approve(legacy.id)
            [record] = c.get_sign(legacy.id)
            assert record.status == 0
        # One store behind every dialect: Yunpian lists what the legacy API added.
        listed = [s["sign"] for s in yunpian.sign().get().data()]
        assert listed == ["【云片科技】", "【腾讯科技】"]


def test_requests_and_httpx_sync_and_async_get_real_responses() -> None:
    with mock() as sms:
        apikey = sms.create_account("acme")["yunpian"]["apikey"]
        url = "https://sms.yunpian.com/v2/sign/get.json"

        refused = requests.post(url, data={"apikey": "0" * 32}, timeout=5)
        assert refused.status_code == 400 and refused.reason == "Bad Request"
        assert refused.json()["code"] == -1
        assert refused.headers["content-type"].startswith("application/json")
        assert refused.url == url

        streamed = requests.post(url, data={"apikey": apikey}, stream=True, timeout=5)
        assert json.loads(b"".join(streamed.iter_content(7)))["code"] == 0

        with httpx.Client() as client:
            reply = client.post("https://us.yunpian.com/v2/sign/get.json", data={"apikey": apikey})
        assert reply.status_code == 200 and reply.json()["total"] == 0

        async def from_asyncio() -> Any:
            async with httpx.AsyncClient() as client:
                answers = await asyncio.gather(
                    *[client.post(url, data={"apikey": apikey}) for _ in range(5)]
                )
            return [a.json()["code"] for a in answers]

        assert asyncio.run(from_asyncio()) == [0] * 5


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"not smssign"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other_server() -> Iterator[str]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_other_hosts_are_left_alone(other_server: str) -> None:
    with mock():
        assert requests.get(other_server, timeout=5).text == "not smssign"
        assert httpx.get(other_server).text == "not smssign"


@pytest.mark.parametrize(
    ("host", "answered"),
    [
        ("sms.tencentcloudapi.com", True),
        ("SMS.TencentCloudAPI.com.", True),
        ("sms.ap-guangzhou.tencentcloudapi.com", True),
        ("yun.tim.qq.com", True),
        ("sms.yunpian.com", True),
        ("us.yunpian.com", True),
        ("cvm.tencentcloudapi.com", False),
        ("sms.tencentcloudapi.com.example.com", False),
        ("evil-sms.tencentcloudapi.com", False),
        ("voice.yunpian.com", False),
        ("127.0.0.1", False),
        ("", False),
    ],
)
def test_which_hosts_are_answered(host: str, answered: bool) -> None:
    assert is_provider_host(host) is answered


def test_state_is_gone_after_exit_and_patches_are_removed() -> None:
    before = (requests.Session.get_adapter, httpx.Client._transport_for_url)
    with mock() as sms:
        account = sms.create_account("acme")
        assert add(tencent(account), "第一个") == 1
        assert requests.Session.get_adapter is not before[0]
    assert (requests.Session.get_adapter, httpx.Client._transport_for_url) == before
    with mock() as sms:
        assert error_code(lambda: add(tencent(account), "第二个")) == (
            "AuthFailure.SecretIdNotFound"
        )
        fresh = sms.create_account("acme")
        assert fresh["id"] == 1
        assert add(tencent(fresh), "第二个") == 1


def test_a_nested_mock_joins_the_outer_one() -> None:
    with mock() as outer:
        account = outer.create_account("acme")
        with mock() as inner:
            sign_id = add(tencent(account), "嵌套")
            inner.approve(sign_id)
        # The inner exit ended nothing: same service, same state.
        assert describe(tencent(account), sign_id).StatusCode == 0
        with mock(auto_review="off", rate_limit=False):
            assert [a["name"] for a in outer.state()["accounts"]] == ["acme"]
        with pytest.raises(MockError, match="nested"), mock(auto_review="approve"):
            pass
        assert describe(tencent(account), sign_id).StatusCode == 0


def test_decorators_sync_async_and_current() -> None:
    sms = mock(auto_review="approve")
    seen: dict[str, Any] = {}

    @sms
    def sync_test() -> None:
        account = sms.create_account("acme")
        sign_id = add(tencent(account), "装饰器")
        seen["sync"] = describe(tencent(account), sign_id).StatusCode

    @mock
    async def async_test(name: str) -> None:
        apikey = smssign.testing.current().create_account(name)["yunpian"]["apikey"]
        async with httpx.AsyncClient() as client:
            reply = await client.post(
                "https://sms.yunpian.com/v2/sign/get.json", data={"apikey": apikey}
            )
        seen["async"] = reply.json()["code"]

    sync_test()
    asyncio.run(async_test("acme"))
    assert seen == {"sync": 0, "async": 0}
    assert sync_test.__name__ == "sync_test"


def test_outside_an_active_mock_the_operator_side_refuses() -> None:
    sms = mock()
    with pytest.raises(MockError):
        sms.create_account("acme")
    with pytest.raises(MockError):
        smssign.testing.current()
    with pytest.raises(ValueError, match="auto_review"):
        mock(auto_review="maybe")


def test_auto_review_decides_by_the_next_call() -> None:
    with mock(auto_review="approve") as sms:
        client = tencent(sms.create_account("acme"))
        assert describe(client, add(client, "自动通过")).StatusCode == 0
    with mock(auto_review="reject") as sms:
        client = tencent(sms.create_account("acme"))
        entry = describe(client, add(client, "自动拒绝"))
        assert (entry.StatusCode, entry.ReviewReply) == (-1, "rejected by auto-review")


def test_rate_limits_only_when_asked() -> None:
    with mock() as sms:
        client = tencent(sms.create_account("acme"))
        assert [add(client, f"快速{i}") for i in range(3)] == [1, 2, 3]
    with mock(rate_limit=True) as sms:
        client = tencent(sms.create_account("acme"))
        add(client, "限频一")
        assert error_code(lambda: add(client, "限频二")) == "RequestLimitExceeded"


def test_calls_from_many_threads_at_once() -> None:
    with mock() as sms:
        account = sms.create_account("acme")
        sign_id = add(tencent(account), "并发")
        results: list[int] = []

        def work() -> None:
            client = tencent(account)
            results.extend(describe(client, sign_id).SignId for _ in range(5))

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [sign_id] * 30


def test_writes_from_many_threads_are_all_kept() -> None:
    with mock() as sms:
        account = sms.create_account("acme")
        ids: list[int] = []

        def work(n: int) -> None:
            client = tencent(account)
            ids.extend(add(client, f"线程{n}{k}") for k in range(3))

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(ids) == list(range(1, 13))
        client = tencent(account)
        assert [describe(client, sign_id).SignId for sign_id in sorted(ids)] == sorted(ids)


def test_a_synchronous_client_inside_a_running_event_loop() -> None:
    """An `async def` test calling a blocking SDK: its own loop goes on afterwards."""
    with mock() as sms:
        account = sms.create_account("acme")

        async def scenario() -> list[str]:
            order: list[str] = []
            later = asyncio.get_running_loop().call_soon(order.append, "callback")
            sign_id = add(tencent(account), "异步里")
            order.append(f"added {sign_id}")
            await asyncio.sleep(0)
            assert asyncio.get_running_loop() is loop
            later.cancel()
            return order

        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(scenario()) == ["added 1", "callback"]
        finally:
            loop.close()


def test_an_answer_slower_than_the_read_timeout_is_a_read_timeout() -> None:
    import sqlite3

    from smssign.testing import inprocess

    with mock() as sms:
        apikey = sms.create_account("acme")["yunpian"]["apikey"]
        backend = inprocess._backend()
        assert backend is not None
        # Another process's write lock: the mock's next write waits for it.
        holder = sqlite3.connect(f"{backend._directory.name}/smssign.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        url = "https://sms.yunpian.com/v2/sign/add.json"
        form = {"apikey": apikey, "sign": "超时", "notify": "true"}
        try:
            with pytest.raises(requests.exceptions.ReadTimeout):
                requests.post(url, data=form, timeout=(1, 0.3))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        # The mock answers on: the next call gets its reply.
        reply = requests.post(
            "https://sms.yunpian.com/v2/sign/get.json", data={"apikey": apikey}, timeout=10
        )
        assert reply.status_code == 200


def test_account_policy_and_operator_errors() -> None:
    with mock() as sms:
        account = sms.create_account("acme")
        client = tencent(account)
        sms.set_account(account["id"], ip_allow=["10.0.0.0/8"])
        assert error_code(lambda: add(client, "白名单")) == (
            "UnauthorizedOperation.RequestIpNotInWhitelist"
        )
        sms.set_account(account["id"], ip_allow=["127.0.0.1/32"])
        sign_id = add(client, "白名单")
        sms.set_account(account["id"], arrears=True)
        assert error_code(lambda: describe(client, sign_id)) == (
            "UnauthorizedOperation.ServiceSuspendDueToArrears"
        )
        individual = sms.create_account("solo", individual=True)
        assert individual["certification"] == "individual"
        assert error_code(lambda: add(tencent(individual), "个人")) == (
            "FailedOperation.NotEnterpriseCertification"
        )
        with pytest.raises(errors.NotFound):
            sms.approve(999)
        with pytest.raises(errors.InvalidSubmission):
            sms.reject(sign_id, " ")
        sms.approve(sign_id)
        with pytest.raises(errors.InvalidTransition):
            sms.file(sign_id)


def test_reset_and_state_inside_a_mock() -> None:
    with mock() as sms:
        account = sms.create_account("acme")
        add(tencent(account), "重置前")
        state = sms.state()
        assert [s["name"] for s in state["signatures"]] == ["重置前"]
        assert [e["type"] for e in state["events"]] == ["signature.submitted"]
        assert state["accounts"][0]["credentials"]["tencent"] == {
            "secret_id": account["tencent"]["secret_id"]
        }
        sms.reset()
        assert sms.state() == {
            "accounts": [],
            "qualifications": [],
            "signatures": [],
            "templates": [],
            "applications": [],
            "reviews": [],
            "events": [],
        }
        assert error_code(lambda: add(tencent(account), "重置后")) == (
            "AuthFailure.SecretIdNotFound"
        )


def test_a_seeded_mock_starts_and_resets_to_its_seed() -> None:
    seed = {
        "accounts": [
            {
                "name": "acme",
                "tencent": {"secret_id": "AKIDacme", "secret_key": "acme-secret"},
                "signatures": [{"name": "已通过", "status": "approved"}, {"name": "待审"}],
            }
        ]
    }
    fixed = {"tencent": {"secret_id": "AKIDacme", "secret_key": "acme-secret"}}
    with mock(seed=seed) as sms:
        client = tencent(fixed)
        assert describe(client, 1).StatusCode == 0
        add(client, "新加的")
        sms.reset()
        assert [s["name"] for s in sms.state()["signatures"]] == ["已通过", "待审"]
        assert describe(client, 2).StatusCode == 1


def test_sms_mock_is_a_public_type() -> None:
    assert isinstance(mock(), SmsMock)
