"""What the in-process mock costs per call, measured side by side in one run.

    python bench/mock_overhead.py [--calls 300] [--warmup 30] [--starts 10]

Four ways to make the same tencentcloud-sdk-python call (DescribeSmsSignList, TC3-signed
POST, one signature in the answer), timed alternately in rounds so that machine noise
hits them alike:

1. `requests`, no-op adapter: a bare `requests.post` answered by an adapter that returns
   a canned response, the floor of any requests-based mock (what `responses` does).
2. SDK, canned reply: the SDK call with its HTTP answered by such an adapter: the SDK's
   own work (signing, JSON, models), without any server.
3. SDK through `smssign.testing.mock()`: the real smssign app in-process.
4. SDK over loopback HTTP to `smssign serve` running as a separate process.

Then the start-up of a mock (`with mock():`) and of the `smssign_server` fixture's
server (`SmssignServer().start()`, ready to answer). Prints one table; ratios compare
rows of the same run, which is what stays meaningful across machines.

`python -m bench` uses `inprocess()` only: for each of `MOCK_CALLS` (DescribeSmsSignList,
and SendSms to one number with an approved signature and template), the SDK call against
a canned reply and through the mock, alternately, and their ratio (goal ≤ 1.5 ×).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import requests
import requests.adapters
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

import smssign.testing
from smssign.app.demo import sample_png

CANNED_DESCRIBE = json.dumps(
    {
        "Response": {
            "DescribeSignListStatusSet": [
                {
                    "SignId": 1,
                    "International": 0,
                    "StatusCode": 0,
                    "ReviewReply": "",
                    "SignName": "腾讯云",
                    "CreateTime": 1700000000,
                    "QualificationId": 0,
                    "QualificationName": "",
                    "QualificationStatusCode": 0,
                }
            ],
            "RequestId": "00000000-0000-4000-8000-000000000000",
        }
    }
).encode()


CANNED_SEND = json.dumps(
    {
        "Response": {
            "SendStatusSet": [
                {
                    "SerialNo": "2645:147223485717299911611310100",
                    "PhoneNumber": "+8613800138000",
                    "Fee": 1,
                    "SessionContext": "",
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN",
                }
            ],
            "RequestId": "00000000-0000-4000-8000-000000000000",
        }
    }
).encode()


class CannedAdapter(requests.adapters.BaseAdapter):
    """Answers every request with the same bytes: no network, no parsing of the request."""

    def __init__(self, body: bytes = CANNED_DESCRIBE) -> None:
        super().__init__()
        self.body = body

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response._content = self.body
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def sdk_client(
    secret_id: str, secret_key: str, endpoint: str | None = None, protocol: str = "http"
) -> Any:
    http = HttpProfile(protocol=protocol, endpoint=endpoint) if endpoint else HttpProfile()
    profile = ClientProfile(httpProfile=http)
    return sms_client.SmsClient(
        credential.Credential(secret_id, secret_key), "ap-guangzhou", profile
    )


def describe_call(client: Any, sign_id: int) -> Callable[[], None]:
    request = models.DescribeSmsSignListRequest()
    request.from_json_string(json.dumps({"SignIdSet": [sign_id], "International": 0}))

    def call() -> None:
        answer = client.DescribeSmsSignList(request)
        assert answer.DescribeSignListStatusSet[0].SignId == sign_id

    return call


def add_signature(client: Any) -> int:
    import base64

    request = models.AddSmsSignRequest()
    request.from_json_string(
        json.dumps(
            {
                "SignName": "腾讯云",
                "SignType": 0,
                "DocumentType": 1,
                "International": 0,
                "SignPurpose": 0,
                "ProofImage": base64.b64encode(sample_png()).decode(),
            }
        )
    )
    sign_id: int = client.AddSmsSign(request).AddSignStatus.SignId
    return sign_id


MockCall = Callable[[Any], tuple[Callable[[], None], Callable[[], None]]]
"""Given the mock's handle, the same SDK call twice: (against a canned reply, through the mock)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackServer:
    """`smssign serve --testing` as its own process, on a temporary database."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smssign",
                "serve",
                "--testing",
                "--no-rate-limit",
                "--port",
                str(self.port),
                "--database",
                f"sqlite:///{directory / 'bench.db'}",
                "--data-dir",
                str(directory / "data"),
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("smssign serve did not start")
            time.sleep(0.05)

    def create_account(self) -> dict[str, Any]:
        reply = httpx.post(f"{self.url}/_smssign/accounts", json={"name": "bench"})
        result: dict[str, Any] = reply.json()
        return result

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def timed_rounds(
    contenders: dict[str, Callable[[], None]], calls: int, warmup: int
) -> dict[str, list[float]]:
    """Seconds per call for each contender, interleaved in rounds of 10 calls."""
    for call in contenders.values():
        for _ in range(warmup):
            call()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    done = 0
    while done < calls:
        batch = min(10, calls - done)
        for name, call in contenders.items():
            for _ in range(batch):
                start = time.perf_counter()
                call()
                samples[name].append(time.perf_counter() - start)
        done += batch
    return samples


def startups(starts: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"mock start+stop": [], "server ready": [], "server stop": []}
    for _ in range(starts):
        begin = time.perf_counter()
        with smssign.testing.mock():
            pass
        out["mock start+stop"].append(time.perf_counter() - begin)
        begin = time.perf_counter()
        server = smssign.testing.SmssignServer().start()
        ready = time.perf_counter()
        server.stop()
        out["server ready"].append(ready - begin)
        out["server stop"].append(time.perf_counter() - ready)
    return out


def canned_client(body: bytes) -> Any:
    """The SDK on its default https profile, its session answered by a CannedAdapter: a
    host that the mock leaves alone, so that the mock's own patch is asked and declines."""
    client = sdk_client("AKIDcanned", "canned-secret", "canned.invalid", protocol="https")
    client.request.conn._session.mount("https://", CannedAdapter(body))
    return client


def describe_pair(sms: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    canned = canned_client(CANNED_DESCRIBE)
    account = sms.create_account("bench-describe")["tencent"]
    mocked = sdk_client(account["secret_id"], account["secret_key"])
    return describe_call(canned, 1), describe_call(mocked, add_signature(mocked))


def add_template(client: Any) -> int:
    request = models.AddSmsTemplateRequest()
    request.from_json_string(
        json.dumps(
            {
                "TemplateName": "验证码",
                "TemplateContent": "您的验证码是{1}，5分钟内有效。",
                "SmsType": 0,
                "International": 0,
                "Remark": "bench",
            }
        )
    )
    return int(client.AddSmsTemplate(request).AddTemplateStatus.TemplateId)


def send_call(client: Any, app_id: str, template_id: int) -> Callable[[], None]:
    """SendSms to one number (TC3 POST), approved signature and template."""
    request = models.SendSmsRequest()
    request.from_json_string(
        json.dumps(
            {
                "PhoneNumberSet": ["+8613800138000"],
                "SmsSdkAppId": app_id,
                "TemplateId": str(template_id),
                "SignName": "腾讯云",
                "TemplateParamSet": ["482913"],
            }
        )
    )

    def call() -> None:
        answer = client.SendSms(request)
        assert answer.SendStatusSet[0].Code == "Ok", answer.SendStatusSet[0].Message

    return call


def send_pair(sms: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    canned = canned_client(CANNED_SEND)
    issued = sms.create_account("bench-send")
    account = issued["tencent"]
    mocked = sdk_client(account["secret_id"], account["secret_key"])
    sms.approve(add_signature(mocked))
    template_id = add_template(mocked)
    sms.approve_template(template_id)
    app_id = str(issued["legacy"]["sdkappid"])
    return send_call(canned, app_id, 1), send_call(mocked, app_id, template_id)


MOCK_CALLS: dict[str, MockCall] = {
    "DescribeSmsSignList": describe_pair,
    "SendSms": send_pair,
}
"""Each a pair built alike: the canned side on the SDK's default https profile, the
mocked side on the SDK's default endpoint, so that the two differ only in who answers."""


def inprocess(calls: int, warmup: int) -> list[dict[str, Any]]:
    """For each of MOCK_CALLS: median µs per call against a canned reply and through
    `smssign.testing.mock()`, timed alternately in one process, and their ratio."""
    rows = []
    with smssign.testing.mock() as sms:
        for name, pair in MOCK_CALLS.items():
            canned, mocked = pair(sms)
            samples = timed_rounds({"canned": canned, "mock": mocked}, calls, warmup)
            canned_s = statistics.median(samples["canned"])
            mock_s = statistics.median(samples["mock"])
            rows.append(
                {
                    "call": name,
                    "calls": calls,
                    "canned_us": round(canned_s * 1e6, 1),
                    "mock_us": round(mock_s * 1e6, 1),
                    "ratio": round(mock_s / canned_s, 3),
                }
            )
    return rows


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="timed calls per contender")
    parser.add_argument("--warmup", type=int, default=30, help="untimed calls first")
    parser.add_argument("--starts", type=int, default=10, help="mock and server start-ups")
    args = parser.parse_args(argv)

    canned_session = requests.Session()
    canned_session.mount("http://", CannedAdapter())
    canned_session.mount("https://", CannedAdapter())

    def bare_requests() -> None:
        canned_session.post("https://canned.invalid/", data=b"{}")

    def canned_sdk_factory() -> Callable[[], None]:
        return describe_call(canned_client(CANNED_DESCRIBE), 1)

    with tempfile.TemporaryDirectory(prefix="smssign-bench-") as tmp:
        loopback = LoopbackServer(Path(tmp))
        try:
            account = loopback.create_account()["tencent"]
            over_http = sdk_client(
                account["secret_id"], account["secret_key"], f"127.0.0.1:{loopback.port}"
            )
            http_call = describe_call(over_http, add_signature(over_http))
            with smssign.testing.mock() as sms:
                mocked_account = sms.create_account("bench")["tencent"]
                mocked = sdk_client(mocked_account["secret_id"], mocked_account["secret_key"])
                mock_call = describe_call(mocked, add_signature(mocked))
                samples = timed_rounds(
                    {
                        "requests, no-op adapter": bare_requests,
                        "SDK, canned reply": canned_sdk_factory(),
                        "SDK through mock()": mock_call,
                        "SDK over loopback HTTP": http_call,
                    },
                    args.calls,
                    args.warmup,
                )
        finally:
            loopback.stop()

    starts = startups(args.starts)

    median = {name: statistics.median(values) for name, values in samples.items()}
    loop = median["SDK over loopback HTTP"]
    sdk = median["SDK, canned reply"]
    print(f"per call, {args.calls} calls each (DescribeSmsSignList, TC3 POST)")
    print(f"{'':28}{'median µs':>11}{'p95 µs':>10}{'vs loopback':>13}{'over SDK µs':>13}")
    for name, values in samples.items():
        print(
            f"{name:28}{median[name] * 1e6:>11.0f}{p95(values) * 1e6:>10.0f}"
            f"{median[name] / loop:>12.2f}x{(median[name] - sdk) * 1e6:>13.0f}"
        )
    print()
    print(f"start-up, {args.starts} times each")
    print(f"{'':28}{'median ms':>11}{'max ms':>10}")
    for name, values in starts.items():
        print(f"{name:28}{statistics.median(values) * 1e3:>11.1f}{max(values) * 1e3:>10.1f}")


if __name__ == "__main__":
    main()
