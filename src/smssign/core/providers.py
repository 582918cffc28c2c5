"""What the rest of smssign may know about a provider: the facts its dialect folder declares.

The core names no provider. Each `dialects/<name>/provider.py` exports a `Provider`;
`smssign.dialects.PROVIDERS` lists them, and the layers above wrap that list in
`Providers` and pass it down (the runtime holds one). Everything provider-shaped that is
not the wire protocol itself is read from here: which credentials an account gets and how
they are issued and kept at rest, the default rate limits, the name rules, the display
names, the status-report format and other pushes, and how a credential shows in
`accounts create --json`, the console, the admin API, seed files and the demo.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smssign.core.clock import Randomness
from smssign.core.messages import FrequencyLimit
from smssign.core.model import Credential, Event
from smssign.core.reports import Push, ReportFormat, ReportFormats
from smssign.core.rules import NameRule

KEY_BYTES = 16
"""Random key ids and secrets carry this many random bytes (32 hex digits)."""

DIGEST_PREFIX = "sha256:"


def key_digest(key_id: str) -> str:
    """What is stored for a key id that is itself the secret (a bearer key).

    Plain SHA-256, not a keyed hash: the keys are 128 random bits, so a digest cannot be
    brute-forced, and not depending on the master key lets the master key rotate without
    knowing any key.
    """
    return DIGEST_PREFIX + hashlib.sha256(key_id.encode()).hexdigest()


def is_key_digest(key_id: str) -> bool:
    return key_id.startswith(DIGEST_PREFIX) and len(key_id) == len(DIGEST_PREFIX) + 64


# --- how key ids are issued -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RandomKey:
    """`prefix` followed by `nbytes` random bytes in hex (32 digits by default)."""

    prefix: str = ""
    nbytes: int = KEY_BYTES

    def key_id(self, account_id: int, randomness: Randomness) -> str:
        return self.prefix + randomness.token(self.nbytes)


@dataclass(frozen=True, slots=True)
class SequentialKey:
    """A number: `base` plus the account id, so each account has exactly one."""

    base: int

    def key_id(self, account_id: int, randomness: Randomness) -> str:
        return str(self.base + account_id)


KeyIssue = RandomKey | SequentialKey


class AtRest(StrEnum):
    """How a credential is kept in the database."""

    SEALED = "sealed"
    """The key id in the clear, the secret encrypted: it must be read back to verify
    request signatures."""
    HASHED = "hashed"
    """The key id is itself the secret (a bearer key): only its SHA-256 is stored."""


@dataclass(frozen=True, slots=True)
class Walkthrough:
    """What a provider's demo walkthrough is given to print its commands."""

    credential: Credential
    signature_id: int
    endpoint: str
    proof_base64: str
    """A small PNG to paste as a proof image."""
    credentials: Mapping[str, Credential] = field(default_factory=dict)
    """Every credential of the demo account, by kind (a send may need a second one)."""
    template_id: int | None = None
    """The demo's approved template, for a send."""
    sign_name: str | None = None
    """An approved signature of the demo account, for a send."""
    mobile: str = ""
    """The E.164 number a demo send goes to."""
    params: Sequence[str] = ()
    """Values for the template's variables, in order."""


@dataclass(frozen=True, slots=True)
class CredentialKind:
    """One kind of credential an account holds, named as the database, the CLI and the
    JSON contracts spell it (`accounts create --json` uses `name` as the key)."""

    name: str
    key_field: str
    """The key id's name in JSON and seed files."""
    secret_field: str | None
    """The secret's name in JSON and seed files; None when the key id is the secret."""
    key_label: str
    """The key id as the provider's documentation names it (console)."""
    secret_label: str | None
    issue: KeyIssue
    at_rest: AtRest
    display: str
    """The provider as this kind's owner knows it, in sentences ("the <display> <key>")."""
    demo: Callable[[Credential, int], Sequence[str]] | None = None
    """Lines `serve --demo` prints for this credential of the account with that id."""
    secret_bytes: int = KEY_BYTES
    """Random bytes in a new secret (hex, so twice as many characters)."""
    sealed_copy: bool = False
    """A hashed key that the provider also signs its pushes with (its report format's
    `signed_with`): a copy is kept sealed beside the hash, opened only to sign a push."""

    def __post_init__(self) -> None:
        if (self.at_rest is AtRest.HASHED) != (self.secret_field is None):
            raise ValueError(f"{self.name}: a hashed credential has no secret, a sealed one has")
        if self.sealed_copy and self.at_rest is not AtRest.HASHED:
            raise ValueError(f"{self.name}: only a hashed key needs a sealed copy")

    @property
    def hashed(self) -> bool:
        return self.at_rest is AtRest.HASHED

    @property
    def numeric(self) -> bool:
        """The key id is a number (JSON integer, positive whole number in seed files)."""
        return isinstance(self.issue, SequentialKey)

    def new(self, account_id: int, randomness: Randomness) -> tuple[str, str]:
        """A fresh (key id, secret) for the account."""
        key_id = self.issue.key_id(account_id, randomness)
        secret = "" if self.hashed else randomness.token(self.secret_bytes)
        return key_id, secret

    def stored_key_id(self, key_id: str) -> str:
        """The key id as the database holds it."""
        return key_digest(key_id) if self.hashed else key_id

    def readable(self, key_id: str) -> bool:
        """False once only the hash of a bearer key is left (it was shown when issued)."""
        return not (self.hashed and is_key_digest(key_id))

    def shown(self, credential: Credential) -> dict[str, Any]:
        """The credential in the `accounts create --json` shape (a contract)."""
        if self.hashed:
            if self.readable(credential.key_id):
                return {self.key_field: credential.key_id}
            digest = credential.key_id.removeprefix(DIGEST_PREFIX)
            return {self.key_field: None, f"{self.key_field}_sha256": digest}
        key: int | str = int(credential.key_id) if self.numeric else credential.key_id
        assert self.secret_field is not None
        return {self.key_field: key, self.secret_field: credential.secret}

    def public(self, key_id: str) -> dict[str, Any]:
        """What a test-state dump shows: the key id unless it is the secret."""
        if self.hashed:
            return {}
        return {self.key_field: int(key_id) if self.numeric else key_id}

    @property
    def labels(self) -> str:
        """How the console names the two halves: "<key label> / <secret label>"."""
        return " / ".join(label for label in (self.key_label, self.secret_label) if label)


@dataclass(frozen=True, slots=True)
class Provider:
    """Everything one dialect folder declares about its provider, beside its protocol."""

    name: str
    """The dialect's name: rate-limit keys (`name:Action`), metrics, application records."""
    title: str
    """English display name of the protocol."""
    title_zh: str
    vendor: str
    """The company, in English ("... speaking X and Y APIs")."""
    vendor_zh: str
    credentials: tuple[CredentialKind, ...]
    rate_limits: Mapping[str, str] = field(default_factory=dict)
    """Default limits per account and action: action -> "N/second"."""
    name_rules: Mapping[str, NameRule] = field(default_factory=dict)
    """The signature-name rule per scope ("mainland", "international")."""
    hosts: tuple[str, ...] = ()
    """Host names the in-process mock answers for this provider."""
    host_patterns: tuple[str, ...] = ()
    """Regular expressions (full match, lower case) for hosts with variable parts."""
    walkthrough: Callable[[Walkthrough], Sequence[str]] | None = None
    """`serve --demo`: commands that drive the demo signature with this provider's tools."""
    requests_copies: tuple[str, ...] = ()
    """Importable private copies of the `requests` library that the provider's clients
    ship (vendored); the in-process mock patches each like `requests` itself."""
    frequency_limits: tuple[FrequencyLimit, ...] = ()
    """Per-number sending limits as the provider documents them, checked in this order;
    an account changes them by name (`smssign accounts set --frequency NAME=COUNT`)."""
    reports: ReportFormat | None = None
    """How the provider pushes status reports and replies to an account's URLs (the
    format's name is what `smssign callbacks set` takes; dialects of one provider share it)."""
    pushes: Callable[[Event], Sequence[Push]] | None = None
    """Other callbacks in a provider format that an event makes, each to a URL the event
    names (a template's review result, to the URL its submission gave); the outbox
    delivers them with the webhooks' retries and attempt log."""


class Providers:
    """The registry: every provider in the order they were listed."""

    def __init__(self, providers: Sequence[Provider]) -> None:
        self.providers = tuple(providers)
        names = [p.name for p in self.providers]
        kinds = [k.name for p in self.providers for k in p.credentials]
        for listed in (names, kinds):
            twice = sorted({n for n in listed if listed.count(n) > 1})
            if twice:
                raise ValueError(f"registered twice: {', '.join(twice)}")
        self._kinds = {k.name: k for p in self.providers for k in p.credentials}
        for p in self.providers:
            signer = p.reports.signed_with if p.reports else None
            own = {k.name: k for k in p.credentials}
            if signer is not None and not (signer in own and own[signer].sealed_copy):
                raise ValueError(
                    f"{p.name}: its reports are signed with {signer!r}, which is not one of "
                    "its credential kinds with a sealed copy"
                )

    def __iter__(self) -> Iterator[Provider]:
        return iter(self.providers)

    @property
    def kinds(self) -> tuple[CredentialKind, ...]:
        """Every credential kind, in registry order (the order of JSON keys)."""
        return tuple(self._kinds.values())

    @property
    def kind_names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def kind(self, name: str) -> CredentialKind:
        """The credential kind of that name; KeyError for any other."""
        return self._kinds[name]

    def find(self, name: str) -> CredentialKind | None:
        """The credential kind of that name, or None (a row no provider declares now)."""
        return self._kinds.get(name)

    def spelled(self, conjunction: str = "or") -> str:
        """ "a, b or c": the kind names in a sentence."""
        names = list(self._kinds)
        if len(names) < 2:
            return "".join(names)
        return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"

    def vendors(self) -> str:
        """ "X and Y": each provider's company once, in registry order."""
        seen = list(dict.fromkeys(p.vendor for p in self.providers))
        if len(seen) < 2:
            return "".join(seen)
        return f"{', '.join(seen[:-1])} and {seen[-1]}"

    def rate_limits(self) -> dict[str, str]:
        """The default limits of every provider, keyed `<dialect>:<action>`."""
        return {
            f"{p.name}:{action}": rate
            for p in self.providers
            for action, rate in p.rate_limits.items()
        }

    def frequency_limits(self) -> dict[str, tuple[FrequencyLimit, ...]]:
        """Each provider's per-number limits, keyed by dialect name."""
        return {p.name: p.frequency_limits for p in self.providers}

    def report_formats(self) -> ReportFormats:
        """The status-report formats, by the dialects that declare them."""
        return ReportFormats({p.name: p.reports for p in self.providers if p.reports})

    def pushes(self, event: Event) -> list[Push]:
        """Every provider's pushes for `event`, in registry order."""
        return [push for p in self.providers if p.pushes for push in p.pushes(event)]

    def hosts(self) -> frozenset[str]:
        return frozenset(h for p in self.providers for h in p.hosts)

    def host_patterns(self) -> tuple[str, ...]:
        return tuple(pattern for p in self.providers for pattern in p.host_patterns)

    def requests_copies(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for p in self.providers for m in p.requests_copies))
