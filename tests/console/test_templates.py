"""Templates in the console over plain HTTP: the queue, their list and page with the
timeline, reviews with CSRF, in English and in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tencentcloud.sms.v20210111 import sms_client

from smssign.app.runtime import default_providers
from tests.backoffice import (
    add_signature,
    add_template,
    create_operator,
    csrf_of,
    delete_template,
    describe_template,
    login,
    tencent,
)
from tests.conftest import Server
from tests.console.test_chinese import EN, ZH, assert_chinese, visible


@pytest.fixture(scope="module")
def operator(server: Server) -> str:
    create_operator(server, "zhou")
    return "zhou"


@pytest.fixture
def session(server: Server, operator: str) -> Iterator[httpx.Client]:
    client = login(server, operator)
    yield client
    client.close()


@pytest.fixture
def client(server: Server, account: dict[str, Any]) -> sms_client.SmsClient:
    made = tencent(server, account)
    add_signature(made, f"控制台模板{account['id']}")
    return made


def test_a_pending_template_is_in_the_queue_and_approved_there(
    session: httpx.Client, client: sms_client.SmsClient
) -> None:
    session.headers.update(EN)
    template_id = add_template(client, "队列模板", "您的验证码是{1}。", remark="登录用")
    queue = session.get("/console/queue")
    assert f'id="template-{template_id}"' in queue.text
    text = visible(queue.text)
    assert "您的验证码是{1}。" in text and "verification code" in text and "登录用" in text
    done = session.post(
        f"/console/templates/{template_id}/review",
        data={"csrf": csrf_of(queue.text), "decision": "approved", "back": "queue"},
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/console/queue?done=template-approved")
    assert f"Template {template_id} approved." in session.get(done.headers["location"]).text
    assert describe_template(client, template_id)["StatusCode"] == 0
    assert f'id="template-{template_id}"' not in session.get("/console/queue").text


def test_the_template_page_rejects_and_shows_the_timeline(
    session: httpx.Client, client: sms_client.SmsClient
) -> None:
    session.headers.update(EN)
    template_id = add_template(client, "详情模板", "您的订单{1}已发货。", sms_type=2)
    page = session.get(f"/console/templates/{template_id}")
    assert page.status_code == 200
    done = session.post(
        f"/console/templates/{template_id}/review",
        data={"csrf": csrf_of(page.text), "decision": "rejected", "reason": "请说明变量含义"},
        follow_redirects=True,
    )
    assert f"Template {template_id} rejected." in done.text
    text = visible(done.text)
    assert "请说明变量含义" in text and "Timeline" in text and "by zhou" in text
    assert "notification" in text
    seen = describe_template(client, template_id)
    assert (seen["StatusCode"], seen["ReviewReply"]) == (-1, "请说明变量含义")
    # The dialect is named as the registry names it, not by its internal name.
    title = next(p.title for p in default_providers() if p.name == "tencent_v3")
    assert f"via {title}" in text and "via tencent_v3" not in text


def test_template_reviews_need_csrf_a_reason_and_a_pending_template(
    session: httpx.Client, client: sms_client.SmsClient
) -> None:
    session.headers.update(EN)
    template_id = add_template(client, "防伪模板")
    forged = session.post(f"/console/templates/{template_id}/review", data={"decision": "approved"})
    assert forged.status_code == 403
    page = session.get(f"/console/templates/{template_id}")
    csrf = csrf_of(page.text)
    no_reason = session.post(
        f"/console/templates/{template_id}/review", data={"csrf": csrf, "decision": "rejected"}
    )
    assert no_reason.status_code == 400
    filing = session.post(
        f"/console/templates/{template_id}/review", data={"csrf": csrf, "decision": "filing"}
    )
    assert filing.status_code == 400
    assert describe_template(client, template_id)["StatusCode"] == 1
    assert session.post(
        f"/console/templates/{template_id}/review", data={"csrf": csrf, "decision": "approved"}
    ).is_redirect
    late = session.post(
        f"/console/templates/{template_id}/review",
        data={"csrf": csrf, "decision": "rejected", "reason": "晚了"},
    )
    assert late.status_code == 409
    assert "The template is approved now" in late.text
    assert session.get("/console/templates/987654321").status_code == 404


def test_the_dashboard_counts_templates(
    session: httpx.Client, client: sms_client.SmsClient
) -> None:
    session.headers.update(EN)
    before = visible(session.get("/console/").text)
    pending = int(before.split("Templates: ")[1].split(" pending")[0])
    add_template(client, "概览模板")
    after = visible(session.get("/console/").text)
    assert f"Templates: {pending + 1} pending" in after
    session.headers.update(ZH)
    assert_chinese(session.get("/console/").text, f"模板：{pending + 1} 个待审核", "全部模板")


def test_the_template_list_filters_and_keeps_deleted_pages(
    session: httpx.Client, client: sms_client.SmsClient, account: dict[str, Any]
) -> None:
    session.headers.update(EN)
    kept = add_template(client, "列表保留")
    gone = add_template(client, "列表删除")
    delete_template(client, gone)
    listing = session.get("/console/templates", params={"account": account["id"], "q": "列表"})
    assert f'href="/console/templates/{kept}"' in listing.text
    assert f'href="/console/templates/{gone}"' not in listing.text
    assert "1 template(s)." in listing.text
    deleted = session.get(f"/console/templates/{gone}")
    assert "Deleted" in visible(deleted.text) and "/review" not in deleted.text
    assert session.get("/console/templates?status=filing").status_code == 400


def test_template_pages_in_chinese(session: httpx.Client, client: sms_client.SmsClient) -> None:
    session.headers.update(ZH)
    template_id = add_template(client, "中文模板")
    english = ("Templates", "Approve", "Timeline", "Content", "verification code")
    for path, phrases in {
        "/console/queue": ("模板", "待审核模板", "模板内容", "验证码短信", "通过"),
        "/console/templates": ("模板", "名称包含", "类型", "审核回复"),
        f"/console/templates/{template_id}": ("时间线", "模板类型", "验证码短信", "已提交"),
    }.items():
        reply = session.get(path)
        assert reply.status_code == 200, path
        assert_chinese(reply.text, *phrases, absent=english)
    page = session.get(f"/console/templates/{template_id}")
    done = session.post(
        f"/console/templates/{template_id}/review",
        data={"csrf": csrf_of(page.text), "decision": "approved"},
        follow_redirects=True,
    )
    assert_chinese(done.text, f"模板 {template_id} 已通过。")
