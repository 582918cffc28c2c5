"""Use cases of API access: who a presented key id belongs to, and whether it may call now.

The gateway asks these for every dialect, so a dialect never reads credentials or
qualifications from the store itself, and the account policy is one rule for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from smssign.core import rules
from smssign.core.model import Account, Credential, Qualification


class CredentialRepository(Protocol):
    async def authenticate(
        self, dialect: str, key_id: str
    ) -> tuple[Credential, Account] | None: ...

    async def qualifications(self, account_id: int) -> list[Qualification]: ...


@dataclass(frozen=True, slots=True)
class Caller:
    """An account and the credential its request presented (with the secret unsealed)."""

    account: Account
    credential: Credential

    @property
    def secret(self) -> str:
        return self.credential.secret


class Access:
    def __init__(self, repository: CredentialRepository) -> None:
        self.repository = repository

    async def authenticate(self, kind: str, key_id: str) -> Caller | None:
        """The caller holding the active credential of `kind` named `key_id`, or None."""
        found = await self.repository.authenticate(kind, key_id)
        if found is None:
            return None
        credential, account = found
        return Caller(account, credential)

    @staticmethod
    def check_policy(account: Account, address: str | None, *, require_enterprise: bool) -> None:
        """Raise NotEnterprise, InArrears or IpNotAllowed when the account may not call now."""
        rules.check_policy(account, address, require_enterprise=require_enterprise)

    async def qualifications(self, account: Account) -> list[Qualification]:
        """The account's qualifications, oldest first."""
        return await self.repository.qualifications(account.id)
