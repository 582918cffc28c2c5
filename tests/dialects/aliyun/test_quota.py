"""isv.DAY_LIMIT_CONTROL and isv.MONTH_LIMIT_CONTROL: the console's day and month send
quotas of a whole account, off by default, set per account by name, on a server with
limits on; a SendSms that would exceed one fails whole and stores nothing."""

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
    server = start_server(tmp_path_factory.mktemp("quota"))
    yield server
    stop_server(server)


def quota(server: Server, account: dict[str, Any], **counts: int) -> None:
    changes = {f"aliyun.{name}": count for name, count in counts.items()}
    server.run(
        lambda rt: rt.repository.change_sending(account["id"], balance=None, frequency=changes)
    )


class Notices:
    """SendSms and SendBatchSms of the notice template, to any numbers."""

    def __init__(self, server: Server, account: dict[str, Any]) -> None:
        self.server = server
        self.c = tea(server, account)
        self.code = ready(server, self.c, account)["notice"]
        self.values = {"name": "张三", "order": "A1"}

    def send(self, *numbers: str) -> Any:
        request = m.SendSmsRequest(
            phone_numbers=",".join(numbers),
            sign_name="阿里云",
            template_code=self.code,
            template_param=json.dumps(self.values),
        )
        return self.c.send_sms(request).body

    def batch(self, *numbers: str) -> Any:
        request = m.SendBatchSmsRequest(
            phone_number_json=json.dumps(list(numbers)),
            sign_name_json=json.dumps(["阿里云"] * len(numbers)),
            template_code=self.code,
            template_param_json=json.dumps([self.values] * len(numbers)),
        )
        return self.c.send_batch_sms(request).body

    def refused(self, call: Any) -> tuple[str, str]:
        """(Code, Message) of a call that must store nothing."""
        settled(self.server)
        before = self.server.row_counts()
        body = call()
        assert body.biz_id is None and self.server.row_counts() == before, body
        return body.code, body.message


DAY = ("isv.DAY_LIMIT_CONTROL", "触发日发送限额")
MONTH = ("isv.MONTH_LIMIT_CONTROL", "触发月发送限额")


def test_day_quota_counts_every_number_and_fails_a_send_whole(limited: Server) -> None:
    account = limited.create_account()
    notices = Notices(limited, account)
    # Unset by default, as on Alibaba's console.
    assert [notices.send(f"1380013800{i}").code for i in range(3)] == ["OK"] * 3
    quota(limited, account, day_quota=5)
    assert notices.send("13800138005").code == "OK"
    assert notices.send("13800138006").code == "OK"
    # The sixth message of the day, to a number never used before.
    assert notices.refused(lambda: notices.send("13900139000")) == DAY

    quota(limited, account, day_quota=7)
    # Three numbers where two fit: none is sent.
    assert notices.refused(lambda: notices.send("13900139001", "13900139002", "13900139003")) == DAY
    assert notices.refused(lambda: notices.batch("13900139001", "13900139002", "13900139003")) == (
        DAY
    )
    both = notices.send("13900139001", "13900139002")
    assert both.code == "OK"
    assert [d.phone_num for d in reported(notices.c, "13900139002", both.biz_id)
            .sms_send_detail_dtos.sms_send_detail_dto] == ["13900139002"]  # fmt: skip
    assert notices.refused(lambda: notices.send("13900139003")) == DAY

    # Other accounts have their own quota.
    other = limited.create_account()
    assert Notices(limited, other).send("13900139003").code == "OK"
    quota(limited, account, day_quota=0)
    assert notices.send("13900139003").code == "OK"


def test_month_quota(limited: Server) -> None:
    account = limited.create_account()
    notices = Notices(limited, account)
    quota(limited, account, month_quota=3, day_quota=10)
    assert notices.send("13800138000", "13800138001").code == "OK"
    assert notices.refused(lambda: notices.send("13800138002", "13800138003")) == MONTH
    assert notices.send("13800138002").code == "OK"
    assert notices.refused(lambda: notices.send("13800138003")) == MONTH
    quota(limited, account, month_quota=4)
    assert notices.send("13800138003").code == "OK"
    assert notices.refused(lambda: notices.send("13800138004")) == MONTH
    # The day quota counts beside the month's.
    quota(limited, account, month_quota=10, day_quota=4)
    assert notices.refused(lambda: notices.send("13800138004")) == DAY


def test_no_rate_limit_switches_the_quotas_off(server: Server) -> None:
    account = server.create_account()
    notices = Notices(server, account)
    quota(server, account, day_quota=1, month_quota=1)
    assert [notices.send(f"1380013800{i}").code for i in range(3)] == ["OK"] * 3
