"""tencentcloud-sdk-python end to end over HTTP: all four request styles, both versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20190711 import models as models19
from tencentcloud.sms.v20190711 import sms_client as client19
from tencentcloud.sms.v20210111 import models as models21
from tencentcloud.sms.v20210111 import sms_client as client21

from tests.conftest import Server
from tests.samples import JPEG_B64, OTHER_PNG_B64, PNG_B64

STYLES = {
    "tc3-post": ("POST", "TC3-HMAC-SHA256"),
    "tc3-get": ("GET", "TC3-HMAC-SHA256"),
    "v1-post-sha256": ("POST", "HmacSHA256"),
    "v1-get-sha1": ("GET", "HmacSHA1"),
}
VERSIONS = ["2019-07-11", "2021-01-11"]


class Sms:
    """One SDK client plus the version-specific names, so tests read the same for both."""

    def __init__(self, server: Server, account: dict[str, Any], style: str, version: str) -> None:
        method, sign_method = STYLES[style]
        http = HttpProfile(protocol="http", endpoint=f"127.0.0.1:{server.port}", reqMethod=method)
        profile = ClientProfile(httpProfile=http, signMethod=sign_method)
        cred = credential.Credential(
            account["tencent"]["secret_id"], account["tencent"]["secret_key"]
        )
        self.version = version
        if version == "2019-07-11":
            self.client: Any = client19.SmsClient(cred, "", profile)
            self.models: Any = models19
            self.purpose = "UsedMethod"
        else:
            self.client = client21.SmsClient(cred, "ap-guangzhou", profile)
            self.models = models21
            self.purpose = "SignPurpose"

    def call(self, action: str, **params: Any) -> Any:
        request = getattr(self.models, f"{action}Request")()
        request.from_json_string(json.dumps(params))
        return getattr(self.client, action)(request)

    def add(self, name: str, **overrides: Any) -> Any:
        params = {
            "SignName": name,
            "SignType": 0,
            "DocumentType": 1,
            "International": 0,
            self.purpose: 0,
            "ProofImage": PNG_B64,
            "Remark": "for tests",
            **overrides,
        }
        return self.call("AddSmsSign", **params)

    def modify(self, sign_id: int, name: str, **overrides: Any) -> Any:
        params = {
            "SignId": sign_id,
            "SignName": name,
            "SignType": 0,
            "DocumentType": 0,
            "International": 0,
            self.purpose: 1,
            "ProofImage": OTHER_PNG_B64,
            "CommissionImage": JPEG_B64,
            **overrides,
        }
        return self.call("ModifySmsSign", **params)

    def describe(self, *ids: int, international: int = 0) -> list[Any]:
        return list(
            self.call(
                "DescribeSmsSignList", SignIdSet=list(ids), International=international
            ).DescribeSignListStatusSet
        )

    def error(self, fn: Callable[[], Any]) -> str:
        with pytest.raises(TencentCloudSDKException) as caught:
            fn()
        assert caught.value.get_request_id(), "every error carries a RequestId"
        return str(caught.value.get_code())


@pytest.fixture(params=[(s, v) for s in STYLES for v in VERSIONS], ids=lambda p: f"{p[0]}-{p[1]}")
def sms(request: pytest.FixtureRequest, server: Server, account: dict[str, Any]) -> Sms:
    style, version = request.param
    return Sms(server, account, style, version)


def test_full_lifecycle(sms: Sms, server: Server) -> None:
    added = sms.add("腾讯云短信")
    sign_id = added.AddSignStatus.SignId
    assert isinstance(sign_id, int)
    wire = json.loads(added.to_json_string())["AddSignStatus"]
    if sms.version == "2019-07-11":
        assert isinstance(wire["SignApplyId"], int)
    else:
        assert "SignApplyId" not in wire

    (entry,) = sms.describe(sign_id)
    assert (entry.SignId, entry.SignName, entry.StatusCode, entry.International) == (
        sign_id,
        "腾讯云短信",
        1,
        0,
    )
    assert entry.ReviewReply == ""
    assert entry.CreateTime > 1_600_000_000

    modified = sms.modify(sign_id, "腾讯云二")
    assert modified.ModifySignStatus.SignId == sign_id
    if sms.version == "2019-07-11":
        apply_id = modified.ModifySignStatus.SignApplyId
        assert isinstance(apply_id, str) and int(apply_id) > added.AddSignStatus.SignApplyId

    server.reject(sign_id, "证明材料不清晰")
    (entry,) = sms.describe(sign_id)
    assert (entry.StatusCode, entry.ReviewReply, entry.SignName) == (
        -1,
        "证明材料不清晰",
        "腾讯云二",
    )

    # A rejected signature may be modified; that starts a new review.
    sms.modify(sign_id, "腾讯云三")
    (entry,) = sms.describe(sign_id)
    assert (entry.StatusCode, entry.ReviewReply, entry.SignName) == (1, "", "腾讯云三")

    server.approve(sign_id)
    assert sms.describe(sign_id)[0].StatusCode == 0
    assert sms.error(lambda: sms.modify(sign_id, "腾讯云四")) == (
        "InvalidParameterValue.SignAlreadyPassedCheck"
    )
    assert sms.describe(sign_id)[0].SignName == "腾讯云三"

    deleted = sms.call("DeleteSmsSign", SignId=sign_id).DeleteSignStatus
    assert deleted.DeleteStatus == "return successfully!"
    assert isinstance(deleted.DeleteTime, int)
    assert sms.describe(sign_id) == []
    assert sms.error(lambda: sms.call("DeleteSmsSign", SignId=sign_id)) == (
        "FailedOperation.SignIdNotExist"
    )


def test_filing_is_status_two_and_locked(sms: Sms, server: Server) -> None:
    sign_id = sms.add("报备测试").AddSignStatus.SignId
    server.file(sign_id)
    assert sms.describe(sign_id)[0].StatusCode == 2
    assert sms.error(lambda: sms.modify(sign_id, "报备测试二")) == (
        "InvalidParameterValue.SignAlreadyPassedCheck"
    )
    server.approve(sign_id)
    assert sms.describe(sign_id)[0].StatusCode == 0


def test_describe_keeps_request_order_and_skips_unknown_and_other_scope(sms: Sms) -> None:
    first = sms.add("顺序一").AddSignStatus.SignId
    second = sms.add("顺序二").AddSignStatus.SignId
    overseas = sms.add("Overseas", International=1).AddSignStatus.SignId
    listed = sms.describe(second, 987654321, first, overseas)
    assert [e.SignId for e in listed] == [second, first]
    assert [e.SignId for e in sms.describe(overseas, international=1)] == [overseas]


def test_foreign_signature_looks_unknown(sms: Sms, server: Server) -> None:
    other = Sms(server, server.create_account(), "tc3-post", sms.version)
    foreign = other.add("别人的签名").AddSignStatus.SignId
    assert sms.describe(foreign) == []
    assert sms.error(lambda: sms.modify(foreign, "抢来的")) == (
        "FailedOperation.MissingSignatureToModify"
    )
    assert sms.error(lambda: sms.call("DeleteSmsSign", SignId=foreign)) == (
        "FailedOperation.SignIdNotExist"
    )
    assert other.describe(foreign)[0].SignName == "别人的签名"


def test_paging_2021(server: Server, account: dict[str, Any]) -> None:
    sms = Sms(server, account, "tc3-post", "2021-01-11")
    ids = [sms.add(f"分页签名{i}").AddSignStatus.SignId for i in range(5)]
    page = sms.call("DescribeSmsSignList", International=0, Limit=2, Offset=1)
    assert [e.SignId for e in page.DescribeSignListStatusSet] == ids[1:3]
    everything = sms.call("DescribeSmsSignList", International=0)
    assert [e.SignId for e in everything.DescribeSignListStatusSet] == ids
    assert sms.error(lambda: sms.call("DescribeSmsSignList", International=0, Limit=101)) == (
        "InvalidParameterValue.LimitVerifyFail"
    )
    assert (
        sms.error(
            lambda: sms.call("DescribeSmsSignList", International=0, SignIdSet=list(range(1, 102)))
        )
        == "InvalidParameterValue.LimitVerifyFail"
    )


def test_qualification_is_described(server: Server, account: dict[str, Any]) -> None:
    from smssign.core.model import QualificationStatus

    approved = server.run(
        lambda rt: rt.accounts.add_qualification(account["id"], "某某科技有限公司")
    )
    pending = server.run(
        lambda rt: rt.accounts.add_qualification(
            account["id"], "待审公司", QualificationStatus.PENDING
        )
    )
    sms = Sms(server, account, "tc3-post", "2021-01-11")
    sign_id = sms.add("资质签名", QualificationId=approved.id).AddSignStatus.SignId
    (entry,) = sms.describe(sign_id)
    assert (entry.QualificationId, entry.QualificationName, entry.QualificationStatusCode) == (
        approved.id,
        "某某科技有限公司",
        1,
    )
    assert sms.error(lambda: sms.add("资质签名二", QualificationId=pending.id)) == (
        "FailedOperation.QualificationIdNotApproved"
    )
    assert sms.error(lambda: sms.add("资质签名三", QualificationId=approved.id + 1000)) == (
        "InvalidParameterValue.QualificationIdNotFound"
    )


def test_english_and_chinese_messages(server: Server, account: dict[str, Any]) -> None:
    sms = Sms(server, account, "tc3-post", "2021-01-11")
    sms.client.profile.language = "en-US"
    with pytest.raises(TencentCloudSDKException) as caught:
        sms.call("DeleteSmsSign", SignId=123456789)
    assert "does not exist" in caught.value.get_message()
    sms.client.profile.language = "zh-CN"
    with pytest.raises(TencentCloudSDKException) as caught:
        sms.call("DeleteSmsSign", SignId=123456789)
    assert "不存在" in caught.value.get_message()
