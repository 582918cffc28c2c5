"""The admin API's templates: the queue, the list, one template with its timeline, reviews
that the account sees through its own dialect, and the OpenAPI document describing them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tencentcloud.sms.v20210111 import sms_client

from tests.backoffice import (
    add_signature,
    add_template,
    create_operator,
    delete_template,
    describe_template,
    operator_token,
    tencent,
)
from tests.conftest import Server


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    create_operator(server, "tpl-robot")
    return operator_token(server, "tpl-robot")


@pytest.fixture
def api(server: Server, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{server.url}/admin/api", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


@pytest.fixture
def client(server: Server, account: dict[str, Any]) -> sms_client.SmsClient:
    """A client of a fresh account that has applied for a signature, so it may add templates."""
    made = tencent(server, account)
    add_signature(made, f"模板{account['id']}")
    return made


def test_approve_and_reject_templates(
    api: httpx.Client, client: sms_client.SmsClient, account: dict[str, Any]
) -> None:
    first = add_template(client, "登录验证码")
    second = add_template(client, "活动通知", "春季活动{1}开始，拒收请回复R", sms_type=1)
    queue = api.get("/queue").json()
    queued = [t["id"] for t in queue["templates"]]
    assert queued.index(first) < queued.index(second)
    assert queue["template_total"] >= 2

    approved = api.post(f"/templates/{first}/review", json={"decision": "approved"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["template"]["status"] == "approved"
    assert describe_template(client, first)["StatusCode"] == 0

    rejected = api.post(
        f"/templates/{second}/review", json={"decision": "rejected", "reason": "营销内容不合规"}
    )
    assert rejected.json()["template"]["review_reply"] == "营销内容不合规"
    seen = describe_template(client, second)
    assert (seen["StatusCode"], seen["ReviewReply"]) == (-1, "营销内容不合规")

    detail = api.get(f"/templates/{second}").json()
    assert detail["template"]["content"] == "春季活动{1}开始，拒收请回复R"
    assert detail["template"]["type"] == "marketing"
    assert detail["template"]["account_id"] == account["id"]
    assert detail["deleted_at"] is None
    kinds = [entry["kind"] for entry in detail["timeline"]]
    assert kinds[:2] == ["application", "review"]
    review = detail["timeline"][1]["review"]
    assert (review["decision"], review["reason"], review["reviewer"]) == (
        "rejected",
        "营销内容不合规",
        "tpl-robot",
    )


def test_a_template_cannot_start_filing_or_be_reviewed_twice(
    api: httpx.Client, client: sms_client.SmsClient
) -> None:
    template_id = add_template(client, "两次审核")
    filing = api.post(f"/templates/{template_id}/review", json={"decision": "filing"})
    assert filing.status_code == 422
    assert filing.json()["error"]["field"] == "decision"
    assert describe_template(client, template_id)["StatusCode"] == 1
    assert api.post(f"/templates/{template_id}/review", json={"decision": "approve"}).is_success
    again = api.post(
        f"/templates/{template_id}/review", json={"decision": "rejected", "reason": "x"}
    )
    assert again.status_code == 409
    assert describe_template(client, template_id)["StatusCode"] == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"decision": "rejected"}, 422),
        ({"decision": "rejected", "reason": "x" * 501}, 422),
        ({"decision": "approved", "note": "hi"}, 422),
        ({"decision": 3}, 422),
    ],
)
def test_bad_template_reviews_change_nothing(
    api: httpx.Client, client: sms_client.SmsClient, body: dict[str, Any], status: int
) -> None:
    template_id = add_template(client, "坏审核")
    reply = api.post(f"/templates/{template_id}/review", json=body)
    assert reply.status_code == status, reply.text
    assert describe_template(client, template_id)["StatusCode"] == 1
    assert [e["kind"] for e in api.get(f"/templates/{template_id}").json()["timeline"]] == [
        "application"
    ]


def test_template_list_filters_and_deleted_ones(
    api: httpx.Client, client: sms_client.SmsClient, account: dict[str, Any]
) -> None:
    kept = add_template(client, "筛选保留")
    gone = add_template(client, "筛选删除")
    delete_template(client, gone)
    found = api.get("/templates", params={"account_id": account["id"], "q": "筛选"}).json()
    assert [t["id"] for t in found["templates"]] == [kept]
    assert found["total"] == 1
    detail = api.get(f"/templates/{gone}").json()
    assert detail["deleted_at"] is not None
    assert [e["kind"] for e in detail["timeline"]] == ["application", "deleted"]
    assert api.get("/templates", params={"status": "sleeping"}).status_code == 400
    assert api.get("/stats").json()["templates"]["pending"] >= 1


@pytest.mark.parametrize("path", ["/templates/0", "/templates/987654321", "/templates/x"])
def test_unknown_templates_are_404(api: httpx.Client, path: str) -> None:
    assert api.get(path).status_code == 404
    reply = api.post(f"{path}/review", json={"decision": "approved"})
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"


def test_openapi_describes_the_template_routes(server: Server) -> None:
    document = httpx.get(f"{server.url}/admin/api/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/templates/{template_id}/review"]) == {"post"}
    body = paths["/templates/{template_id}/review"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    decisions = document["components"]["schemas"][schema]["properties"]["decision"]["enum"]
    assert decisions == ["approved", "rejected"]
    template = document["components"]["schemas"]["Template"]["properties"]
    assert {"content", "type", "international", "status"} <= set(template)
