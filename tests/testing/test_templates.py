"""Templates in the testing kit: seed files that hold them in given states, the
`/_smssign/templates/{id}/approve|reject` routes and `/_smssign/state`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smssign.app.seed import SeedError, parse
from smssign.core.model import Status, TemplateType
from smssign.testing import mock
from tests.backoffice import add_template, describe_template
from tests.conftest import Server, start_server, stop_server
from tests.testing.test_testing_server import ACME, client_on

SEED = """\
accounts:
  - name: acme
    tencent: {secret_id: AKIDacme, secret_key: acme-secret}
    signatures:
      - {name: 模板签名, status: approved}
    templates:
      - name: 登录验证码
        content: 您的验证码是{1}，{2}分钟内有效。
        type: verification
        status: approved
      - {name: 待审通知, content: "您的订单{1}已发货。"}
      - name: 被拒营销
        content: 新品上市{1}，拒收请回复R
        type: marketing
        status: rejected
        reason: 营销内容需要补充说明
"""


@pytest.fixture(scope="module")
def testing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    seed = tmp_path_factory.mktemp("seed") / "seed.yaml"
    seed.write_text(SEED, encoding="utf-8")
    server = start_server(
        tmp_path_factory.mktemp("testing"), "--testing", "--no-rate-limit", "--seed", str(seed)
    )
    yield server
    stop_server(server)


@pytest.fixture
def fresh(testing: Server) -> Server:
    assert httpx.post(f"{testing.url}/_smssign/reset").status_code == 200
    return testing


def state(server: Server) -> dict[str, Any]:
    reply = httpx.get(f"{server.url}/_smssign/state")
    assert reply.status_code == 200
    found: dict[str, Any] = reply.json()
    return found


def test_seeded_templates_are_in_their_states(fresh: Server) -> None:
    now = state(fresh)
    assert [
        (t["id"], t["name"], t["type"], t["status"], t["review_reply"]) for t in now["templates"]
    ] == [
        (1, "登录验证码", "verification", "approved", ""),
        (2, "待审通知", "notification", "pending", ""),
        (3, "被拒营销", "marketing", "rejected", "营销内容需要补充说明"),
    ]
    assert now["templates"][0]["international"] is False
    types = [e["type"] for e in now["events"]]
    assert types.count("template.submitted") == 3
    client = client_on(fresh, ACME)
    seen = [describe_template(client, i) for i in (1, 2, 3)]
    assert [s["StatusCode"] for s in seen] == [0, 1, -1]
    assert seen[0]["TemplateContent"] == "您的验证码是{1}，{2}分钟内有效。"


def test_templates_are_approved_and_rejected_over_http(fresh: Server) -> None:
    base = f"{fresh.url}/_smssign/templates"
    assert httpx.post(f"{base}/2/approve").json() == {"id": 2, "status": "approved"}
    assert httpx.post(f"{base}/2/approve").status_code == 409
    client = client_on(fresh, ACME)
    assert describe_template(client, 2)["StatusCode"] == 0

    made = add_template(client, "新模板")
    rejected = httpx.post(f"{base}/{made}/reject", json={"reason": "变量含义不清"})
    assert rejected.json() == {"id": made, "status": "rejected"}
    seen = describe_template(client, made)
    assert (seen["StatusCode"], seen["ReviewReply"]) == (-1, "变量含义不清")
    reviews = [r for r in state(fresh)["reviews"] if r["subject_kind"] == "template"]
    assert (reviews[-1]["subject_id"], reviews[-1]["reviewer"]) == (made, "test")


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("templates/2/reject", b"{}", 400),
        ("templates/2/reject", b'{"reason": 7}', 400),
        ("templates/2/reject", b"not json", 400),
        ("templates/2/file", b"", 404),
        ("templates/999/approve", b"", 404),
        ("templates/abc/approve", b"", 404),
        ("templates/1/approve", b"", 409),
    ],
)
def test_bad_template_reviews_get_4xx_and_change_nothing(
    fresh: Server, path: str, body: bytes, status: int
) -> None:
    before = state(fresh)
    reply = httpx.post(f"{fresh.url}/_smssign/{path}", content=body)
    assert reply.status_code == status, reply.text
    assert "error" in reply.json()
    after = state(fresh)
    assert (after["templates"], after["reviews"]) == (before["templates"], before["reviews"])


def test_seed_templates_in_process() -> None:
    seed = {
        "accounts": [
            {
                "name": "acme",
                "signatures": [{"name": "签名"}],
                "templates": [{"name": "取件码", "content": "取件码{code}", "status": "approved"}],
            }
        ]
    }
    with mock(seed=seed) as sms:
        (template,) = sms.state()["templates"]
        assert (template["content"], template["status"]) == ("取件码{code}", "approved")
        made = sms.seed(
            {
                "accounts": [
                    {
                        "name": "other",
                        "signatures": [{"name": "另一个"}],
                        "templates": [{"name": "t", "content": "你好{1}"}],
                    }
                ]
            }
        )
        assert made["accounts"][0]["templates"] == [{"id": 2, "name": "t", "status": "pending"}]


def test_a_seed_template_reads_into_its_parts() -> None:
    [account] = parse(
        {
            "accounts": [
                {
                    "name": "a",
                    "signatures": [{"name": "s"}],
                    "templates": [
                        {
                            "name": "t",
                            "content": "验证码{1}",
                            "type": "verification",
                            "status": "rejected",
                            "reason": "r",
                            "international": True,
                            "remark": "备注",
                        }
                    ],
                }
            ]
        }
    ).accounts
    (template,) = account.templates
    assert (template.type, template.status, template.international, template.remark) == (
        TemplateType.VERIFICATION,
        Status.REJECTED,
        True,
        "备注",
    )


def _one(template: dict[str, Any], *, signatures: bool = True) -> dict[str, Any]:
    account: dict[str, Any] = {"name": "a", "templates": [template]}
    if signatures:
        account["signatures"] = [{"name": "s"}]
    return {"accounts": [account]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_one({"name": "t", "content": "你好"}, signatures=False), "needs a signature first"),
        (_one({"name": "t"}), "templates[0].content: text"),
        (_one({"content": "你好"}), "templates[0].name: text"),
        (_one({"name": "t", "content": "你好", "status": "filing"}), "pending, approved or"),
        (_one({"name": "t", "content": "你好", "type": "spam"}), "templates[0].type"),
        (_one({"name": "t", "content": "你好", "status": "rejected"}), "needs a reason"),
        (_one({"name": "t", "content": "【签名】你好"}), "【】"),
        (_one({"name": "t", "content": "你好{2}"}), "numbered variables"),
        (_one({"name": "t", "content": "x" * 501}), "at most 500"),
        (_one({"name": "t", "content": "码{1} https://a.cn", "type": "verification"}), "link"),
        (_one({"name": "t", "content": "你好", "colour": "red"}), "unknown key(s) colour"),
        (_one({"name": "t", "content": "你好", "international": "no"}), "true or false"),
    ],
)
def test_seed_template_mistakes_name_the_entry(data: Any, message: str) -> None:
    with pytest.raises(SeedError) as caught:
        parse(data)
    assert message in str(caught.value)
