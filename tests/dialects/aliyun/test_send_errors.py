"""Every isv.* code of Alibaba's send table, reached through the Tea client: HTTP 200, no
BizId, and not a row changed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alibabacloud_dysmsapi20170525 import models as m

from smssign.core.model import Draft, Status
from smssign.dialects.aliyun import views
from tests.conftest import Server
from tests.dialects.aliyun.clients import tea
from tests.dialects.aliyun.sending import add_sign, add_template, ready, settled, today

NUMBER = "13800138000"


@pytest.fixture
def setup(server: Server, account: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    c = tea(server, account)
    return c, ready(server, c, account)


def send(c: Any, **fields: Any) -> Any:
    values: dict[str, Any] = {"phone_numbers": NUMBER, "sign_name": "阿里云"}
    values.update(fields)
    return c.send_sms(m.SendSmsRequest(**values)).body


def refused(server: Server, call: Any) -> tuple[str, str]:
    """(Code, Message) of a call that must change nothing."""
    settled(server)
    before = server.row_counts()
    body = call()
    assert body.code != "OK" and getattr(body, "biz_id", None) is None, body
    assert server.row_counts() == before
    return body.code, body.message


CODE = json.dumps({"code": "1234"})


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"phone_numbers": ",".join([NUMBER] * 1001)}, "isv.MOBILE_COUNT_OVER_LIMIT"),
        ({"phone_numbers": "12345"}, "isv.MOBILE_NUMBER_ILLEGAL"),
        ({"phone_numbers": f"{NUMBER},1380013800a"}, "isv.MOBILE_NUMBER_ILLEGAL"),
        ({"phone_numbers": "85261234567"}, "isv.MOBILE_NUMBER_ILLEGAL"),
        ({"sign_name": "没有的签名"}, "isv.SMS_SIGNATURE_ILLEGAL"),
        ({"template_code": "SMS_999999999"}, "isv.SMS_TEMPLATE_ILLEGAL"),
        ({"template_code": "nonsense"}, "isv.SMS_TEMPLATE_ILLEGAL"),
        ({"template_param": "not json"}, "isv.INVALID_JSON_PARAM"),
        ({"template_param": '{"code": 1234}'}, "isv.INVALID_JSON_PARAM"),
        ({"template_param": '["1234"]'}, "isv.INVALID_JSON_PARAM"),
        ({}, "isv.TEMPLATE_MISSING_PARAMETERS"),
        ({"template_param": '{"other": "1234"}'}, "isv.TEMPLATE_MISSING_PARAMETERS"),
        ({"template_param": '{"code": ""}'}, "isv.TEMPLATE_MISSING_PARAMETERS"),
        ({"template_param": '{"code": "12-4"}'}, "isv.TEMPLATE_PARAMS_ILLEGAL"),
        ({"template_param": '{"code": "123"}'}, "isv.PARAM_LENGTH_LIMIT"),
        ({"template_param": '{"code": "1234567"}'}, "isv.PARAM_LENGTH_LIMIT"),
        ({"template_param": CODE, "sms_up_extend_code": "12a"}, "isv.EXTEND_CODE_ERROR"),
        ({"template_param": CODE, "out_id": "x" * 256}, "isv.INVALID_PARAMETERS"),
        ({"template_param": CODE, "phone_numbers": "13900000009"}, "isv.BLACK_KEY_CONTROL_LIMIT"),
    ],
)
def test_verification_send_refusals(
    server: Server, setup: tuple[Any, dict[str, str]], fields: dict[str, Any], code: str
) -> None:
    c, codes = setup
    fields.setdefault("template_code", codes["verification"])
    assert refused(server, lambda: send(c, **fields))[0] == code


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"name": "【假冒】", "order": "1"}, "isv.TEMPLATE_PARAMS_ILLEGAL"),
        ({"name": "网上赌博", "order": "1"}, "isv.SMS_CONTENT_ILLEGAL"),
        ({"name": "张三", "order": "https://example.com/x"}, "isv.PARAM_NOT_SUPPORT_URL"),
        ({"name": "长" * 36, "order": "1"}, "isv.PARAM_LENGTH_LIMIT"),
        ({"name": "张三"}, "isv.TEMPLATE_MISSING_PARAMETERS"),
    ],
)
def test_notice_value_refusals(
    server: Server, setup: tuple[Any, dict[str, str]], values: dict[str, str], code: str
) -> None:
    c, codes = setup
    call = lambda: send(c, template_code=codes["notice"], template_param=json.dumps(values))  # noqa: E731
    assert refused(server, call)[0] == code


@pytest.mark.parametrize(
    ("review", "usage", "code"),
    [
        ("", 1, "isv.SMS_SIGNATURE_ILLEGAL"),
        ("filing", 1, "isv.SIGN_STATE_ILLEGAL"),
        ("rejected", 1, "isv.SMS_SIGN_ILLEGAL"),
        ("approved", 0, "isv.SMS_SIGNATURE_SCENE_ILLEGAL"),
    ],
)
def test_signature_states(
    server: Server,
    setup: tuple[Any, dict[str, str]],
    account: dict[str, Any],
    review: str,
    usage: int,
    code: str,
) -> None:
    c, codes = setup
    add_sign(server, c, account, "第二签名", usage=usage, review=review)
    call = lambda: send(  # noqa: E731
        c,
        sign_name="第二签名",
        template_code=codes["notice"],
        template_param=json.dumps({"name": "张三", "order": "1"}),
    )
    assert refused(server, call)[0] == code


def test_a_verification_only_signature_sends_verification_codes(
    server: Server, setup: tuple[Any, dict[str, str]], account: dict[str, Any]
) -> None:
    c, codes = setup
    add_sign(server, c, account, "验证签名", usage=0)
    sent = send(c, sign_name="验证签名", template_code=codes["verification"], template_param=CODE)
    assert sent.code == "OK"


def test_unapproved_template(server: Server, setup: tuple[Any, dict[str, str]]) -> None:
    c, _ = setup
    pending = add_template(server, c, "您的验证码为${code}。", review="")
    rejected = add_template(server, c, "验证码${code}，请勿泄露。", review="rejected")
    for code in (pending, rejected):
        call = lambda code=code: send(c, template_code=code, template_param=CODE)  # noqa: E731
        assert refused(server, call)[0] == "isv.SMS_TEMPLATE_ILLEGAL"


def test_an_international_template_to_a_mainland_number(
    server: Server, setup: tuple[Any, dict[str, str]], account: dict[str, Any]
) -> None:
    c, _ = setup

    async def approve(rt: Any) -> None:
        owner = await rt.accounts.get(account["id"])
        change = await rt.signatures.add(
            owner, Draft(name="Alibaba", international=True, remark="r"), dialect="aliyun"
        )
        await rt.signatures.review(change.signature.id, Status.APPROVED)

    server.run(approve)
    added = c.add_sms_template(
        m.AddSmsTemplateRequest(
            template_type=3, template_name="intl", template_content="Your code is ${code}."
        )
    ).body
    code = added.template_code
    template_id = views.template_id(code)
    assert template_id is not None
    server.review_template(template_id, "approved")
    call = lambda: send(c, sign_name="Alibaba", template_code=code, template_param=CODE)  # noqa: E731
    assert refused(server, call)[0] == "isv.DOMESTIC_NUMBER_NOT_SUPPORTED"
    sent = send(
        c, phone_numbers="85261234567", sign_name="Alibaba", template_code=code, template_param=CODE
    )
    assert sent.code == "OK"


def test_an_extension_code_belongs_to_one_signature(
    server: Server, setup: tuple[Any, dict[str, str]], account: dict[str, Any]
) -> None:
    c, codes = setup
    add_sign(server, c, account, "第二签名")
    first = send(
        c, template_code=codes["verification"], template_param=CODE, sms_up_extend_code="99"
    )
    assert first.code == "OK"
    call = lambda: send(  # noqa: E731
        c,
        sign_name="第二签名",
        template_code=codes["verification"],
        template_param=CODE,
        sms_up_extend_code="99",
        phone_numbers="13800138001",
    )
    assert refused(server, call)[0] == "isv.EXTEND_CODE_ERROR"


def test_balance_and_account_state(
    server: Server, setup: tuple[Any, dict[str, str]], account: dict[str, Any]
) -> None:
    c, codes = setup

    def call() -> Any:
        return send(c, template_code=codes["verification"], template_param=CODE)

    server.run(lambda rt: rt.repository.change_sending(account["id"], balance=0, frequency=None))
    code, message = refused(server, call)
    assert (code, message.split(" ")[0]) == ("isv.AMOUNT_NOT_ENOUGH", "账户余额不足")
    server.run(lambda rt: rt.repository.change_sending(account["id"], balance=10, frequency=None))
    assert call().code == "OK"
    server.set_account(account["id"], arrears=True)
    assert refused(server, call)[0] == "isv.OUT_OF_SERVICE"
    server.set_account(account["id"], arrears=False, ip_allow=["203.0.113.7"])
    assert refused(server, call)[0] == "isv.ACCOUNT_ABNORMAL"


def test_individual_accounts_send_no_promotions(server: Server) -> None:
    account = server.create_account(individual=True)
    c = tea(server, account)
    ready(server, c, account)
    promotion = add_template(server, c, "${name}，双11全场五折，回T退订", kind=2)
    call = lambda: send(c, template_code=promotion, template_param='{"name": "张三"}')  # noqa: E731
    assert refused(server, call)[0] == "isv.SMS_TEMPLATE_ILLEGAL"


def batch(c: Any, code: str, phones: list[str], signs: list[str], params: Any = None) -> Any:
    request = m.SendBatchSmsRequest(
        phone_number_json=json.dumps(phones),
        sign_name_json=json.dumps(signs),
        template_code=code,
        template_param_json=None if params is None else json.dumps(params),
    )
    return c.send_batch_sms(request).body


def test_batch_refusals(server: Server, setup: tuple[Any, dict[str, str]]) -> None:
    c, codes = setup
    v = codes["verification"]
    many = [f"138{n:08d}" for n in range(101)]
    cases = [
        (lambda: batch(c, v, many, ["阿里云"] * 101), "isv.MOBILE_COUNT_OVER_LIMIT"),
        (lambda: batch(c, v, [NUMBER], ["阿里云", "阿里云"]), "isv.INVALID_PARAMETERS"),
        (
            lambda: batch(c, v, [NUMBER], ["阿里云"], [{"code": "1234"}] * 2),
            "isv.INVALID_PARAMETERS",
        ),
        (lambda: batch(c, v, [NUMBER], ["阿里云"], {"code": "1234"}), "isv.INVALID_JSON_PARAM"),
        (lambda: batch(c, v, [NUMBER], ["阿里云"], [{"code": 1}]), "isv.INVALID_JSON_PARAM"),
        (lambda: batch(c, v, [], []), "isv.INVALID_PARAMETERS"),
        (
            lambda: batch(c, v, [NUMBER, "1"], ["阿里云"] * 2, [{"code": "1234"}] * 2),
            "isv.MOBILE_NUMBER_ILLEGAL",
        ),
        (lambda: batch(c, v, [NUMBER], ["别的"], [{"code": "1234"}]), "isv.SMS_SIGNATURE_ILLEGAL"),
        (lambda: batch(c, v, [NUMBER], ["阿里云"]), "isv.TEMPLATE_MISSING_PARAMETERS"),
    ]
    for call, code in cases:
        assert refused(server, call)[0] == code


def test_query_refusals(server: Server, setup: tuple[Any, dict[str, str]]) -> None:
    c, _ = setup

    def details(**fields: Any) -> Any:
        values = {"phone_number": NUMBER, "send_date": today(), "page_size": 10, "current_page": 1}
        values.update(fields)
        return c.query_send_details(m.QuerySendDetailsRequest(**values)).body

    def statistics(**fields: Any) -> Any:
        values = {"is_globe": 1, "start_date": today(), "end_date": today(), "page_index": 1,
                  "page_size": 10}  # fmt: skip
        values.update(fields)
        return c.query_send_statistics(m.QuerySendStatisticsRequest(**values)).body

    cases = [
        (lambda: details(send_date="2026-12-04"), "isv.INVALID_PARAMETERS"),
        (lambda: details(send_date="20200101"), "isv.INVALID_PARAMETERS"),
        (lambda: details(page_size=51), "isv.INVALID_PARAMETERS"),
        (lambda: details(current_page=0), "isv.INVALID_PARAMETERS"),
        (lambda: details(phone_number="123"), "isv.MOBILE_NUMBER_ILLEGAL"),
        (lambda: statistics(is_globe=3), "isv.INVALID_PARAMETERS"),
        (lambda: statistics(start_date="20261231", end_date="20261201"), "isv.INVALID_PARAMETERS"),
        (lambda: statistics(template_type=5), "isv.INVALID_PARAMETERS"),
    ]
    for call, code in cases:
        assert refused(server, call)[0] == code
