"""Webhooks of templates from a running server to a local receiver: template.submitted,
.modified, .approved, .rejected and .deleted, each signed, carrying the template (and no
signature), the reviewer and reason of a review, and the application of a submission."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tencentcloud.sms.v20210111 import models

from tests.backoffice import (
    Receiver,
    add_signature,
    add_template,
    delete_template,
    set_webhook,
    signed_correctly,
    smssign,
    tencent,
    wait_until,
)
from tests.conftest import Server


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def template_events(receiver: Receiver, template_id: int) -> list[dict[str, Any]]:
    """The template's events in the order they happened: concurrent deliveries may arrive
    in any order, the event ids say which came first."""
    found = [
        r.json
        for r in receiver.events()
        if r.json["type"].startswith("template.") and r.json["template"]["id"] == template_id
    ]
    return sorted(found, key=lambda event: event["id"])


def test_every_template_event_arrives_signed(server: Server, receiver: Receiver) -> None:
    account = server.create_account()
    set_webhook(server, account["id"], receiver.url, "s3cret")
    client = tencent(server, account)
    add_signature(client, "模板事件")
    rejected = add_template(client, "事件模板", "您的验证码是{1}。")
    smssign(server, "review", "reject", str(rejected), "--kind", "template", "--reason", "不清楚")
    modify = models.ModifySmsTemplateRequest()
    modify.from_json_string(
        json.dumps(
            {
                "TemplateId": rejected,
                "TemplateName": "事件模板二",
                "TemplateContent": "您的验证码是{1}，5分钟有效。",
                "SmsType": 3,
                "International": 0,
                "Remark": "",
            }
        )
    )
    client.ModifySmsTemplate(modify)
    smssign(server, "review", "approve", str(rejected), "--kind", "template")
    deleted = add_template(client, "删除模板")
    delete_template(client, deleted)

    expected = [
        "template.submitted",
        "template.rejected",
        "template.modified",
        "template.approved",
    ]
    first = wait_until(
        lambda: (found := template_events(receiver, rejected)) and len(found) >= 4 and found
    )
    assert [e["type"] for e in first] == expected
    submitted, rejection, modified, approval = first
    assert submitted["template"]["content"] == "您的验证码是{1}。"
    assert isinstance(submitted["application_id"], int)
    assert (rejection["reason"], rejection["reviewer"]) == ("不清楚", "cli")
    assert modified["template"]["name"] == "事件模板二"
    assert modified["application_id"] != submitted["application_id"]
    assert approval["template"]["status"] == "approved"
    for event in first:
        assert "signature" not in event and event["account_id"] == account["id"]

    second = wait_until(
        lambda: (found := template_events(receiver, deleted)) and len(found) >= 2 and found
    )
    assert [e["type"] for e in second] == ["template.submitted", "template.deleted"]
    for received in receiver.events():
        if received.json["type"].startswith("template."):
            assert signed_correctly("s3cret", received)
