"""Yunpian's template review callback end to end: yunpian-python-sdk `tpl().add` and
`update` with a `callback`, an operator's review through the CLI, and the form-encoded
result at a local receiver, retried until it answers SUCCESS, across a restart too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

from smssign.backoffice.services import open_backoffice
from smssign.backoffice.timeline import delivery_json
from tests.backoffice import (
    Received,
    Receiver,
    create_operator,
    login,
    operator_token,
    set_webhook,
    smssign,
    wait_until,
)
from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Retries after 1 second instead of minutes."""
    s = start_server(
        tmp_path_factory.mktemp("callback"), "--no-rate-limit", "--webhook-retry-delays", "1"
    )
    yield s
    stop_server(s)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(body=b"SUCCESS").start()
    yield running
    running.stop()


def tpl_of(server: Server, account: dict[str, Any]) -> Any:
    url = server.url
    sdk = YunpianClient(
        account["yunpian"]["apikey"], conf={YC.YP_TPL_HOST: url, YC.YP_SIGN_HOST: url}
    )
    assert sdk.sign().add({YC.SIGN: "云片科技"}).code() == 0
    return sdk.tpl()


def form(received: Received) -> dict[str, str]:
    assert received.headers["content-type"].startswith("application/x-www-form-urlencoded")
    fields = parse_qs(received.body.decode(), keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in fields.values()), fields
    return {name: values[0] for name, values in fields.items()}


def added(tpl: Any, content: str, **extra: str) -> int:
    reply = tpl.add({YC.TPL_CONTENT: content, **extra})
    assert reply.code() == 0, (reply.msg(), reply.detail())
    return int(reply.data()["tpl_id"])


def pushes(server: Server, account_id: int) -> list[dict[str, Any]]:
    """The account's deliveries in Yunpian's push format, newest first, as the admin API
    shows them."""

    async def read(runtime: Any) -> list[dict[str, Any]]:
        async with open_backoffice(runtime) as backoffice:
            found = await backoffice.store.deliveries(account_id=account_id, channel="yunpian")
        return [delivery_json(d) for d in found]

    return list(server.run(read))


def test_an_approval_is_posted_to_the_callback(server: Server, receiver: Receiver) -> None:
    account = server.create_account()
    tpl = tpl_of(server, account)
    tpl_id = added(tpl, "【云片科技】您的验证码是#code#", callback=receiver.url, tplType="1")
    assert receiver.received == []

    smssign(server, "review", "approve", str(tpl_id), "--kind", "template")

    (result,) = wait_until(lambda: receiver.received)
    assert form(result) == {
        "tpl_id": str(tpl_id),
        "tpl_content": "【云片科技】您的验证码是#code#",
        "check_status": "SUCCESS",
        "reason": "",
    }
    # Not a webhook: no smssign signature, and the account needs no webhook for it.
    assert "x-smssign-signature" not in result.headers
    (delivery,) = wait_until(
        lambda: (found := pushes(server, account["id"])) and found[0]["attempts"] and found
    )
    assert delivery["status"] == "delivered"
    # The admin API shows the push's own target and its body as sent.
    create_operator(server, f"callback-{tpl_id}")
    token = operator_token(server, f"callback-{tpl_id}")
    shown = httpx.get(
        f"{server.url}/admin/api/deliveries/{delivery['id']}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert (shown["url"], shown["body"]) == (receiver.url, result.body.decode())
    assert shown["attempt_log"][0]["delivered"] is True
    # And the template's timeline lists it with its attempts.
    timeline = httpx.get(
        f"{server.url}/admin/api/templates/{tpl_id}", headers={"Authorization": f"Bearer {token}"}
    ).json()["timeline"]
    (entry,) = [e for e in timeline if e["kind"] == "delivery"]
    assert (entry["delivery"]["channel"], entry["delivery"]["url"]) == ("yunpian", receiver.url)
    # So does the console's delivery page, with its retry button.
    console = login(server, f"callback-{tpl_id}")
    try:
        page = console.get(f"/console/deliveries/{delivery['id']}").text
        # The template's page shows the callback and names the delivery for what it is.
        english = console.get(f"/console/templates/{tpl_id}").text
        chinese = console.get(
            f"/console/templates/{tpl_id}", headers={"Accept-Language": "zh-CN"}
        ).text
    finally:
        console.close()
    assert f"<code>{receiver.url}</code>" in page and "check_status=SUCCESS" in page
    assert f"/console/deliveries/{delivery['id']}/retry" in page
    assert receiver.url in english and "<strong>Callback</strong>" in english
    assert "<strong>回调</strong>" in chinese and "服务商字段" in chinese
    # An operator may send a push again though the account has no webhook.
    again = httpx.post(
        f"{server.url}/admin/api/deliveries/{delivery['id']}/retry",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert again.status_code == 200, again.text
    _, resent = wait_until(lambda: len(receiver.received) >= 2 and receiver.received)
    assert resent.body == result.body


def test_a_rejection_carries_its_reason_and_is_retried_until_success(
    server: Server, receiver: Receiver
) -> None:
    account = server.create_account()
    tpl = tpl_of(server, account)
    tpl_id = added(tpl, "【云片科技】订单#order#已发货", callback=receiver.url)
    receiver.bodies[:0] = [b"ok"]  # a 200 that is not SUCCESS or 0 counts as not received

    smssign(
        server, "review", "reject", str(tpl_id), "--kind", "template", "--reason", "缺少业务说明"
    )

    first, second = wait_until(lambda: len(receiver.received) >= 2 and receiver.received)
    assert (
        form(first)
        == form(second)
        == {
            "tpl_id": str(tpl_id),
            "tpl_content": "【云片科技】订单#order#已发货",
            "check_status": "FAIL",
            "reason": "缺少业务说明",
        }
    )
    (delivery,) = wait_until(
        lambda: (found := pushes(server, account["id"])) and found[0]["attempts"] >= 2 and found
    )
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 2)
    # The SDK reads the same reason back.
    got = tpl.get({YC.TPL_ID: tpl_id}).data()
    assert (got["check_status"], got["reason"]) == ("FAIL", "缺少业务说明")


def test_update_moves_the_callback_and_the_webhook_still_gets_its_event(
    server: Server, receiver: Receiver
) -> None:
    account = server.create_account()
    hook = Receiver().start()
    try:
        set_webhook(server, account["id"], hook.url, "s3cret")
        tpl = tpl_of(server, account)
        tpl_id = added(tpl, "【云片科技】通知#name#", callback="http://127.0.0.1:9/gone")
        smssign(server, "review", "reject", str(tpl_id), "--kind", "template", "--reason", "措辞")
        update = {
            YC.TPL_ID: tpl_id,
            YC.TPL_CONTENT: "【云片科技】您好#name#",
            "callback": receiver.url,
        }
        assert tpl.update(update).code() == 0
        assert tpl.get({YC.TPL_ID: tpl_id}).data()["check_status"] == "CHECKING"

        smssign(server, "review", "approve", str(tpl_id), "--kind", "template")

        (result,) = wait_until(lambda: receiver.received)
        assert form(result)["check_status"] == "SUCCESS"
        assert form(result)["tpl_content"] == "【云片科技】您好#name#"
        approved = hook.wait_for("template.approved")
        assert approved[0].json["template"]["id"] == tpl_id
        # The push to the first callback keeps trying: removing the webhook leaves it be.
        smssign(server, "webhooks", "remove", str(account["id"]))
        statuses = {(d["type"], d["status"]) for d in pushes(server, account["id"])}
        assert ("template.rejected", "pending") in statuses
        assert ("template.rejected", "cancelled") not in statuses
    finally:
        hook.stop()


def test_an_update_without_callback_keeps_the_earlier_one(
    server: Server, receiver: Receiver
) -> None:
    account = server.create_account()
    tpl = tpl_of(server, account)
    tpl_id = added(tpl, "【云片科技】提醒#name#", callback=receiver.url)
    server.review_template(tpl_id, "rejected", "太短")
    wait_until(lambda: receiver.received)
    assert tpl.update({YC.TPL_ID: tpl_id, YC.TPL_CONTENT: "【云片科技】温馨提醒#name#"}).code() == 0

    # This time an operator decides through the admin API.
    create_operator(server, f"admin-{tpl_id}")
    token = operator_token(server, f"admin-{tpl_id}")
    reviewed = httpx.post(
        f"{server.url}/admin/api/templates/{tpl_id}/review",
        json={"decision": "approved"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reviewed.status_code == 200, reviewed.text

    _, again = wait_until(lambda: len(receiver.received) >= 2 and receiver.received)
    assert form(again)["check_status"] == "SUCCESS"
    assert form(again)["tpl_content"] == "【云片科技】温馨提醒#name#"


def test_no_callback_means_no_push(server: Server, receiver: Receiver) -> None:
    account = server.create_account()
    tpl = tpl_of(server, account)
    tpl_id = added(tpl, "【云片科技】无回调#name#")
    smssign(server, "review", "approve", str(tpl_id), "--kind", "template")
    assert tpl.get({YC.TPL_ID: tpl_id}).data()["check_status"] == "SUCCESS"
    assert pushes(server, account["id"]) == []


def test_a_bad_callback_is_refused_with_code_2(server: Server) -> None:
    account = server.create_account()
    tpl = tpl_of(server, account)
    reply = tpl.add({YC.TPL_CONTENT: "【云片科技】坏回调#name#", "callback": "ftp://nowhere"})
    assert reply.code() == 2, (reply.msg(), reply.detail())
    assert tpl.get({}).data() == []


def test_a_review_while_the_server_is_down_is_posted_after_restart(tmp_path: Path) -> None:
    receiver = Receiver(body=b"0").start()
    server = start_server(tmp_path, "--no-rate-limit")
    try:
        account = server.create_account()
        tpl_id = added(tpl_of(server, account), "【云片科技】停机#name#", callback=receiver.url)
    finally:
        stop_server(server)

    # The review lands in the outbox with its change; nobody is sending yet.
    server.review_template(tpl_id, "rejected", "停机期间驳回")
    assert receiver.received == []

    restarted = start_server(tmp_path, "--no-rate-limit")
    try:
        (result,) = wait_until(lambda: receiver.received, timeout=15)
        assert form(result)["check_status"] == "FAIL"
        assert form(result)["reason"] == "停机期间驳回"
    finally:
        stop_server(restarted)
        receiver.stop()


def test_auto_review_decisions_are_posted_too(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nkind = "template"\nurl = true\ndecision = "reject"\n'
        'reason = "模板内容不得包含链接"\n',
        encoding="utf-8",
    )
    receiver = Receiver(body=b"SUCCESS").start()
    server = start_server(
        tmp_path, "--no-rate-limit", "--auto-review", "approve",
        "--auto-review-delay", "0", "--auto-review-rules", str(rules),
    )  # fmt: skip
    try:
        tpl = tpl_of(server, server.create_account())
        url = receiver.url
        linking = added(tpl, "【云片科技】订单#order#详情见 https://shop.example.cn", callback=url)
        wait_until(lambda: receiver.received, timeout=15)
        fine = added(tpl, "【云片科技】订单#order#已签收", callback=receiver.url)
        wait_until(lambda: len(receiver.received) >= 2, timeout=15)
        results = {int(form(r)["tpl_id"]): form(r) for r in receiver.received}
        assert (results[linking]["check_status"], results[linking]["reason"]) == (
            "FAIL",
            "模板内容不得包含链接",
        )
        assert (results[fine]["check_status"], results[fine]["reason"]) == ("SUCCESS", "")
    finally:
        stop_server(server)
        receiver.stop()
