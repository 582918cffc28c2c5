"""Messages in the console over plain HTTP: the list and its bounded search, one message
with every field, its events and their webhook deliveries, the dashboard's counts of
today (China time), in English and in Chinese.

Messages are sent with tencentcloud-sdk-python's SendSms, as an application sends them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from tencentcloud.sms.v20210111 import models, sms_client

from smssign.app.runtime import Runtime, default_providers
from smssign.console.message_pages import day_start
from smssign.store import tables
from smssign.store.message_records import SEARCH_WINDOW
from tests.backoffice import (
    Receiver,
    create_operator,
    login,
    set_webhook,
    smssign,
    tencent,
    wait_until,
)
from tests.clients.test_tencent_sdk_sending import prepare
from tests.conftest import Server
from tests.console.test_chinese import EN, ZH, assert_chinese, visible

TENCENT_OK = b'{"result":0,"errmsg":"OK"}'
FAILING = "+8613900000001"
"""A magic number: every message to it fails with UNDELIV (README)."""


@pytest.fixture(scope="module")
def operator(server: Server) -> str:
    create_operator(server, "mei")
    return "mei"


@pytest.fixture(scope="module")
def session(server: Server, operator: str) -> Iterator[httpx.Client]:
    """One login for the module: each login hashes a password, which a busy machine feels.
    Each test sets the language it reads in."""
    client = login(server, operator)
    yield client
    client.close()


def send(
    client: sms_client.SmsClient,
    account: dict[str, Any],
    template_id: int,
    *mobiles: str,
    code: str,
) -> list[str]:
    """SendSms to `mobiles`; their SerialNos."""
    request = models.SendSmsRequest()
    request.from_json_string(
        json.dumps(
            {
                "PhoneNumberSet": list(mobiles),
                "SmsSdkAppId": str(account["legacy"]["sdkappid"]),
                "TemplateId": str(template_id),
                "SignName": "腾讯云",
                "TemplateParamSet": [code, "5"],
            }
        )
    )
    statuses = client.SendSms(request).SendStatusSet
    assert [s.Code for s in statuses] == ["Ok"] * len(mobiles)
    return [s.SerialNo for s in statuses]


def message_ids(html: str) -> list[int]:
    """The ids in the list, in page order."""
    return [int(i) for i in re.findall(r'<td><a href="/console/messages/(\d+)">\1</a></td>', html)]


def decided(session: httpx.Client, message_id: int) -> str:
    page = session.get(f"/console/messages/{message_id}")
    assert page.status_code == 200, page.text
    return page.text if "status delivery-pending" not in page.text else ""


@pytest.fixture
def sent(server: Server, account: dict[str, Any]) -> dict[str, Any]:
    """Three messages of a fresh account: two to its own number, one to a failing one."""
    template_id = prepare(server, account)
    client = tencent(server, account)
    mobile = f"+86137{account['id']:08d}"
    first = send(client, account, template_id, mobile, code="111111")
    second = send(client, account, template_id, mobile, FAILING, code="222222")
    return {
        "account": account,
        "template_id": template_id,
        "mobile": mobile,
        "serials": [*first, *second],
    }


def test_the_list_is_newest_first_and_searches_number_text_and_status(
    session: httpx.Client, sent: dict[str, Any]
) -> None:
    session.headers.update(EN)
    account_id = sent["account"]["id"]
    mine = session.get("/console/messages", params={"account": account_id})
    assert mine.status_code == 200
    ids = message_ids(mine.text)
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    newest_to_mine, failing, oldest = ids[1], ids[0], ids[2]
    wait_until(lambda: decided(session, failing) and decided(session, newest_to_mine))

    # A whole number in any form: every message of that number, through its index.
    national = sent["mobile"].removeprefix("+86")
    by_number = session.get("/console/messages", params={"mobile": national})
    assert message_ids(by_number.text) == [newest_to_mine, oldest]
    assert "newest 10000 messages" not in by_number.text
    assert sent["mobile"] in visible(by_number.text)

    # Part of a number, words of the text, a status: the newest messages, and it says so.
    part = session.get("/console/messages", params={"mobile": national[:5]})
    assert message_ids(part.text)[:2] == [newest_to_mine, oldest]
    assert f"looks at the newest {SEARCH_WINDOW} messages" in visible(part.text)
    by_text = session.get("/console/messages", params={"q": "222222", "account": account_id})
    assert message_ids(by_text.text) == [failing, newest_to_mine]
    failed = session.get("/console/messages", params={"status": "failed", "account": account_id})
    assert message_ids(failed.text) == [failing]
    assert "UNDELIV" in visible(failed.text)
    both = session.get(
        "/console/messages",
        params={"mobile": sent["mobile"], "q": "111111", "status": "delivered"},
    )
    assert message_ids(both.text) == [oldest]
    assert (
        "No messages match."
        in session.get("/console/messages", params={"q": "no such text anywhere 9f3"}).text
    )


def test_a_message_page_shows_every_field_and_its_events(
    server: Server, session: httpx.Client, sent: dict[str, Any]
) -> None:
    session.headers.update(EN)
    account = sent["account"]
    listed = session.get("/console/messages", params={"mobile": FAILING, "q": "222222"})
    failing = message_ids(listed.text)[0]
    page = wait_until(lambda: decided(session, failing))
    text = html.unescape(visible(page))
    title = next(p.title for p in default_providers() if p.name == "tencent_v3")
    for shown in (
        f"Message {failing}",
        "【腾讯云】您的验证码是222222，5分钟内有效。",
        account["name"],
        title,
        FAILING,
        '["222222","5"]',
        "UNDELIV",
        sent["serials"][2],
        "message.accepted",
        "message.failed",
    ):
        assert shown in text, shown
    assert f'href="/console/templates/{sent["template_id"]}"' in page
    assert f'href="/console/accounts/{account["id"]}"' in page
    assert re.search(r"Parts</dt>\s*<dd>1</dd>", page) and re.search(r"Fee</dt>\s*<dd>1</dd>", page)
    assert text.count(" UTC") >= 2  # sent and reported
    assert "failed" in text and "delivered" not in re.sub(r"message\.\w+", "", text)


def test_a_message_page_lists_the_webhook_deliveries_of_its_events(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    session.headers.update(EN)
    receiver = Receiver().start()
    try:
        set_webhook(server, account["id"], receiver.url)
        template_id = prepare(server, account)
        send(tencent(server, account), account, template_id, f"+86136{account['id']:08d}", code="3")
        (message_id,) = message_ids(
            session.get("/console/messages", params={"account": account["id"]}).text
        )

        def both_delivered() -> str:
            page = session.get(f"/console/messages/{message_id}").text
            return page if page.count("delivery-delivered") >= 2 else ""

        page = wait_until(both_delivered)
    finally:
        receiver.stop()
    rows = re.findall(r'href="/console/deliveries/(\d+)"', page)
    assert len(rows) >= 2
    assert "message.accepted" in visible(page) and "message.delivered" in visible(page)


def test_a_message_page_lists_its_status_report_deliveries(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    """The report pushed in Tencent's format to the account's status URL is on the page,
    with the URL, the receiver's answer and a link to its attempts."""
    session.headers.update(EN)
    receiver = Receiver(body=TENCENT_OK).start()
    try:
        smssign(server, "callbacks", "set", str(account["id"]), "tencent",
                "--status-url", receiver.url)  # fmt: skip
        template_id = prepare(server, account)
        mobile = f"+86133{account['id']:08d}"
        (serial,) = send(tencent(server, account), account, template_id, mobile, code="8")
        (message_id,) = message_ids(
            session.get("/console/messages", params={"mobile": mobile}).text
        )

        def reported() -> str:
            page = session.get(f"/console/messages/{message_id}").text
            section = page.split('class="card reports"')[1].split("</section>")[0]
            return section if "delivery-delivered" in section else ""

        section = wait_until(reported)
    finally:
        receiver.stop()
    (push,) = receiver.received
    assert [r["sid"] for r in json.loads(push.body)] == [serial]
    text = html.unescape(visible(section))
    assert receiver.url in text and '{"result":0,"errmsg":"OK"}' in text and "tencent" in text
    (delivery_id,) = re.findall(r'href="/console/deliveries/(\d+)"', section)
    delivery = session.get(f"/console/deliveries/{delivery_id}")
    shown = html.unescape(visible(delivery.text))
    assert "Status report in the tencent format, sent to:" in shown and receiver.url in shown
    assert serial in shown


def test_a_message_page_lists_the_replies_to_it_and_their_pushes(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    session.headers.update(EN)
    receiver = Receiver(body=TENCENT_OK).start()
    try:
        smssign(server, "callbacks", "set", str(account["id"]), "tencent",
                "--reply-url", receiver.url, "--status-url", receiver.url)  # fmt: skip
        template_id = prepare(server, account)
        mobile = f"+86132{account['id']:08d}"
        send(tencent(server, account), account, template_id, mobile, code="9")
        listed = session.get("/console/messages", params={"mobile": mobile})
        (message_id,) = message_ids(listed.text)
        before = session.get(f"/console/messages/{message_id}")
        assert "No reply from the handset." in visible(before.text)
        server.run(lambda rt: rt.sending.reply(mobile, "退订 TD"))

        def pushed() -> str:
            page = session.get(f"/console/messages/{message_id}").text
            section = page.split('class="card replies"')[1].split("</section>")[0]
            return section if "delivery-delivered" in section else ""

        section = wait_until(pushed)
    finally:
        receiver.stop()
    assert "退订 TD" in visible(section)
    (delivery_id,) = re.findall(r'href="/console/deliveries/(\d+)"', section)
    replies = [r for r in receiver.received if isinstance(json.loads(r.body), dict)]
    assert [json.loads(r.body)["text"] for r in replies] == ["退订 TD"]
    assert session.get(f"/console/deliveries/{delivery_id}").status_code == 200


def test_the_dashboard_counts_todays_messages_in_china_time(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    session.headers.update(EN)

    def counts() -> tuple[int, int, int]:
        html = session.get("/console/").text
        found = [
            int(re.search(rf'class="today-{name}">(\d+)<', html)[1])  # type: ignore[index]
            for name in ("total", "delivered", "failed")
        ]
        return found[0], found[1], found[2]

    before = counts()
    # Yesterday's message (China time) is not counted: a row from before today's start.
    start = day_start(datetime.now(UTC).timestamp())
    insert_messages(server, account["id"], [("昨天的短信", start - 60)])
    template_id = prepare(server, account)
    client = tencent(server, account)
    send(client, account, template_id, f"+86135{account['id']:08d}", FAILING, code="4")

    def reported() -> tuple[int, int, int] | None:
        now = counts()
        return now if now[1] > before[1] and now[2] > before[2] else None

    after = wait_until(reported)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (2, 1, 1)
    assert "China time (UTC+8)" in visible(session.get("/console/").text)


def test_today_starts_at_midnight_china_time() -> None:
    # 17:00 UTC is 01:00 the next day in China: that day began at 16:00 UTC.
    at = datetime(2026, 12, 4, 17, 0, tzinfo=UTC).timestamp()
    assert day_start(at) == datetime(2026, 12, 4, 16, 0, tzinfo=UTC).timestamp()
    before = datetime(2026, 12, 4, 15, 59, tzinfo=UTC).timestamp()
    assert day_start(before) == datetime(2026, 12, 3, 16, 0, tzinfo=UTC).timestamp()


def test_messages_in_chinese(session: httpx.Client, sent: dict[str, Any]) -> None:
    session.headers.update(ZH)
    listed = session.get("/console/messages", params={"mobile": FAILING, "q": "222222"})
    assert_chinese(listed.text, "短信", "手机号码", "内容包含", absent=("Messages", "Number"))
    failing = message_ids(listed.text)[0]
    wait_until(lambda: decided(session, failing))
    page = session.get(f"/console/messages/{failing}")
    assert_chinese(
        page.text,
        f"短信 {failing}",
        "发送失败",
        "计费条数",
        "服务商消息 ID",
        "错误码",
        absent=("Provider message id", "Error code", "Parts"),
    )
    assert_chinese(session.get("/console/").text, "今日短信", "北京时间（UTC+8）")


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ({"status": "lost"}, 400, "status must be pending, delivered or failed."),
        ({"mobile": "13x00"}, 400, "The number may hold only digits and a leading +."),
        ({"account": "-1"}, 400, "account must be a number."),
        ({"page": "0"}, 400, "page must be a number from 1."),
        ({"q": "\x01"}, 400, "control characters"),
    ],
)
def test_bad_searches_are_pages_that_say_why(
    session: httpx.Client, query: dict[str, str], status: int, says: str
) -> None:
    session.headers.update(EN)
    reply = session.get("/console/messages", params=query)
    assert reply.status_code == status
    assert says in visible(reply.text)


def test_unknown_messages_are_not_found(session: httpx.Client) -> None:
    for path in ("/console/messages/987654321", "/console/messages/abc", "/console/messages/0"):
        assert session.get(path).status_code == 404


def test_a_search_that_reads_rows_stops_at_the_window(
    server: Server, session: httpx.Client, account: dict[str, Any]
) -> None:
    """Text and status filters read only the newest SEARCH_WINDOW ids; an exact number
    still finds its old messages through its index."""
    session.headers.update(EN)
    old = f"+86134{account['id']:08d}"
    insert_messages(server, account["id"], [("窗口之外的旧短信", 1.0)], mobile=old)
    insert_messages(server, account["id"], [("填充短信", 2.0)] * SEARCH_WINDOW)
    beyond = session.get("/console/messages", params={"q": "窗口之外"})
    assert "No messages match." in beyond.text
    found = session.get("/console/messages", params={"mobile": old})
    assert "窗口之外的旧短信" in visible(found.text)


def insert_messages(
    server: Server, account_id: int, rows: list[tuple[str, float]], mobile: str = "+8613300000000"
) -> None:
    """Messages written straight into the database, with the times given."""

    async def write(rt: Runtime) -> None:
        values: list[dict[str, Any]] = [
            {
                "account_id": account_id,
                "dialect": "tencent_v3",
                "mobile": mobile,
                "sign": "腾讯云",
                "signature_id": None,
                "template_id": None,
                "template_type": None,
                "params": [],
                "text": f"【腾讯云】{text}",
                "parts": 1,
                "fee": 1,
                "provider_message_id": f"test-{n}",
                "session": "",
                "extend": "",
                "status": "delivered",
                "error_code": None,
                "created_at": at,
                "reported_at": at,
                "due_at": None,
                "pulled_at": at,
                "callback_url": None,
            }
            for n, (text, at) in enumerate(rows)
        ]
        async with rt.repository.database.write() as conn:
            await conn.execute(insert(tables.messages), values)

    server.run(write)
