"""isv.BUSINESS_LIMIT_CONTROL with Alibaba's per-number defaults, on a server with limits on:
a verification code once a minute, five an hour, ten a day; notifications fifty a day;
each changed per account by name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models as m

from tests.conftest import Server, start_server, stop_server
from tests.dialects.aliyun.clients import tea
from tests.dialects.aliyun.sending import ready, reported, settled


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("limited"))
    yield server
    stop_server(server)


def frequency(server: Server, account: dict[str, Any], **counts: int) -> None:
    changes = {f"aliyun.{name}": count for name, count in counts.items()}
    server.run(
        lambda rt: rt.repository.change_sending(account["id"], balance=None, frequency=changes)
    )


def sent_with(c: Any, biz_id: str) -> list[Any]:
    """The messages of one BizId to the two numbers used here."""
    found = []
    for number in ("13800138000", "13800138001"):
        body = reported(c, number, biz_id)
        found += body.sms_send_detail_dtos.sms_send_detail_dto
    return found


def test_verification_codes_per_minute_hour_and_day(limited: Server) -> None:
    account = limited.create_account()
    c = tea(limited, account)
    codes = ready(limited, c, account)

    def send(number: str = "13800138000") -> Any:
        request = m.SendSmsRequest(
            phone_numbers=number,
            sign_name="阿里云",
            template_code=codes["verification"],
            template_param=json.dumps({"code": "1234"}),
        )
        return c.send_sms(request).body

    assert send().code == "OK"
    settled(limited)
    before = limited.row_counts()
    minute = send()
    assert (minute.code, minute.message) == (
        "isv.BUSINESS_LIMIT_CONTROL",
        "触发分钟级流控Permits:1",
    )
    assert minute.biz_id is None and limited.row_counts() == before
    # Of two numbers, the one not limited is sent.
    both = send("13800138000,13800138001")
    assert both.code == "OK"
    assert [d.phone_num for d in sent_with(c, both.biz_id)] == ["13800138001"]
    assert send("13800138001").message == "触发分钟级流控Permits:1"

    frequency(limited, account, verification_1min=0)
    assert [send().code for _ in range(4)] == ["OK"] * 4
    assert send().message == "触发小时级流控Permits:5"
    frequency(limited, account, verification_1h=0)
    assert [send().code for _ in range(5)] == ["OK"] * 5
    assert send().message == "触发天级流控Permits:10"
    frequency(limited, account, verification_day=12)
    assert [send().code for _ in range(3)] == ["OK", "OK", "isv.BUSINESS_LIMIT_CONTROL"]


def test_notifications_per_day(limited: Server) -> None:
    account = limited.create_account()
    c = tea(limited, account)
    codes = ready(limited, c, account)
    frequency(limited, account, notification_day=2)
    request = m.SendSmsRequest(
        phone_numbers="13800138000",
        sign_name="阿里云",
        template_code=codes["notice"],
        template_param=json.dumps({"name": "张三", "order": "A1"}),
    )
    results = [c.send_sms(request).body for _ in range(3)]
    assert [r.code for r in results[:2]] == ["OK", "OK"]
    assert (results[2].code, results[2].message) == (
        "isv.BUSINESS_LIMIT_CONTROL",
        "触发天级流控Permits:2",
    )
    # Verification codes are counted apart from notifications.
    code = m.SendSmsRequest(
        phone_numbers="13800138000",
        sign_name="阿里云",
        template_code=codes["verification"],
        template_param=json.dumps({"code": "1234"}),
    )
    assert c.send_sms(code).body.code == "OK"
