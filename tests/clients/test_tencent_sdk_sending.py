"""tencentcloud-sdk-python end to end over HTTP for SendSms and the four pulls: all four
request styles (TC3 and v1, GET and POST), both versions with their renamed keys and
field oddities, per-number and request-level errors, and every send error code of the
API 3.0 mapping."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from smssign.app.runtime import Runtime
from smssign.core.model import Draft, Image, Status, TemplateType
from smssign.core.templates import TemplateDraft
from tests.clients.test_tencent_sdk import STYLES, VERSIONS, Sms
from tests.conftest import Server, start_server, stop_server
from tests.samples import png

CODE = "您的验证码是{1}，{2}分钟内有效。"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Frequency limits on (the API rate limits are far above what these tests send)."""
    s = start_server(tmp_path_factory.mktemp("sending"), "--testing")
    yield s
    stop_server(s)


def prepare(
    server: Server,
    account: dict[str, Any],
    *,
    content: str = CODE,
    international: bool = False,
    type: TemplateType = TemplateType.VERIFICATION,
    approve: bool = True,
    sign: str = "腾讯云",
) -> int:
    """An approved signature `sign` and a template on the account; the template's id.
    Frequency limits are switched off for the account unless a test switches them on."""

    async def make(rt: Runtime) -> int:
        owner = await rt.repository.account(account["id"])
        assert owner is not None
        image = Image(png(), "PNG", 8, 8)
        draft = Draft(name=sign, sign_type=0, document_type=1, proof_images=(image,),
                      international=international)  # fmt: skip
        try:
            change = await rt.signatures.add(owner, draft, dialect="tencent_v3")
            await rt.signatures.review(change.signature.id, Status.APPROVED)
        except Exception:
            pass
        added = await rt.templates.add(
            owner, TemplateDraft("模板", content, type, international), dialect="tencent_v3"
        )
        if approve:
            await rt.templates.review(added.template.id, Status.APPROVED)
        off = {"tencent.30s": 0, "tencent.1h": 0, "tencent.day": 0}
        await rt.repository.change_sending(owner.id, balance=None, frequency=off)
        return added.template.id

    return server.run(make)


class Sender(Sms):
    """The SDK client with SendSms's parameters spelt for its version."""

    def __init__(self, server: Server, account: dict[str, Any], style: str, version: str) -> None:
        super().__init__(server, account, style, version)
        self.account_id: int = account["id"]
        self.app_id = str(account["legacy"]["sdkappid"])

    def app(self, app_id: str | None = None) -> dict[str, str]:
        key = "SmsSdkAppid" if self.version == "2019-07-11" else "SmsSdkAppId"
        return {key: self.app_id if app_id is None else app_id}

    def send(
        self,
        template_id: int | str,
        *numbers: str,
        params: list[str] | None = None,
        sign: str | None = "腾讯云",
        app_id: str | None = None,
        **extra: Any,
    ) -> list[Any]:
        v2019 = self.version == "2019-07-11"
        fields: dict[str, Any] = {
            "PhoneNumberSet": list(numbers),
            "TemplateID" if v2019 else "TemplateId": str(template_id),
            "TemplateParamSet": ["1234", "5"] if params is None else params,
            **self.app(app_id),
            **extra,
        }
        if sign is not None:
            fields["Sign" if v2019 else "SignName"] = sign
        return list(self.call("SendSms", **fields).SendStatusSet)

    def codes(self, template_id: int | str, *numbers: str, **kwargs: Any) -> list[str]:
        return [entry.Code for entry in self.send(template_id, *numbers, **kwargs)]


@pytest.fixture(params=[(s, v) for s in STYLES for v in VERSIONS], ids=lambda p: f"{p[0]}-{p[1]}")
def sender(request: pytest.FixtureRequest, server: Server) -> Sender:
    style, version = request.param
    return Sender(server, server.create_account(), style, version)


@pytest.fixture(params=VERSIONS)
def v3(request: pytest.FixtureRequest, server: Server) -> Sender:
    return Sender(server, server.create_account(), "tc3-post", request.param)


def inbox(server: Server, **query: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/_smssign/messages", params=query)
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def test_send_answers_each_number_and_stores_what_the_handset_shows(
    sender: Sender, server: Server
) -> None:
    template_id = prepare(server, {"id": sender.account_id})
    first, second = sender.send(
        template_id, "+8613800138000", "13800138001", SessionContext="order-1"
    )
    assert (first.Code, first.Message, first.Fee, first.IsoCode) == ("Ok", "send success", 1, "CN")
    assert first.SessionContext == "order-1" and first.SerialNo.startswith("2433:")
    assert second.PhoneNumber == "+8613800138001" and second.SerialNo != first.SerialNo
    found = inbox(server, mobile="+8613800138001", account_id=str(sender.account_id))
    (message,) = found["messages"]
    assert message["text"] == "【腾讯云】您的验证码是1234，5分钟内有效。"
    assert (message["provider_message_id"], message["dialect"]) == (second.SerialNo, "tencent_v3")
    assert (message["template_id"], message["params"]) == (str(template_id), ["1234", "5"])


def test_one_request_with_good_and_bad_numbers(v3: Sender, server: Server) -> None:
    template_id = prepare(server, {"id": v3.account_id})
    entries = v3.send(template_id, "13800138000", "12345", "+8613900000009")
    assert [e.Code for e in entries] == [
        "Ok",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
    ]
    assert [e.Fee for e in entries] == [1, 0, 0]
    assert [e.SerialNo == "" for e in entries] == [False, True, True]
    assert [e.PhoneNumber for e in entries] == ["+8613800138000", "12345", "+8613900000009"]
    assert v3.codes(template_id, "+14155550100") == [
        "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone"
    ]
    assert inbox(server, account_id=str(v3.account_id))["total"] == 1


def test_a_long_message_is_billed_in_67_character_parts(v3: Sender, server: Server) -> None:
    template_id = prepare(
        server, {"id": v3.account_id}, content="通知{1}", type=TemplateType.NOTIFICATION
    )
    (entry,) = v3.send(template_id, "13800138000", params=["字" * 140])
    assert entry.Fee == 3  # 【腾讯云】 + 2 + 140 = 147 characters: 67 + 67 + 13


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown sign", "FailedOperation.SignatureIncorrectOrUnapproved"),
        ("no sign", "FailedOperation.SignatureIncorrectOrUnapproved"),
        ("unknown template", "FailedOperation.TemplateUnapprovedOrNotExist"),
        ("pending template", "FailedOperation.TemplateIncorrectOrUnapproved"),
        ("too few params", "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"),
        ("empty param", "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"),
        ("too long", "InvalidParameterValue.ContentLengthLimit"),
        ("code not digits", "InvalidParameterValue.TemplateParameterFormatError"),
        ("code too long", "InvalidParameterValue.TemplateParameterFormatError"),
        ("link", "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter"),
        ("global template", "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone"),
        ("balance", "FailedOperation.InsufficientBalanceInSmsPackage"),
    ],
)
def test_every_check_on_all_numbers_answers_each_number(
    v3: Sender, server: Server, case: str, code: str
) -> None:
    owner = {"id": v3.account_id}
    template_id = prepare(server, owner)
    kwargs: dict[str, Any] = {}
    target: int | str = template_id
    if case == "unknown sign":
        kwargs["sign"] = "别人的签名"
    elif case == "no sign":
        kwargs["sign"] = None
    elif case == "unknown template":
        target = 999999
    elif case == "pending template":
        target = prepare(server, owner, approve=False)
    elif case == "too few params":
        kwargs["params"] = ["1234"]
    elif case == "empty param":
        kwargs["params"] = ["1234", ""]
    elif case == "too long":
        kwargs["params"] = ["1" * 490, "5"]
    elif case == "code not digits":
        kwargs["params"] = ["12ab", "5"]
    elif case == "code too long":
        kwargs["params"] = ["1234567", "5"]
    elif case == "link":
        target = prepare(server, owner, content="您的订单{1}已发货", type=TemplateType.NOTIFICATION)
        kwargs["params"] = ["详见 https://example.com/x"]
    elif case == "global template":
        target = prepare(server, owner, international=True, content="Your code is {1}.",
                         sign="腾讯云国际")  # fmt: skip
        kwargs.update(params=["1234"], sign="腾讯云国际")
    elif case == "balance":
        server.run(lambda rt: rt.repository.change_sending(owner["id"], balance=0, frequency=None))
    before = inbox(server, account_id=str(owner["id"]))["total"]
    assert v3.codes(target, "13800138000", "13800138001", **kwargs) == [code, code]
    assert inbox(server, account_id=str(owner["id"]))["total"] == before


def test_frequency_limits_answer_their_own_codes(v3: Sender, server: Server) -> None:
    owner = v3.account_id
    template_id = prepare(server, {"id": owner})

    def limits(**counts: int) -> None:
        changes = {f"tencent.{k.removeprefix('_')}": v for k, v in counts.items()}
        server.run(lambda rt: rt.repository.change_sending(owner, balance=None, frequency=changes))

    limits(_30s=1)
    assert v3.codes(template_id, "13800138000", "13800138000") == [
        "Ok", "LimitExceeded.PhoneNumberThirtySecondLimit",
    ]  # fmt: skip
    limits(_30s=0, _1h=1)
    assert v3.codes(template_id, "13800138000") == ["LimitExceeded.PhoneNumberOneHourLimit"]
    limits(_1h=0, day=1)
    assert v3.codes(template_id, "13800138000") == ["LimitExceeded.PhoneNumberDailyLimit"]
    assert v3.codes(template_id, "13800138001") == ["Ok"]


def test_an_individual_account_may_send_but_not_marketing(server: Server) -> None:
    account = server.create_account(individual=True)
    sender = Sender(server, account, "tc3-post", "2021-01-11")
    notice = prepare(server, account, content="您的订单{1}已发货", type=TemplateType.NOTIFICATION)
    assert sender.codes(notice, "13800138000", params=["A1"]) == ["Ok"]
    marketing = prepare(
        server, account, content="新品{1}上市，拒收请回复R", type=TemplateType.MARKETING
    )
    assert sender.codes(marketing, "13800138000", params=["A1"]) == [
        "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny"
    ]


def test_request_level_errors_go_in_response_error(v3: Sender, server: Server) -> None:
    template_id = prepare(server, {"id": v3.account_id})
    other = server.create_account()
    many = [f"138{n:08d}" for n in range(201)]
    inbox(server)  # earlier tests' reports are written now, not between the counts
    cases: list[tuple[tuple[str, ...], dict[str, Any], str]] = [
        ((), {}, "MissingParameter.EmptyPhoneNumberSet"),
        (tuple(many), {}, "LimitExceeded.PhoneNumberCountLimit"),
        (("13800138000", "+14155550100"), {},
         "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber"),
        (("13800138000",), {"app_id": "1399999999"}, "InvalidParameterValue.SdkAppIdNotExist"),
        (("13800138000",), {"app_id": "app"}, "InvalidParameterValue.SdkAppIdNotExist"),
        (("13800138000",), {"app_id": str(other["legacy"]["sdkappid"])},
         "UnauthorizedOperation.SmsSdkAppIdVerifyFail"),
        (("13800138000",), {"SessionContext": "x" * 600}, "InvalidParameterValue"),
        (("13800138000",), {"ExtendCode": "12a"}, "InvalidParameterValue"),
    ]  # fmt: skip
    before = server.row_counts()
    for numbers, kwargs, code in cases:
        assert v3.error(functools.partial(v3.send, template_id, *numbers, **kwargs)) == code
    assert server.row_counts() == before
    wrong_key = "SmsSdkAppId" if v3.version == "2019-07-11" else "SmsSdkAppid"
    assert v3.error(lambda: v3.client.call_json("SendSms", {
        "PhoneNumberSet": ["13800138000"], wrong_key: v3.app_id,
    })) in ("UnknownParameter", "MissingParameter")  # fmt: skip
    server.set_account(v3.account_id, arrears=True)
    try:
        assert v3.error(lambda: v3.send(template_id, "13800138000")) == (
            "UnauthorizedOperation.ServiceSuspendDueToArrears"
        )
    finally:
        server.set_account(v3.account_id, arrears=False)


def test_extend_code_may_come_as_a_json_number(v3: Sender, server: Server) -> None:
    template_id = prepare(server, {"id": v3.account_id})
    v2019 = v3.version == "2019-07-11"
    body = {
        "PhoneNumberSet": ["13800138000"],
        "TemplateID" if v2019 else "TemplateId": str(template_id),
        "Sign" if v2019 else "SignName": "腾讯云",
        "TemplateParamSet": ["1", "2"],
        "ExtendCode": 12,
        **v3.app(),
    }
    reply = v3.client.call_json("SendSms", body)
    assert reply["Response"]["SendStatusSet"][0]["Code"] == "Ok"


def test_pull_send_status_is_a_queue_with_each_versions_fields(v3: Sender, server: Server) -> None:
    template_id = prepare(server, {"id": v3.account_id})
    v3.send(template_id, "13800138000", "13900000001", SessionContext="ctx")
    inbox(server)  # decides what is due, so the reports exist now
    pulled = v3.call("PullSmsSendStatus", Limit=10, **v3.app()).PullSmsSendStatusSet
    wire = [json.loads(entry.to_json_string()) for entry in pulled]
    by_status = {entry["ReportStatus"]: entry for entry in wire}
    ok, failed = by_status["SUCCESS"], by_status["FAIL"]
    assert (ok["Description"], failed["Description"]) == ("DELIVRD", "UNDELIV")
    if v3.version == "2019-07-11":
        assert (ok["PurePhoneNumber"], ok["PhoneNumber"], ok["NationCode"]) == (
            "+8613800138000", "13800138000", "86",
        )  # fmt: skip
        assert isinstance(ok["UserReceiveTime"], str) and isinstance(ok["UserReceiveUnixTime"], int)
        assert time.strptime(ok["UserReceiveTime"], "%Y-%m-%d %H:%M:%S")
    else:
        assert (ok["PhoneNumber"], ok["SubscriberNumber"], ok["CountryCode"]) == (
            "+8613800138000", "13800138000", "86",
        )  # fmt: skip
        assert isinstance(ok["UserReceiveTime"], int) and ok["SessionContext"] == "ctx"
        assert "PurePhoneNumber" not in ok
    assert list(v3.call("PullSmsSendStatus", Limit=10, **v3.app()).PullSmsSendStatusSet) == []
    begin = "SendDateTime" if v3.version == "2019-07-11" else "BeginTime"
    again = v3.call(
        "PullSmsSendStatusByPhoneNumber",
        PhoneNumber="+8613800138000", Limit=10, Offset=0, **{begin: int(time.time()) - 60},
        **v3.app(),
    ).PullSmsSendStatusSet  # fmt: skip
    assert [entry.SerialNo for entry in again] == [ok["SerialNo"]]


def test_pull_replies_with_each_versions_fields(v3: Sender, server: Server) -> None:
    template_id = prepare(server, {"id": v3.account_id})
    v3.send(template_id, "13800138000", ExtendCode="11")
    answer = httpx.post(
        f"{server.url}/_smssign/replies", json={"mobile": "+8613800138000", "text": "收到了"}
    )
    assert answer.status_code == 201
    (reply,) = v3.call("PullSmsReplyStatus", Limit=10, **v3.app()).PullSmsReplyStatusSet
    wire = json.loads(reply.to_json_string())
    assert (wire["ReplyContent"], wire["ExtendCode"], wire["PhoneNumber"]) == (
        "收到了", "11", "+8613800138000",
    )  # fmt: skip
    if v3.version == "2019-07-11":
        assert wire["Sign"] == "腾讯云" and wire["NationCode"] == "86"
        assert isinstance(wire["ReplyTime"], str) and isinstance(wire["ReplyUnixTime"], int)
    else:
        assert wire["SignName"] == "腾讯云" and wire["SubscriberNumber"] == "13800138000"
        assert isinstance(wire["ReplyTime"], int) and "ReplyUnixTime" not in wire
    assert list(v3.call("PullSmsReplyStatus", Limit=10, **v3.app()).PullSmsReplyStatusSet) == []
    begin = "SendDateTime" if v3.version == "2019-07-11" else "BeginTime"
    by_phone = v3.call(
        "PullSmsReplyStatusByPhoneNumber",
        PhoneNumber="13800138000", Limit=10, Offset=0, **{begin: int(time.time()) - 60},
        **v3.app(),
    ).PullSmsReplyStatusSet  # fmt: skip
    assert [r.ReplyContent for r in by_phone] == ["收到了"]


def test_pull_errors(v3: Sender, server: Server) -> None:
    v2019 = v3.version == "2019-07-11"
    begin, end = ("SendDateTime", "EndDateTime") if v2019 else ("BeginTime", "EndTime")
    now = int(time.time())

    def by_phone(**overrides: Any) -> Any:
        fields = {"PhoneNumber": "+8613800138000", "Limit": 10, "Offset": 0, begin: now - 60,
                  **v3.app(), **overrides}  # fmt: skip
        return v3.call("PullSmsSendStatusByPhoneNumber", **fields)

    before = server.row_counts()
    assert (
        v3.error(lambda: by_phone(**{end: now - 120})) == "InvalidParameterValue.InvalidStartTime"
    )
    assert v3.error(lambda: by_phone(**{begin: now - 8 * 86400})) == (
        "InvalidParameterValue.BeginTimeVerifyFail"
    )
    assert v3.error(lambda: by_phone(**{end: -1})) == "InvalidParameterValue.EndTimeVerifyFail"
    assert (
        v3.error(lambda: by_phone(PhoneNumber="12")) == "InvalidParameterValue.IncorrectPhoneNumber"
    )
    assert v3.error(lambda: by_phone(**v3.app("1399999999"))) == (
        "InvalidParameterValue.SdkAppIdNotExist"
    )
    assert v3.error(lambda: v3.call("PullSmsSendStatus", Limit=101, **v3.app())) == (
        "InvalidParameterValue.LimitVerifyFail"
    )
    assert v3.error(lambda: v3.call("PullSmsReplyStatus", Limit=1)) == "MissingParameter"
    assert server.row_counts() == before
