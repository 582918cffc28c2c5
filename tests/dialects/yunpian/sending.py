"""A Yunpian account ready to send: an approved signature and approved templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yunpian_python_sdk.model import constant as YC
from yunpian_python_sdk.ypclient import YunpianClient

from smssign.core.model import Status, TemplateType
from smssign.core.templates import TemplateDraft
from tests.conftest import Server

SIGN = "云片测试"
CODE_TEXT = "您的验证码是{code}，5分钟内有效。"
NOTICE_TEXT = "您的订单{order}已发货，快递单号{number}。"
PENDING_TEXT = "您的积分{points}即将过期。"


@dataclass
class Sender:
    server: Server
    account: dict[str, Any]
    code_id: int
    notice_id: int
    pending_id: int

    @property
    def apikey(self) -> str:
        return str(self.account["yunpian"]["apikey"])

    @property
    def account_id(self) -> int:
        return int(self.account["id"])

    def client(self) -> Any:
        """yunpian-python-sdk pointed at the server for every API group."""
        url = self.server.url
        conf = {YC.YP_SMS_HOST: url, YC.YP_USER_HOST: url, YC.YP_TPL_HOST: url,
                YC.YP_SIGN_HOST: url}  # fmt: skip
        return YunpianClient(self.apikey, conf=conf)

    def set_sending(
        self, *, balance: int | None = None, frequency: dict[str, int] | None = None
    ) -> None:
        """The balance in parts and/or frequency-limit counts by name, for this account."""
        self.server.run(
            lambda rt: rt.repository.change_sending(
                self.account_id, balance=balance, frequency=frequency
            )
        )

    def messages(self) -> list[Any]:
        async def read(rt: Any) -> list[Any]:
            from smssign.core.ports import MessageFilter

            page, _ = await rt.sending.messages(
                MessageFilter(account_id=self.account_id), limit=10_000
            )
            return list(page)

        return self.server.run(read)


def ready(server: Server) -> Sender:
    """A fresh account with signature 云片测试 approved, a verification and a notice template
    approved, and one template left pending."""
    account = server.create_account()

    async def prepare(rt: Any) -> tuple[int, int, int]:
        from smssign.core.model import Draft

        owner = await rt.accounts.get(account["id"])
        change = await rt.signatures.add(owner, Draft(name=SIGN), dialect="yunpian")
        await rt.signatures.review(change.signature.id, Status.APPROVED)
        ids = []
        for content, kind in (
            (CODE_TEXT, TemplateType.VERIFICATION),
            (NOTICE_TEXT, TemplateType.NOTIFICATION),
            (PENDING_TEXT, TemplateType.NOTIFICATION),
        ):
            added = await rt.templates.add(
                owner, TemplateDraft(SIGN, content, kind, False), dialect="yunpian"
            )
            ids.append(added.template.id)
        for template_id in ids[:2]:
            await rt.templates.review(template_id, Status.APPROVED)
        return ids[0], ids[1], ids[2]

    code_id, notice_id, pending_id = server.run(prepare)
    return Sender(server, account, code_id, notice_id, pending_id)
