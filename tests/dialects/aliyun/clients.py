"""The official Alibaba Cloud clients pointed at a test server: Tea (ACS3 or v2) and the
legacy aliyun-python-sdk-core, with a helper for its CommonRequest."""

from __future__ import annotations

import json
from typing import Any

from alibabacloud_dysmsapi20170525.client import Client as TeaClient
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest

from tests.conftest import Server

VERSION = "2017-05-25"


def keys(account: dict[str, Any]) -> tuple[str, str]:
    return account["aliyun"]["access_key_id"], account["aliyun"]["access_key_secret"]


def tea(server: Server, account: dict[str, Any], *, v2: bool = False) -> TeaClient:
    key, secret = keys(account)
    config = Config(
        access_key_id=key,
        access_key_secret=secret,
        endpoint=f"127.0.0.1:{server.port}",
        protocol="http",
    )
    if v2:
        config.signature_algorithm = "v2"
    return TeaClient(config)


def legacy(server: Server, account: dict[str, Any]) -> AcsClient:
    key, secret = keys(account)
    client = AcsClient(key, secret, "cn-hangzhou")
    client.add_endpoint("cn-hangzhou", "Dysmsapi", f"127.0.0.1:{server.port}")
    return client


def legacy_call(client: AcsClient, request: Any) -> dict[str, Any]:
    request.set_protocol_type("http")
    body = client.do_action_with_exception(request)
    decoded: dict[str, Any] = json.loads(body)
    return decoded


def common(server: Server, client: AcsClient, action: str, **params: Any) -> dict[str, Any]:
    """A new-generation action through the legacy SDK's CommonRequest."""
    request = CommonRequest(domain=f"127.0.0.1:{server.port}", version=VERSION, action_name=action)
    request.set_method("POST")
    request.set_protocol_type("http")
    for name, value in params.items():
        request.add_query_param(name, value)
    body = client.do_action_with_exception(request)
    decoded: dict[str, Any] = json.loads(body)
    return decoded
