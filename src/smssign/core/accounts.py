"""Use cases for tenants: create accounts, change their policy, issue and rotate credentials."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import Protocol

from smssign.core import bounds, errors
from smssign.core.clock import Clock, Randomness
from smssign.core.model import (
    Account,
    Certification,
    Credential,
    Qualification,
    QualificationStatus,
)
from smssign.core.providers import CredentialKind


class AccountTransaction(Protocol):
    async def account(self, account_id: int) -> Account | None: ...

    async def insert_account(
        self, name: str, certification: Certification, at: float
    ) -> Account: ...

    async def save_account(self, account: Account) -> None: ...

    async def insert_credential(
        self, account_id: int, dialect: str, key_id: str, secret: str, at: float
    ) -> Credential:
        """Store a credential of kind `dialect`, kept at rest as that kind declares."""
        ...

    async def revoke_credentials(self, account_id: int, dialect: str, at: float) -> None: ...

    async def insert_qualification(
        self, account_id: int, name: str, status: QualificationStatus
    ) -> Qualification: ...


class AccountRepository(Protocol):
    def account_transaction(self) -> AbstractAsyncContextManager[AccountTransaction]: ...

    async def account(self, account_id: int) -> Account | None: ...

    async def account_named(self, name: str) -> Account | None: ...

    async def accounts(self) -> list[Account]: ...

    async def credentials(self, account_id: int) -> list[Credential]:
        """The account's active credentials."""
        ...


@dataclass(frozen=True, slots=True)
class Issued:
    """An account with the secrets of its active credentials, shown to its owner once."""

    account: Account
    credentials: dict[str, Credential]
    """By credential kind name."""


class AccountService:
    def __init__(
        self,
        repository: AccountRepository,
        clock: Clock,
        randomness: Randomness,
        kinds: Sequence[CredentialKind],
    ) -> None:
        """`kinds`: the credential kinds every new account gets, in this order."""
        self.repository = repository
        self.clock = clock
        self.randomness = randomness
        self.kinds = {kind.name: kind for kind in kinds}

    async def create(self, name: str, *, individual: bool = False) -> Issued:
        name = bounds.account_name(name)
        certification = Certification.INDIVIDUAL if individual else Certification.ENTERPRISE
        now = self.clock.now()
        async with self.repository.account_transaction() as tx:
            account = await tx.insert_account(name, certification, now)
            issued = {
                name: await self._issue(tx, account, kind, now) for name, kind in self.kinds.items()
            }
        return Issued(account, issued)

    async def get(self, account_id: int) -> Account:
        account = await self.repository.account(account_id)
        if account is None:
            raise errors.AccountNotFound(f"no account {account_id}")
        return account

    async def issued(self, account_id: int) -> Issued:
        account = await self.get(account_id)
        creds = await self.repository.credentials(account_id)
        return Issued(account, {c.dialect: c for c in creds})

    async def update(
        self,
        account_id: int,
        *,
        certification: Certification | None = None,
        arrears: bool | None = None,
        ip_allow: Sequence[str] | None = None,
        signature_quota: int | None = None,
    ) -> Account:
        allow = None if ip_allow is None else bounds.ip_allow(ip_allow)
        quota = None if signature_quota is None else bounds.quota(signature_quota)
        async with self.repository.account_transaction() as tx:
            account = await self._locked(tx, account_id)
            changed = replace(
                account,
                certification=certification or account.certification,
                arrears=account.arrears if arrears is None else arrears,
                ip_allow=account.ip_allow if allow is None else allow,
                signature_quota=account.signature_quota if quota is None else quota,
            )
            await tx.save_account(changed)
        return changed

    async def rotate(self, account_id: int, dialect: str) -> Credential:
        """Issue a new credential of kind `dialect` and revoke the old one in the same step.

        KeyError when no registered provider declares that kind.
        """
        kind = self.kinds[dialect]
        now = self.clock.now()
        async with self.repository.account_transaction() as tx:
            account = await self._locked(tx, account_id)
            await tx.revoke_credentials(account.id, kind.name, now)
            return await self._issue(tx, account, kind, now)

    async def add_qualification(
        self, account_id: int, name: str, status: QualificationStatus = QualificationStatus.APPROVED
    ) -> Qualification:
        async with self.repository.account_transaction() as tx:
            account = await self._locked(tx, account_id)
            return await tx.insert_qualification(account.id, name, status)

    @staticmethod
    async def _locked(tx: AccountTransaction, account_id: int) -> Account:
        account = await tx.account(account_id)
        if account is None:
            raise errors.AccountNotFound(f"no account {account_id}")
        return account

    async def _issue(
        self, tx: AccountTransaction, account: Account, kind: CredentialKind, now: float
    ) -> Credential:
        key_id, secret = kind.new(account.id, self.randomness)
        return await tx.insert_credential(account.id, kind.name, key_id, secret, now)
