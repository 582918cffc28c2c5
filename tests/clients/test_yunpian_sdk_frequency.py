"""Yunpian's per-number frequency limits through yunpian-python-sdk: codes 8, 9, 22 and 17,
each changed or switched off per account (`smssign accounts set --frequency`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from yunpian_python_sdk.model import constant as YC

from tests.conftest import Server, start_server, stop_server
from tests.dialects.yunpian.sending import SIGN, Sender, ready

CODE = f"【{SIGN}】您的验证码是{{}}，5分钟内有效。"
NOTICE = f"【{SIGN}】您的订单{{}}已发货，快递单号{{}}。"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Frequency limits on: no --no-rate-limit."""
    s = start_server(tmp_path_factory.mktemp("yunpian-frequency"))
    yield s
    stop_server(s)


@pytest.fixture
def sender(server: Server) -> Sender:
    return ready(server)


def codes(sms: Any, texts: list[str], mobile: str = "13800138000") -> list[int]:
    return [sms.single_send({YC.MOBILE: mobile, YC.TEXT: text}).code() for text in texts]


def test_the_same_text_twice_in_30_seconds_is_code_8_until_switched_off(sender: Sender) -> None:
    sms = sender.client().sms()
    assert codes(sms, [CODE.format("1"), CODE.format("1"), CODE.format("2")]) == [0, 8, 0]
    r = sms.single_send({YC.MOBILE: "13800138000", YC.TEXT: CODE.format("1")})
    assert r.msg() and "30" in r.msg() and r.data() is None
    # Another number is not limited; in a batch the limited number fails alone.
    batch = sms.batch_send({YC.MOBILE: "13800138000,13800138001", YC.TEXT: CODE.format("1")})
    assert [item["code"] for item in batch.data()["data"]] == [8, 0]
    sender.set_sending(frequency={"yunpian.30s": 0})
    assert codes(sms, [CODE.format("1")]) == [0]


def test_the_same_text_a_fourth_time_in_5_minutes_is_code_9(sender: Sender) -> None:
    sender.set_sending(frequency={"yunpian.30s": 0})
    sms = sender.client().sms()
    assert codes(sms, [NOTICE.format("A", "1")] * 4) == [0, 0, 0, 9]
    sender.set_sending(frequency={"yunpian.5min": 4})
    assert codes(sms, [NOTICE.format("A", "1")] * 2) == [0, 9]


def test_a_fourth_verification_code_in_an_hour_is_code_22(sender: Sender) -> None:
    sms = sender.client().sms()
    assert codes(sms, [CODE.format(n) for n in range(4)]) == [0, 0, 0, 22]
    # Notices do not count against the verification limit.
    assert codes(sms, [NOTICE.format("B", "2")]) == [0]
    assert len(sender.messages()) == 4


def test_the_24_hour_limit_is_code_17_and_changes_per_account(sender: Sender) -> None:
    sms = sender.client().sms()
    sender.set_sending(frequency={"yunpian.day": 2})
    assert codes(sms, [NOTICE.format(n, 1) for n in range(3)]) == [0, 0, 17]
    template = sms.tpl_single_send(
        {
            YC.MOBILE: "13800138000",
            YC.TPL_ID: sender.notice_id,
            YC.TPL_VALUE: "#order#=9&#number#=9",
        }
    )
    assert template.code() == 17 and template.data() is None
    assert codes(sms, [NOTICE.format("x", 1)], mobile="13800138009") == [0]
