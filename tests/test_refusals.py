"""Nothing refused leaves a trace: no image on disk, no row, whatever the dialect.

Regression tests for two findings: refused submissions left their images in the blob
store (24 refused calls, 30 files, 0 rows), and a remark had no length limit (a 9 MB
remark was accepted and copied into every application and event).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
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

from smssign.app.runtime import Runtime, sweep_blobs
from smssign.client import LegacySignClient, LegacySmsError
from smssign.core import images
from smssign.core.ports import SweepableBlobs
from tests.backoffice import smssign
from tests.conftest import Server
from tests.samples import png

NINE_MB = "x" * (9 * 1000 * 1000)
"""Nine megabytes, within every dialect's body limit (clients escape non-ASCII in JSON)."""


def blob_files(server: Server) -> set[str]:
    root = server.data_dir / "blobs"
    return {p.name for p in root.glob("??/??/*")} if root.is_dir() else set()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


_colors = iter(range(1, 10_000))


def fresh_image() -> bytes:
    """An image no other request sent: its digest is new to the blob store."""
    n = next(_colors)
    return png(color=(n % 256, (n // 256) % 256, 77))


def tencent(server: Server, account: dict[str, Any]) -> sms_client.SmsClient:
    http = HttpProfile(protocol="http", endpoint=f"127.0.0.1:{server.port}", reqTimeout=120)
    return sms_client.SmsClient(
        credential.Credential(account["tencent"]["secret_id"], account["tencent"]["secret_key"]),
        "ap-guangzhou",
        ClientProfile(httpProfile=http),
    )


def call(client: sms_client.SmsClient, action: str, **params: Any) -> Any:
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    return getattr(client, action)(request)


def refused_code(client: sms_client.SmsClient, action: str, **params: Any) -> str:
    with pytest.raises(TencentCloudSDKException) as caught:
        call(client, action, **params)
    return str(caught.value.code)


def submission(name: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "SignName": name,
        "SignType": 0,
        "DocumentType": 1,
        "International": 0,
        "SignPurpose": 0,
        "ProofImage": b64(fresh_image()),
    }
    fields.update(changes)
    return fields


@pytest.fixture
def legacy(server: Server, account: dict[str, Any]) -> Iterator[LegacySignClient]:
    with LegacySignClient(
        account["legacy"]["sdkappid"], account["legacy"]["appkey"], base_url=server.url
    ) as client:
        yield client


def test_refused_submissions_with_images_leave_no_blob_files(
    server: Server, account: dict[str, Any], legacy: LegacySignClient
) -> None:
    v3 = tencent(server, account)
    pending = call(v3, "AddSmsSign", **submission("已有签名")).AddSignStatus.SignId
    approved = call(v3, "AddSmsSign", **submission("已过签名")).AddSignStatus.SignId
    server.approve(approved)
    yp = YunpianClient(account["yunpian"]["apikey"], conf={YC.YP_SIGN_HOST: server.url})
    before, rows = blob_files(server), server.row_counts()

    codes = [
        # the name is taken (pending, approved)
        refused_code(v3, "AddSmsSign", **submission("已有签名")),
        refused_code(v3, "AddSmsSign", **submission("已过签名")),
        # the qualification is unknown
        refused_code(v3, "AddSmsSign", **submission("资质不明", QualificationId=999_999)),
        # the signature is unknown, changes scope, or is approved
        refused_code(v3, "ModifySmsSign", **submission("无此签名", SignId=999_999)),
        refused_code(
            v3,
            "ModifySmsSign",
            **submission("换范围", SignId=pending, International=1, SignType=0, DocumentType=0),
        ),
        refused_code(v3, "ModifySmsSign", **submission("已过签名", SignId=approved)),
        refused_code(
            v3,
            "ModifySmsSign",
            **submission("已有签名", SignId=approved, CommissionImage=b64(fresh_image())),
        ),
    ]
    assert codes == [
        "InvalidParameterValue.SignExistAndUnapproved",
        "InvalidParameterValue.SignAlreadyPassedCheck",
        "InvalidParameterValue.QualificationIdNotFound",
        "FailedOperation.MissingSignatureToModify",
        "InvalidParameterValue.InvalidInternational",
        "InvalidParameterValue.SignAlreadyPassedCheck",
        "InvalidParameterValue.SignAlreadyPassedCheck",
    ]
    results = []
    attempts: list[Callable[[], object]] = [
        lambda: legacy.add_sign("已有签名", pic=fresh_image()),
        lambda: legacy.mod_sign(approved, "传统改名", pic=fresh_image()),
        lambda: legacy.mod_sign(999_999, "传统改名", pic=fresh_image()),
    ]
    for action in attempts:
        with pytest.raises(LegacySmsError) as caught:
            action()
        results.append(caught.value.result)
    assert results == [1007, 1007, 1007]
    photo = ("front.png", fresh_image(), "image/png")
    for params in (
        {YC.SIGN: "已有签名", "license_base64": "data:image/png;base64," + b64(fresh_image())},
        {YC.OLD_SIGN: "已过签名", YC.SIGN: "云片改名", "id_card_front": photo},
    ):
        reply = yp.sign().add(params) if YC.OLD_SIGN not in params else yp.sign().update(params)
        assert reply.code() != 0, reply.msg()
    # A full account: the quota is checked before the images are stored too.
    server.set_account(account["id"], signature_quota=2)
    assert (
        refused_code(v3, "AddSmsSign", **submission("超出配额"))
        == "FailedOperation.SignNumberLimit"
    )

    assert blob_files(server) == before
    assert server.row_counts() == rows


def test_a_9mb_remark_is_refused_with_each_dialects_error_and_changes_nothing(
    server: Server, account: dict[str, Any], legacy: LegacySignClient
) -> None:
    v3 = tencent(server, account)
    kept = call(v3, "AddSmsSign", **submission("备注上限", Remark="x" * 500)).AddSignStatus
    before, rows = blob_files(server), server.row_counts()

    assert (
        refused_code(v3, "AddSmsSign", **submission("超长备注", Remark=NINE_MB))
        == "InvalidParameterValue"
    )
    assert (
        refused_code(
            v3, "ModifySmsSign", **submission("超长备注", SignId=kept.SignId, Remark=NINE_MB)
        )
        == "InvalidParameterValue"
    )
    assert (
        refused_code(v3, "AddSmsSign", **submission("长一字", Remark="x" * 501))
        == "InvalidParameterValue"
    )
    attempts: list[Callable[[], object]] = [
        lambda: legacy.add_sign("传统超长", remark=NINE_MB, pic=fresh_image()),
        lambda: legacy.mod_sign(kept.SignId, "传统超长", remark=NINE_MB, pic=fresh_image()),
    ]
    for action in attempts:
        with pytest.raises(LegacySmsError) as caught:
            action()
        assert caught.value.result == 1004
        assert "remark" in caught.value.errmsg

    assert blob_files(server) == before
    assert server.row_counts() == rows
    [stored] = legacy.get_sign(kept.SignId)
    assert stored.text == "备注上限"


def test_the_sweep_removes_only_unreferenced_images_past_the_grace_period(
    server: Server, account: dict[str, Any]
) -> None:
    v3 = tencent(server, account)
    shared = fresh_image()
    referenced = hashlib.sha256(shared).hexdigest()
    call(v3, "AddSmsSign", **submission("清扫保留", ProofImage=b64(shared)))
    orphan, recent = fresh_image(), fresh_image()

    def age(digest: str, seconds: float) -> None:
        path = server.data_dir / "blobs" / digest[:2] / digest[2:4] / digest
        then = time.time() - seconds
        os.utime(path, (then, then))

    async def sweep_twice(runtime: Runtime) -> tuple[images.Swept, images.Swept]:
        assert isinstance(runtime.blobs, SweepableBlobs)
        # What a crash between storing an image and committing its row leaves behind:
        await runtime.blobs.put(orphan)
        for digest in blob_files(server):
            age(digest, 2 * images.SWEEP_GRACE)
        await runtime.blobs.put(recent)  # an in-flight request's image, just stored
        return await sweep_blobs(runtime), await sweep_blobs(runtime)

    first, second = server.run(sweep_twice)
    assert first.removed == (hashlib.sha256(orphan).hexdigest(),)
    assert second.removed == ()
    left = blob_files(server)
    assert referenced in left and hashlib.sha256(recent).hexdigest() in left
    assert len(left) == first.kept


def test_blobs_sweep_command_removes_what_nothing_names(server: Server) -> None:
    orphan = fresh_image()
    digest = hashlib.sha256(orphan).hexdigest()
    path = server.data_dir / "blobs" / digest[:2] / digest[2:4] / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orphan)
    then = time.time() - 2 * images.SWEEP_GRACE
    os.utime(path, (then, then))
    done = smssign(server, "blobs", "sweep", "--json", "--data-dir", str(server.data_dir))
    assert json.loads(done.stdout)["removed"] == [digest]
    assert not path.exists()
    again = smssign(server, "blobs", "sweep", "--data-dir", str(server.data_dir))
    assert again.stdout.startswith("removed 0 unreferenced image(s)")
