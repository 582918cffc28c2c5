"""What a test does behind the API: create accounts, review, inspect, reset, seed.

`Operations` offers the use cases of `smssign.app.sandbox` (which also serve the
`/_smssign/` routes) as plain methods to test code, for the pytest server fixture and the
in-process mock, each of which says how to reach its runtime.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

from smssign.app import seed as seeds
from smssign.app.runtime import Runtime
from smssign.app.sandbox import create_account, reset, review, review_template, state
from smssign.core.model import Certification, Status

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
