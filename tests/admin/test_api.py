"""The admin API: bearer tokens from the CLI, reviews, accounts, webhooks, the OpenAPI document."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)

from smssign.admin.routes import ROUTES
from tests.backoffice import add_signature, create_operator, describe, operator_token, tencent
from tests.conftest import Server
from tests.samples import PNG_B64, png


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    create_operator(server, "robot")
    return operator_token(server, "robot")


@pytest.fixture
def api(server: Server, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{server.url}/admin/api", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


def test_token_is_the_last_line_and_authenticates(api: httpx.Client) -> None:
    assert api.get("/me").json()["name"] == "robot"


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer smssign_" + "0" * 64, "Basic cm9ib3Q6eA==", "Bearer x y"]
)
def test_requests_without_a_valid_token_are_401(server: Server, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    reply = httpx.get(f"{server.url}/admin/api/queue", headers=headers)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Bearer")
    assert reply.json()["error"]["code"] == "unauthorized"


def test_openapi_describes_every_route(server: Server) -> None:
    document = httpx.get(f"{server.url}/admin/api/openapi.json").json()
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = {(path, method) for path, _, methods in ROUTES for method in methods}
    assert documented == served
    for operations in document["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                for media in response.get("content", {}).values():
                    ref = media.get("schema", {}).get("$ref")
                    if ref:
                        assert ref.split("/")[-1] in document["components"]["schemas"]


def test_review_through_the_api(server: Server, api: httpx.Client, account: dict[str, Any]) -> None:
    client = tencent(server, account)
    first = add_signature(client, "接口通过")
    second = add_signature(client, "接口驳回")
    queued = [s["id"] for s in api.get("/queue").json()["signatures"]]
    assert queued.index(first) < queued.index(second)

    approved = api.post(f"/signatures/{first}/review", json={"decision": "approved"})
    assert approved.status_code == 200
    assert approved.json()["signature"]["status"] == "approved"
    assert describe(client, first)["StatusCode"] == 0

    no_reason = api.post(f"/signatures/{second}/review", json={"decision": "rejected"})
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["field"] == "reason"
    assert describe(client, second)["StatusCode"] == 1

    rejected = api.post(
        f"/signatures/{second}/review", json={"decision": "rejected", "reason": "资质不全"}
    )
    assert rejected.status_code == 200
    assert describe(client, second)["ReviewReply"] == "资质不全"
    twice = api.post(f"/signatures/{second}/review", json={"decision": "approved"})
    assert twice.status_code == 409

    detail = api.get(f"/signatures/{second}").json()
    kinds = [entry["kind"] for entry in detail["timeline"]]
    assert kinds[0] == "application"
    review = next(e["review"] for e in detail["timeline"] if e["kind"] == "review")
    assert review == {**review, "decision": "rejected", "reason": "资质不全", "reviewer": "robot"}


def test_filing_then_approval(server: Server, api: httpx.Client, account: dict[str, Any]) -> None:
    client = tencent(server, account)
    sign_id = add_signature(client, "报备签名")
    assert api.post(f"/signatures/{sign_id}/review", json={"decision": "filing"}).status_code == 200
    assert describe(client, sign_id)["StatusCode"] == 2
    assert (
        api.post(f"/signatures/{sign_id}/review", json={"decision": "approved"}).status_code == 200
    )
    assert describe(client, sign_id)["StatusCode"] == 0


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "invalid_json",
        ),
        ({"content": b"[1]", "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
        ({"data": {"decision": "approved"}}, 415, "unsupported_media_type"),
        ({"json": {"decision": "maybe"}}, 422, "invalid"),
        ({"json": {"decision": 1}}, 422, "invalid"),
        ({"json": {"decision": "approved", "color": "red"}}, 422, "invalid"),
        ({"json": {"decision": "rejected", "reason": "x" * 501}}, 422, "invalid"),
        ({"json": {"decision": "rejected", "reason": "a\x00b"}}, 422, "invalid"),
    ],
)
def test_bad_review_requests(
    server: Server,
    api: httpx.Client,
    account: dict[str, Any],
    kwargs: dict[str, Any],
    status: int,
    code: str,
) -> None:
    sign_id = add_signature(tencent(server, account), f"坏请求{account['id']}")
    reply = api.post(f"/signatures/{sign_id}/review", **kwargs)
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code
    assert describe(tencent(server, account), sign_id)["StatusCode"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/signatures/0",
        "/signatures/123456789",
        "/signatures/99999999999999999999999/review",
        "/deliveries/5555555",
        "/accounts/77777777",
        "/accounts/1/credentials/fax/rotate",
        "/images/xyz",
    ],
)
def test_unknown_objects_are_404(api: httpx.Client, path: str) -> None:
    reply = (
        api.post(path, json={"decision": "approved"})
        if "/rotate" in path or "review" in path
        else api.get(path)
    )
    assert reply.status_code == 404, reply.text
    assert reply.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "query", ["status=sleeping", "limit=0", "limit=100000", "offset=-1", "account_id=abc"]
)
def test_bad_queries_are_400(api: httpx.Client, query: str) -> None:
    reply = api.get(f"/signatures?{query}")
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_query"


def test_signature_list_filters(server: Server, api: httpx.Client, account: dict[str, Any]) -> None:
    sign_id = add_signature(tencent(server, account), "过滤签名")
    found = api.get(
        "/signatures", params={"account_id": account["id"], "status": "pending,filing", "q": "过滤"}
    ).json()
    assert [s["id"] for s in found["signatures"]] == [sign_id]
    assert found["total"] == 1
    stats = api.get("/stats").json()
    assert stats["signatures"]["pending"] >= 1
    assert set(stats["deliveries"]) == {"pending", "delivered", "failed", "cancelled"}


def test_proof_images_come_back_byte_for_byte(
    server: Server, api: httpx.Client, account: dict[str, Any]
) -> None:
    sign_id = add_signature(tencent(server, account), "图片签名", proof=PNG_B64)
    (digest,) = api.get(f"/signatures/{sign_id}").json()["signature"]["proof_images"]
    image = api.get(f"/images/{digest}")
    assert image.headers["content-type"] == "image/png"
    assert image.content == png() == base64.b64decode(PNG_B64)


def test_accounts_create_change_rotate(server: Server, api: httpx.Client) -> None:
    created = api.post("/accounts", json={"name": "接口客户", "certification": "enterprise"})
    assert created.status_code == 201
    issued = created.json()
    assert issued["tencent"]["secret_key"] and issued["legacy"]["appkey"]
    assert api.post("/accounts", json={"name": "接口客户"}).status_code == 409
    assert api.post("/accounts", json={"name": ""}).status_code == 422
    assert api.post("/accounts", json={"name": "x", "certification": "alien"}).status_code == 422

    account_id = issued["id"]
    changed = api.patch(
        f"/accounts/{account_id}",
        json={"arrears": True, "ip_allow": ["10.0.0.0/8"], "signature_quota": 3},
    )
    assert changed.status_code == 200
    assert changed.json()["account"] == {
        **changed.json()["account"],
        "arrears": True,
        "ip_allow": ["10.0.0.0/8"],
        "signature_quota": 3,
    }
    assert "secret" not in str(changed.json()["credentials"])
    for bad in ({"ip_allow": ["nope"]}, {"signature_quota": -1}, {"arrears": "yes"}, {"x": 1}):
        assert api.patch(f"/accounts/{account_id}", json=bad).status_code == 422
    api.patch(f"/accounts/{account_id}", json={"arrears": False, "ip_allow": []})

    rotated = api.post(f"/accounts/{account_id}/credentials/tencent/rotate")
    assert rotated.status_code == 201
    fresh = rotated.json()
    new = {"tencent": {"secret_id": fresh["key_id"], "secret_key": fresh["secret"]}}
    assert add_signature(tencent(server, new), "新密钥签名") > 0
    with pytest.raises(TencentCloudSDKException) as refused:
        add_signature(tencent(server, issued), "旧密钥签名")
    assert refused.value.code == "AuthFailure.SecretIdNotFound"
    assert any(a["id"] == account_id for a in api.get("/accounts").json()["accounts"])


def test_webhook_settings(api: httpx.Client, account: dict[str, Any]) -> None:
    path = f"/accounts/{account['id']}/webhook"
    assert api.get(path).status_code == 404
    made = api.put(path, json={"url": "http://127.0.0.1:9/hook"})
    assert made.status_code == 200
    assert made.json()["secret"].startswith("whsec_")
    kept = api.put(path, json={"url": "http://127.0.0.1:9/other", "enabled": False})
    assert "secret" not in kept.json() and kept.json()["enabled"] is False
    assert api.get(path).json()["url"] == "http://127.0.0.1:9/other"
    assert api.put(path, json={"url": "file:///etc/passwd"}).status_code == 422
    assert api.put(path, json={"url": "http://x", "secret": "a\x01"}).status_code == 422
    assert api.delete(path).status_code == 204
    assert api.delete(path).status_code == 404
    assert api.get("/deliveries", params={"account_id": account["id"]}).json() == {"deliveries": []}
