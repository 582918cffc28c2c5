"""The official legacy SDK `qcloudsms_py` pointed at a test server, with its Python ≥ 3.9 fix.

qcloudsms_py 0.1.4 parses every reply with `json.loads(body, encoding="utf-8")`; Python
3.9 removed that keyword, so on today's Pythons every call raises TypeError after the
server has answered (legacy spec §7.1). Nothing a server does avoids it: the SDK's own
`httpclient=` hook is the documented way round, and `FixedJsonClient` is that hook.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import httpx
from qcloudsms_py import (  # type: ignore[import-untyped]
    SmsMobileStatusPuller,
    SmsMultiSender,
    SmsSingleSender,
    SmsStatusPuller,
)
from qcloudsms_py.httpclient import (  # type: ignore[import-untyped]
    HTTPResponse,
    HTTPSimpleClient,
)

from smssign.app.runtime import Runtime
from smssign.core.model import Status, TemplateType
from smssign.core.templates import TemplateDraft
from tests.conftest import Server


class FixedJsonClient(HTTPSimpleClient):  # type: ignore[misc]
    """The SDK's own HTTP client, with a `json()` that works on Python ≥ 3.9."""

    def fetch(self, req: Any) -> HTTPResponse:
        response = super().fetch(req)
        body = response.body
        response.json = lambda: json.loads(body)
        return response


class Sdk:
    """The four SDK classes for one account, each call sent to the test server."""

    def __init__(self, server: Server, account: dict[str, Any]) -> None:
        legacy = account["legacy"]
        client = FixedJsonClient()
        self.server = server
        self.account_id = int(account["id"])
        self.sdkappid = int(legacy["sdkappid"])
        self.appkey = str(legacy["appkey"])
        self.single = SmsSingleSender(self.sdkappid, self.appkey, httpclient=client)
        self.multi = SmsMultiSender(self.sdkappid, self.appkey, httpclient=client)
        self.puller = SmsStatusPuller(self.sdkappid, self.appkey, httpclient=client)
        self.by_mobile = SmsMobileStatusPuller(self.sdkappid, self.appkey, httpclient=client)

    def url(self, action: str) -> str:
        return f"{self.server.url}/v5/tlssmssvr/{action}"


def approved_signature(server: Server, sdk: Sdk, name: str) -> int:
    """A signature applied for through the legacy API and approved by the operator."""
    rand = str(random.randint(100000, 999999))
    reply = httpx.post(
        f"{server.url}/v5/tlssmssvr/add_sign?sdkappid={sdk.sdkappid}&random={rand}",
        content=_signed(sdk, rand, {"text": name}),
    ).json()
    assert reply["result"] == 0, reply
    sign_id = int(reply["data"]["id"])
    server.approve(sign_id)
    return sign_id


def template(
    server: Server,
    account_id: int,
    content: str,
    *,
    kind: TemplateType = TemplateType.VERIFICATION,
    international: bool = False,
    approve: bool = True,
) -> int:
    """A template of the account through the core, approved unless told otherwise."""

    async def make(rt: Runtime) -> int:
        account = await rt.repository.account(account_id)
        assert account is not None
        draft = TemplateDraft(f"模板{time.monotonic_ns()}", content, kind, international)
        change = await rt.templates.add(account, draft, dialect="tencent_legacy")
        if approve:
            await rt.templates.review(change.template.id, Status.APPROVED)
        return change.template.id

    return server.run(make)


def _signed(sdk: Sdk, rand: str, fields: dict[str, Any]) -> bytes:
    from qcloudsms_py.util import calculate_signature  # type: ignore[import-untyped]

    now = int(time.time())
    return json.dumps(
        {"sig": calculate_signature(sdk.appkey, rand, now), "time": now, **fields}
    ).encode()
