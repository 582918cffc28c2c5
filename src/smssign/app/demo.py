"""`smssign serve --demo`: one demo account with one pending signature, and commands to try."""

from __future__ import annotations

import base64
import io
import shlex
from dataclasses import dataclass

from smssign.app.runtime import Runtime
from smssign.core.accounts import Issued
from smssign.core.model import Dialect, Draft, Image
from smssign.store.keyring import is_apikey_digest

DEMO_ACCOUNT = "demo"
DEMO_SIGNATURE = "演示签名"


def sample_png(
    width: int = 4, height: int = 4, color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A tiny valid PNG, small enough to paste into a command line."""
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class Demo:
    issued: Issued
    signature_id: int


async def ensure_demo(runtime: Runtime) -> Demo:
    """Create the demo account and its signature the first time; reuse them afterwards."""
    account = await runtime.repository.account_named(DEMO_ACCOUNT)
    if account is None:
        issued = await runtime.accounts.create(DEMO_ACCOUNT)
    else:
        issued = await runtime.accounts.issued(account.id)
    page, _ = await runtime.signatures.page(issued.account, limit=1)
    if page:
        return Demo(issued, page[0].id)
    png = sample_png()
    change = await runtime.signatures.add(
        issued.account,
        Draft(
            name=DEMO_SIGNATURE,
            sign_type=0,
            document_type=1,
            proof_images=(Image(png, "PNG", 4, 4),),
            remark="created by smssign serve --demo",
        ),
        dialect="demo",
    )
    return Demo(issued, change.signature.id)


def instructions(demo: Demo, endpoint: str) -> str:
    tencent = demo.issued.credentials[Dialect.TENCENT]
    proof = base64.b64encode(sample_png(color=(30, 30, 200))).decode()
    env = f"TENCENTCLOUD_SECRET_ID={tencent.key_id} TENCENTCLOUD_SECRET_KEY={tencent.secret}"
    common = f"--endpoint {endpoint} --version 2021-01-11 --region ap-guangzhou"
    modify = (
        f"{env} tccli sms ModifySmsSign {common} --SignId {demo.signature_id} "
        f"--SignName {shlex.quote('演示签名二')} --SignType 0 --DocumentType 1 "
        f"--International 0 --SignPurpose 0 --ProofImage {proof}"
    )
    describe = (
        f"{env} tccli sms DescribeSmsSignList {common} "
        f"--SignIdSet '[{demo.signature_id}]' --International 0"
    )
    lines = [
        f"demo account {demo.issued.account.id} ({demo.issued.account.name})",
        f"  SecretId:  {tencent.key_id}",
        f"  SecretKey: {tencent.secret}",
        f"  demo signature id: {demo.signature_id}",
        *_other_faces(demo),
        "",
        "modify the demo signature with tccli (pip install tccli):",
        f"  {modify}",
        "",
        "then read it back:",
        f"  {describe}",
    ]
    return "\n".join(lines)


def _other_faces(demo: Demo) -> list[str]:
    """The same account's legacy and Yunpian credentials, where they can still be shown."""
    lines: list[str] = []
    legacy = demo.issued.credentials.get(Dialect.LEGACY)
    if legacy is not None:
        lines.append(f"  legacy sdkappid: {legacy.key_id}  appkey: {legacy.secret}")
    yunpian = demo.issued.credentials.get(Dialect.YUNPIAN)
    if yunpian is not None:
        if is_apikey_digest(yunpian.key_id):
            rotate = f"smssign accounts rotate {demo.issued.account.id} --dialect yunpian"
            lines.append(f"  Yunpian apikey: shown only when issued; `{rotate}` makes a new one")
        else:
            lines.append(f"  Yunpian apikey: {yunpian.key_id}")
    return lines
