"""The limits on what operators and tenants type into the back office, checked once.

The console, the admin API, the CLI, auto-review and the testing kit all reach the core's
use cases; these checks run there, so each face refuses the same input with the same
message (`InvalidSubmission.field` and `.reason`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from smssign.core import errors

LONGEST_REASON = 500
"""Characters in a review reason (the applicant reads it as ReviewReply)."""
LONGEST_ACCOUNT_NAME = 200
MOST_QUOTA = 1_000_000
MOST_NETWORKS = 100
"""Networks in one account's IP allow-list."""


def reason(text: str, *, required: bool) -> str:
    """A review reason, stripped; `required` for rejections, which the applicant must read."""
    cleaned = text.strip()
    if required and not cleaned:
        raise errors.InvalidSubmission(
            "reason", "A rejection needs a reason; the applicant will see it"
        )
    if len(cleaned) > LONGEST_REASON:
        raise errors.InvalidSubmission(
            "reason", f"A reason has at most {LONGEST_REASON} characters"
        )
    if _has_control(cleaned, allow_newlines=True):
        raise errors.InvalidSubmission("reason", "A reason may not contain control characters")
    return cleaned


def account_name(text: str) -> str:
    cleaned = text.strip()
    if not 1 <= len(cleaned) <= LONGEST_ACCOUNT_NAME:
        raise errors.InvalidSubmission(
            "name", f"An account name has 1 to {LONGEST_ACCOUNT_NAME} characters"
        )
    if _has_control(cleaned, allow_newlines=False):
        raise errors.InvalidSubmission("name", "An account name may not contain control characters")
    return cleaned


def quota(value: int) -> int:
    # bool is an int subclass; a JSON `true` is not a quota.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MOST_QUOTA:
        raise errors.InvalidSubmission(
            "signature_quota", f"A quota is a whole number from 0 to {MOST_QUOTA}"
        )
    return value


def ip_allow(networks: Sequence[object]) -> tuple[str, ...]:
    """The allow-list as typed (stripped), each entry checked to be an address or CIDR network.

    An empty list removes the restriction. Entries keep their spelling so that what an
    operator set is what `accounts show` prints back.
    """
    if len(networks) > MOST_NETWORKS:
        raise errors.InvalidSubmission(
            "ip_allow", f"An allow-list has at most {MOST_NETWORKS} networks"
        )
    checked: list[str] = []
    for item in networks:
        if not isinstance(item, str):
            raise errors.InvalidSubmission("ip_allow", "Each network must be a string")
        try:
            ipaddress.ip_network(item.strip(), strict=False)
        except ValueError as exc:
            raise errors.InvalidSubmission(
                "ip_allow",
                f"{item[:60]!r} is not an IP network "
                "(that is, not an IP address or network in CIDR form)",
            ) from exc
        checked.append(item.strip())
    return tuple(dict.fromkeys(checked))


def _has_control(text: str, *, allow_newlines: bool) -> bool:
    allowed = "\n\r\t" if allow_newlines else ""
    return any(ord(ch) < 32 and ch not in allowed for ch in text)
