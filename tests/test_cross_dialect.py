"""One account, three faces: a signature made through one dialect is the same in the others,
and each dialect's credential can be rotated on its own."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client
from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

from smssign.client import PENDING, LegacySignClient, LegacySmsError
from tests.conftest import Server
from tests.samples import OTHER_PNG_B64, PNG_B64


def tencent(server: Server, secret_id: str, secret_key: str) -> Any:
    http = HttpProfile(protocol="http", endpoint=f"127.0.0.1:{server.port}")
    return sms_client.SmsClient(
        credential.Credential(secret_id, secret_key),
        "ap-guangzhou",
        ClientProfile(httpProfile=http),
    )


def tencent_call(client: Any, action: str, **params: Any) -> Any:
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    return getattr(client, action)(request)


@pytest.fixture
def legacy(server: Server) -> Iterator[Callable[[int, str], LegacySignClient]]:
    """Makes legacy clients for the server and closes them after the test."""
    made: list[LegacySignClient] = []

    def connect(sdkappid: int, appkey: str) -> LegacySignClient:
        made.append(LegacySignClient(sdkappid, appkey, base_url=server.url))
        return made[-1]

    yield connect
    for client in made:
        client.close()


Legacy = Callable[[int, str], LegacySignClient]


def yunpian(server: Server, apikey: str) -> Any:
    return YunpianClient(apikey, conf={YC.YP_SIGN_HOST: server.url})


def cli(server: Server, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "smssign", *args, "--json", "--database", server.database_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture
def faces(server: Server) -> dict[str, Any]:
    """An account made by `smssign accounts create --json`, as a user would make it."""
    return cli(
        server, "accounts", "create", f"faces-{id(server)}-{server.port}-{next(server._names)}"
    )


def test_accounts_create_json_has_all_three_credentials(faces: dict[str, Any]) -> None:
    assert isinstance(faces["legacy"]["sdkappid"], int) and faces["legacy"]["appkey"]
    assert isinstance(faces["yunpian"]["apikey"], str) and faces["yunpian"]["apikey"]
    assert faces["tencent"]["secret_id"].startswith("AKID")


def test_add_via_yunpian_modify_via_tencent_read_via_legacy(
    server: Server, faces: dict[str, Any], legacy: Legacy
) -> None:
    yp = yunpian(server, faces["yunpian"]["apikey"])
    assert yp.sign().add({YC.SIGN: "云片跨界", YC.INDUSTRYTYPE: "金融"}).code() == 0
    [listed] = yp.sign().get({YC.SIGN: "【云片跨界】"}).data()
    sms = legacy(faces["legacy"]["sdkappid"], faces["legacy"]["appkey"])
    page = sms.get_sign_page()
    [record] = page.records
    assert (
        record.text == "云片跨界" and record.status == PENDING and listed["sign"] == "【云片跨界】"
    )

    v3 = tencent(server, faces["tencent"]["secret_id"], faces["tencent"]["secret_key"])
    modified = tencent_call(
        v3,
        "ModifySmsSign",
        SignId=record.id,
        SignName="腾讯改过",
        SignType=0,
        DocumentType=1,
        International=0,
        SignPurpose=0,
        ProofImage=PNG_B64,
    )
    assert modified.ModifySignStatus.SignId == record.id
    [after] = sms.get_sign(record.id)
    assert (after.id, after.text, after.status) == (record.id, "腾讯改过", PENDING)
    # Tencent knows nothing of Yunpian's industry; its modify must not wipe it.
    [yunpian_view] = yp.sign().get({YC.SIGN: "【腾讯改过】"}).data()
    assert yunpian_view["industry_type"] == "金融"
    # Yunpian finds it by its new text, with or without brackets.
    assert yp.sign().update({YC.OLD_SIGN: "腾讯改过", YC.SIGN: "云片又改"}).code() == 0
    assert yp.sign().update({YC.OLD_SIGN: "【云片又改】", YC.SIGN: "云片三改"}).code() == 0
    described = tencent_call(v3, "DescribeSmsSignList", SignIdSet=[record.id], International=0)
    assert described.DescribeSignListStatusSet[0].SignName == "云片三改"


def test_legacy_modify_keeps_what_tencent_submitted(
    server: Server, faces: dict[str, Any], legacy: Legacy
) -> None:
    v3 = tencent(server, faces["tencent"]["secret_id"], faces["tencent"]["secret_key"])
    added = tencent_call(
        v3,
        "AddSmsSign",
        SignName="腾讯原样",
        SignType=0,
        DocumentType=1,
        International=0,
        SignPurpose=1,
        ProofImage=PNG_B64,
        CommissionImage=OTHER_PNG_B64,
    )
    sign_id = added.AddSignStatus.SignId
    legacy(faces["legacy"]["sdkappid"], faces["legacy"]["appkey"]).mod_sign(sign_id, "传统改名")
    signature = server.run(lambda rt: rt.repository.signature(sign_id))
    assert signature is not None and signature.name == "传统改名"
    assert (signature.sign_type, signature.document_type, signature.purpose) == (0, 1, 1)
    assert signature.commission_image is not None and len(signature.proof_images) == 1


def test_yunpian_and_legacy_change_pending_and_refuse_approved(
    server: Server, faces: dict[str, Any], legacy: Legacy
) -> None:
    yp = yunpian(server, faces["yunpian"]["apikey"])
    sms = legacy(faces["legacy"]["sdkappid"], faces["legacy"]["appkey"])
    added = sms.add_sign("待审签名")
    assert yp.sign().update({YC.OLD_SIGN: "待审签名", YC.SIGN: "云片改过"}).code() == 0
    assert sms.mod_sign(added.id, "传统改过").text == "传统改过"
    server.approve(added.id)
    refused = yp.sign().update({YC.OLD_SIGN: "传统改过", YC.SIGN: "不能再改"})
    assert refused.code() == 2 and "签名审核成功或报备中" in refused.detail()
    with pytest.raises(LegacySmsError) as caught:
        sms.mod_sign(added.id, "不能再改")
    assert caught.value.result == 1007
    assert sms.get_sign(added.id)[0].text == "传统改过"


def test_rotating_each_dialect_revokes_only_its_old_credential(
    server: Server, faces: dict[str, Any], legacy: Legacy
) -> None:
    old_legacy, old_yunpian, old_tencent = faces["legacy"], faces["yunpian"], faces["tencent"]

    rotated = cli(server, "accounts", "rotate", str(faces["id"]), "--dialect", "legacy")
    new_legacy = rotated["legacy"]
    assert (
        new_legacy["sdkappid"] == old_legacy["sdkappid"]
        and new_legacy["appkey"] != old_legacy["appkey"]
    )
    assert legacy(new_legacy["sdkappid"], new_legacy["appkey"]).get_sign([]) == []
    with pytest.raises(LegacySmsError) as refused:
        legacy(old_legacy["sdkappid"], old_legacy["appkey"]).get_sign([])
    assert refused.value.result == 1001
    # The other dialects' credentials still work.
    assert yunpian(server, old_yunpian["apikey"]).sign().get().code() == 0

    new_yunpian = cli(server, "accounts", "rotate", str(faces["id"]), "--dialect", "yunpian")[
        "yunpian"
    ]
    assert new_yunpian["apikey"] != old_yunpian["apikey"]
    assert yunpian(server, new_yunpian["apikey"]).sign().get().code() == 0
    assert yunpian(server, old_yunpian["apikey"]).sign().get().code() == -1

    new_tencent = cli(server, "accounts", "rotate", str(faces["id"]), "--dialect", "tencent")[
        "tencent"
    ]
    assert new_tencent["secret_id"] != old_tencent["secret_id"]
    fresh = tencent(server, new_tencent["secret_id"], new_tencent["secret_key"])
    assert (
        tencent_call(fresh, "DescribeSmsSignList", International=0).DescribeSignListStatusSet == []
    )
    stale = tencent(server, old_tencent["secret_id"], old_tencent["secret_key"])
    with pytest.raises(TencentCloudSDKException) as denied:
        tencent_call(stale, "DescribeSmsSignList", International=0)
    assert denied.value.code == "AuthFailure.SecretIdNotFound"
