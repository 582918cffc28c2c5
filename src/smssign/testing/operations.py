"""What a test does behind the API: create accounts, review, inspect, reset, seed.

`Operations` offers the use cases of `smssign.app.sandbox` (which also serve the
`/_smssign/` routes) as plain methods to test code, for the pytest server fixture and the
in-process mock, each of which says how to reach its runtime.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from smssign.app import seed as seeds
from smssign.app.runtime import Runtime
from smssign.app.sandbox import create_account, reset, review, review_template, state
from smssign.core import errors
from smssign.core.messages import MessageStatus, inbox_view
from smssign.core.model import Certification, Status
from smssign.core.ports import MessageFilter

T = TypeVar("T")


class Runner(Protocol):
    """Runs an action on the runtime from the test's thread, wherever the runtime lives."""

    def __call__(self, action: Callable[[Runtime], Awaitable[T]]) -> T: ...


class Operations:
    """Operator actions on a test smssign, as plain (blocking) methods."""

    def __init__(self, runner: Runner, seed: seeds.Seed | None = None) -> None:
        self._runner = runner
        self._seed = seed
        self._made = 0

    def create_account(self, name: str | None = None, individual: bool = False) -> dict[str, Any]:
        """A new account with credentials for every dialect: the same dict `smssign accounts
        create --json` prints (`id`, `name`, `certification`, and one object per credential
        kind, such as `<kind>.<key field>` and `<kind>.<secret field>`; see the README)."""
        if name is None:
            self._made += 1
            name = f"account-{os.getpid()}-{id(self):x}-{self._made}"
        chosen = name
        return self._runner(lambda rt: create_account(rt, chosen, individual=individual))

    def set_account(
        self,
        account_id: int,
        *,
        individual: bool | None = None,
        arrears: bool | None = None,
        ip_allow: list[str] | None = None,
        signature_quota: int | None = None,
    ) -> None:
        """Change what `smssign accounts set` changes; None leaves a setting as it is."""
        certification = None
        if individual is not None:
            certification = Certification.INDIVIDUAL if individual else Certification.ENTERPRISE

        async def update(rt: Runtime) -> None:
            await rt.accounts.update(
                account_id,
                certification=certification,
                arrears=arrears,
                ip_allow=ip_allow,
                signature_quota=signature_quota,
            )

        self._runner(update)

    def approve(self, sign_id: int) -> None:
        """Approve a pending (or filing) signature, like `smssign review approve`."""
        self._runner(lambda rt: review(rt, sign_id, Status.APPROVED))

    def reject(self, sign_id: int, reason: str) -> None:
        """Reject a pending (or filing) signature; `reason` becomes its ReviewReply."""
        self._runner(lambda rt: review(rt, sign_id, Status.REJECTED, reason))

    def file(self, sign_id: int) -> None:
        """Approve a pending signature into carrier filing (报备中; StatusCode 2 in API 3.0)."""
        self._runner(lambda rt: review(rt, sign_id, Status.FILING))

    def approve_template(self, template_id: int) -> None:
        """Approve a pending template (StatusCode 0 in API 3.0)."""
        self._runner(lambda rt: review_template(rt, template_id, Status.APPROVED))

    def reject_template(self, template_id: int, reason: str) -> None:
        """Reject a pending template; `reason` becomes its ReviewReply."""
        self._runner(lambda rt: review_template(rt, template_id, Status.REJECTED, reason))

    def state(self) -> dict[str, list[dict[str, Any]]]:
        """Everything stored, as `GET /_smssign/state` shows it."""
        return self._runner(state)

    def reset(self) -> None:
        """Back to an empty service (plus the seed it started with, if any)."""
        chosen = self._seed
        self._runner(lambda rt: reset(rt, chosen))

    def seed(self, source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
        """Add the accounts and signatures of a seed file (or parsed seed data)."""
        parsed = seeds.load(source)
        return self._runner(lambda rt: seeds.apply(rt, parsed))

    # --- messages (the inbox of `/_smssign/messages`, same dicts) ----------------------

    def messages(self, mobile: str | None = None) -> list[dict[str, Any]]:
        """Every message sent (to `mobile`, any form of the number), newest first, as
        `GET /_smssign/messages` shows them (keys in the README)."""

        async def read(rt: Runtime) -> list[dict[str, Any]]:
            await _decide_due(rt)
            number = _e164(mobile) if mobile else None
            found, _ = await rt.sending.messages(MessageFilter(mobile=number), limit=10_000)
            return [inbox_view(m) for m in found]

        return self._runner(read)

    def latest_message(self, mobile: str, wait: float = 0.0) -> dict[str, Any] | None:
        """The newest message to `mobile`, or None; `wait` seconds (at most 30) for one to
        arrive when there is none yet."""

        async def read(rt: Runtime) -> dict[str, Any] | None:
            await _decide_due(rt)
            found = await rt.sending.latest(mobile, wait=wait)
            if found is not None and found.status is MessageStatus.PENDING:
                await _decide_due(rt)
                found = await rt.repository.message(found.id) or found
            return inbox_view(found) if found is not None else None

        return self._runner(read)

    def set_message_status(
        self, id: str | int, status: str, error_code: str | None = None
    ) -> dict[str, Any]:
        """Set a message's outcome (`delivered` or `failed` with a receipt code); its
        status report follows as if the carrier had sent it."""
        chosen = MessageStatus(status)

        async def change(rt: Runtime) -> dict[str, Any]:
            return inbox_view(await rt.sending.set_status(int(id), chosen, error_code))

        return self._runner(change)

    def set_callbacks(
        self, account_id: int, provider: str, status_url: str, reply_url: str | None = None
    ) -> dict[str, Any]:
        """What `smssign callbacks set` does: push the account's status reports (and
        replies) of `provider` to these URLs. Only a server pushes (`smssign_server`); the
        in-process mock runs no delivery worker."""

        async def change(rt: Runtime) -> dict[str, Any]:
            from smssign.backoffice.services import open_backoffice

            async with open_backoffice(rt) as backoffice:
                found = await backoffice.callbacks.set(
                    account_id, provider, status_url=status_url, reply_url=reply_url
                )
            return found.snapshot()

        return self._runner(change)

    def reply(self, mobile: str, text: str, account_id: int | None = None) -> dict[str, Any]:
        """A handset's reply (MO) to the latest message to `mobile` (or to `account_id`)."""

        async def send(rt: Runtime) -> dict[str, Any]:
            made = await rt.sending.reply(mobile, text, account_id=account_id)
            return {
                "id": str(made.id),
                "account_id": made.account_id,
                "mobile": made.mobile,
                "text": made.text,
                "sign": made.sign,
                "extend": made.extend,
                "message_id": None if made.message_id is None else str(made.message_id),
            }

        return self._runner(send)


def _e164(mobile: str) -> str:
    from smssign.core import numbers

    return numbers.normalise(mobile).e164


async def _decide_due(rt: Runtime) -> None:
    """With no delivery delay, decide due messages now, so a test never races delivery."""
    if rt.settings.delivery_delay <= 0:
        with contextlib.suppress(errors.Unavailable):
            await rt.sending.deliver_due()
