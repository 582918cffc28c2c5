"""Raw legacy requests shaped like the captured ones: `json.dumps` defaults, no Content-Type.

`qcloudsms_py` builds the query by string formatting and the body with `json.dumps`
(", " and ": " separators, \\uXXXX escapes); `qcloudsms` 0.21 sends no Content-Type.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import Server


def sig(appkey: str, rand: str, now: int, numbers: str = "") -> str:
    text = f"appkey={appkey}&random={rand}&time={now}{numbers}"
    return hashlib.sha256(text.encode()).hexdigest()


def numbers_part(action: str, fields: dict[str, Any]) -> str:
    """What the sending actions sign after `time` (spec §2), as qcloudsms_py builds it:
    each mobile as `str()` of what the caller passed, joined by commas."""
    tel = fields.get("tel")
    if action == "sendisms":
        return f"&tel={tel}"
    if action == "sendsms" and isinstance(tel, dict):
        return f"&mobile={tel.get('mobile')}"
    if action == "sendmultisms2" and isinstance(tel, list) and tel:
        return "&mobile=" + ",".join(
            str(item.get("mobile")) if isinstance(item, dict) else "" for item in tel
        )
    return ""


@dataclass
class Reply:
    status: int
    content_type: str
    body: dict[str, Any]

    @property
    def result(self) -> int:
        return int(self.body["result"])


def reply(response: httpx.Response) -> Reply:
    body = response.json()
    assert isinstance(body, dict)
    return Reply(response.status_code, response.headers.get("content-type", ""), body)


class Legacy:
    """Signed requests for one account, as an old integration would send them."""

    def __init__(self, server: Server, account: dict[str, Any], prefix: str = "v5") -> None:
        self.server = server
        self.sdkappid = account["legacy"]["sdkappid"]
        self.appkey = account["legacy"]["appkey"]
        self.prefix = prefix

    def body(
        self, fields: dict[str, Any], *, now: int | None = None, rand: str = "", numbers: str = ""
    ) -> bytes:
        now = int(time.time()) if now is None else now
        signed = {"sig": sig(self.appkey, rand, now, numbers), "time": now, **fields}
        return json.dumps(signed).encode()

    def post(
        self,
        action: str,
        fields: dict[str, Any],
        *,
        now: int | None = None,
        rand: str | None = None,
        headers: dict[str, str] | None = None,
        numbers: str | None = None,
    ) -> Reply:
        """`numbers` is the signed numbers part; by default the one the fields call for."""
        rand = rand or str(random.randint(100000, 999999))
        part = numbers_part(action, fields) if numbers is None else numbers
        return self.raw(
            f"/{self.prefix}/tlssmssvr/{action}?sdkappid={self.sdkappid}&random={rand}",
            self.body(fields, now=now, rand=rand, numbers=part),
            headers=headers,
        )

    def raw(self, target: str, content: bytes, *, headers: dict[str, str] | None = None) -> Reply:
        # httpx adds no Content-Type for raw bytes, which is what we want to test.
        return reply(httpx.post(self.server.url + target, content=content, headers=headers))

    def call(self, action: str, **fields: Any) -> dict[str, Any]:
        """A request that must succeed: the reply body."""
        answer = self.post(action, fields)
        assert answer.result == 0, answer.body
        return answer.body
