"""Raw Yunpian requests: form-urlencoded (as the SDK sends) or multipart bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.conftest import Server

MEDIA_TYPE = "application/json;charset=utf-8"
FORM = "application/x-www-form-urlencoded;charset=utf-8"


@dataclass
class Reply:
    status: int
    content_type: str
    body: dict[str, Any]

    @property
    def code(self) -> int:
        return int(self.body["code"])


def reply(response: httpx.Response) -> Reply:
    body = response.json()
    assert isinstance(body, dict)
    return Reply(response.status_code, response.headers.get("content-type", ""), body)


def assert_error(answer: Reply, code: int, status: int = 400) -> None:
    assert answer.status == status, answer.body
    assert answer.content_type == MEDIA_TYPE
    assert answer.body["http_status_code"] == status
    assert answer.body["code"] == code, answer.body
    assert isinstance(answer.body["msg"], str) and answer.body["msg"]
    assert isinstance(answer.body["detail"], str)


class Yunpian:
    def __init__(self, server: Server, account: dict[str, Any]) -> None:
        self.server = server
        self.apikey: str = account["yunpian"]["apikey"]

    def post(
        self,
        action: str,
        fields: dict[str, Any] | list[tuple[str, str]],
        *,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        headers: dict[str, str] | None = None,
        apikey: bool = True,
        under: str = "sign",
    ) -> Reply:
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if apikey:
            pairs.append(("apikey", self.apikey))
        url = f"{self.server.url}/v2/{under}/{action}"
        if files is not None:
            return reply(httpx.post(url, data=dict(pairs), files=files, headers=headers))
        content = urlencode(pairs).encode()  # quote_plus, as requests encodes forms
        return reply(httpx.post(url, content=content, headers=headers or {"Content-Type": FORM}))

    def ok(self, action: str, fields: dict[str, Any] | list[tuple[str, str]], **kw: Any) -> Any:
        answer = self.post(action, fields, **kw)
        assert answer.status == 200, answer.body
        assert answer.content_type == MEDIA_TYPE
        assert answer.body["code"] == 0 and answer.body["msg"] == "OK"
        return answer.body["sign"]
