"""What the sending tests share: an approved signature and template made through the Tea
client and reviewed by the operator, and the China-time day a message is queried by."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from alibabacloud_dysmsapi20170525 import models as m

from smssign.dialects.aliyun import views
from tests.conftest import Server
from tests.samples import PNG_B64

CHINA = timezone(timedelta(hours=8))
VERIFICATION = "您的验证码为${code}，5分钟内有效。"
NOTICE = "尊敬的${name}，您的订单${order}已发货。"


def today() -> str:
    return datetime.now(CHINA).strftime("%Y%m%d")


def sign_id(server: Server, account: dict[str, Any], name: str) -> int:
    async def find(rt: Any) -> int:
        listed, _ = await rt.signatures.page(await rt.accounts.get(account["id"]))
        return int(next(s.id for s in listed if s.name == name))

    return server.run(find)


def add_sign(
    server: Server,
    c: Any,
    account: dict[str, Any],
    name: str,
    *,
    usage: int = 1,
    review: str = "approved",
) -> None:
    """A signature through AddSmsSign, then reviewed (`review` "" leaves it pending)."""
    files = [m.AddSmsSignRequestSignFileList(file_contents=PNG_B64, file_suffix="png")]
    added = c.add_sms_sign(
        m.AddSmsSignRequest(
            sign_name=name, sign_source=1, remark="r", sign_file_list=files, sign_type=usage
        )
    ).body
    assert added.code == "OK", added
    if review:
        reason = "材料不清晰" if review == "rejected" else ""
        server.review(sign_id(server, account, name), review, reason)


def add_template(
    server: Server, c: Any, content: str, *, kind: int = 0, review: str = "approved"
) -> str:
    """A template through AddSmsTemplate, then reviewed; its TemplateCode."""
    added = c.add_sms_template(
        m.AddSmsTemplateRequest(
            template_type=kind, template_name="发送模板", template_content=content, remark="r"
        )
    ).body
    assert added.code == "OK", added
    code: str = added.template_code
    if review:
        template_id = views.template_id(code)
        assert template_id is not None
        server.review_template(template_id, review, "变量不规范" if review == "rejected" else "")
    return code


def ready(server: Server, c: Any, account: dict[str, Any], sign: str = "阿里云") -> dict[str, str]:
    """An approved signature `sign`, and an approved verification and notice template."""
    add_sign(server, c, account, sign)
    return {
        "verification": add_template(server, c, VERIFICATION, kind=0),
        "notice": add_template(server, c, NOTICE, kind=1),
    }


def reported(
    c: Any, phone: str, biz_id: str | None = None, *, size: int = 10, page: int = 1
) -> Any:
    """QuerySendDetails for today once simulated delivery has decided every message shown
    (delivery runs beside the request, a moment after the send)."""
    deadline = time.monotonic() + 10
    while True:
        request = m.QuerySendDetailsRequest(
            phone_number=phone, send_date=today(), page_size=size, current_page=page, biz_id=biz_id
        )
        body = c.query_send_details(request).body
        shown = body.sms_send_detail_dtos.sms_send_detail_dto
        if all(d.send_status != 1 for d in shown) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def settled(server: Server, timeout: float = 10.0) -> None:
    """Wait until simulated delivery has decided every message that is due, so that the
    events it writes do not land inside a test's before/after comparison."""
    from sqlalchemy import text

    async def undecided() -> int:
        async with server._counting_engine().connect() as conn:
            query = text(
                "SELECT count(*) FROM messages WHERE status = 'pending' AND due_at IS NOT NULL"
            )
            return int((await conn.execute(query)).scalar_one())

    deadline = time.monotonic() + timeout
    while asyncio.run(undecided()) and time.monotonic() < deadline:
        time.sleep(0.05)
