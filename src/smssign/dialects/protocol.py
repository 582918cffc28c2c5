"""What a dialect declares to the gateway: the type of `dialects/<name>/protocol.py:PROTOCOL`.

A dialect says only what is its own: where its requests arrive, how to read the action
and the credentials, how its signatures and timestamps are checked, the order of its
guards, its parameter tables, its handlers, its envelope and its error codes. The
gateway (`smssign.gateway.pipeline`) does the rest the same way for every dialect, and
refuses at start-up a declaration that would skip a guard (see `validate`).

The types live here, beside the dialects, because the gateway sits above the dialects
and the dialects may not import it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from smssign.core.access import Access, Caller
from smssign.core.clock import Clock, Randomness
from smssign.core.errors import SmssignError
from smssign.core.model import Account
from smssign.core.sending import SendService
from smssign.core.service import SignatureService
from smssign.core.templates import TemplateService

R = TypeVar("R")
"""The dialect's own reading of a request (its query, body, decoded form)."""
E = TypeVar("E", bound=Exception)
"""The dialect's error reply type."""


class Images(Protocol):
    """Content-addressed proof images (the blob store, as the dialects may use it)."""

    async def put(self, data: bytes) -> str: ...

    async def get(self, digest: str) -> bytes | None: ...


class Services(Protocol):
    """The core use cases a dialect may call; the server's runtime provides them."""

    @property
    def signatures(self) -> SignatureService: ...

    @property
    def templates(self) -> TemplateService: ...

    @property
    def access(self) -> Access: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def randomness(self) -> Randomness:
        """Ids a dialect makes up (a SerialNo)."""
        ...

    @property
    def sending(self) -> SendService:
        """Messages: send, pulls, replies (core/sending.py)."""
        ...

    @property
    def blobs(self) -> Images: ...

    @property
    def settings(self) -> Any:
        """The app's settings; a dialect reads only its own fields (API 3.0: its regions)."""
        ...


class Guard(Enum):
    """The checks the gateway runs for a dialect, in the order the dialect lists them."""

    AUTHENTICATE = "authenticate"
    """Read the key id from the request and find its account (unknown: `unknown_key`)."""
    TIMESTAMP = "timestamp"
    """The dialect reads the request time and refuses it outside its skew window."""
    SIGNATURE = "signature"
    """The dialect verifies what the caller signed, with the credential's secret."""
    REPLAY = "replay"
    """A signed request's token is accepted once (shared across nodes through Redis)."""
    RATE_LIMIT = "rate limit"
    """Per account and action, `<dialect>:<action>` in the settings' rate limits."""
    PARAMETERS = "parameters"
    """The action's parameters, typed by the dialect's tables."""
    POLICY = "account policy"
    """Enterprise certification (for `enterprise_actions`), arrears, IP allow-list."""


NEEDS_CALLER = frozenset(
    {Guard.TIMESTAMP, Guard.SIGNATURE, Guard.REPLAY, Guard.RATE_LIMIT, Guard.POLICY}
)
"""Guards that need the authenticated account, so come after AUTHENTICATE."""


@dataclass(slots=True, eq=False)
class Context:
    """What the gateway knows of a request before and while the dialect reads it."""

    request: Request
    services: Services
    request_id: str
    action: str = "unknown"
    """The metric label: only ever one of the dialect's handler names, or "unknown"."""
    version: str = ""
    language: str = ""


@dataclass(slots=True, eq=False)
class Exchange(Generic[R]):
    """One request on its way through the guards."""

    context: Context
    incoming: R
    caller: Caller | None = None
    timestamp: int | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def account(self) -> Account:
        if self.caller is None:
            raise RuntimeError("no authenticated caller yet: AUTHENTICATE must come first")
        return self.caller.account


@dataclass(frozen=True, slots=True)
class Check(Generic[R]):
    """A step of the dialect's own between the gateway's guards (a region, a form decode)."""

    name: str
    run: Callable[[Exchange[R]], Awaitable[None]]


Step = Guard | Check[R]


@dataclass(frozen=True, slots=True)
class Replay:
    """A token to accept once until `expires_at`, and the error for a second use."""

    token: tuple[str, ...]
    expires_at: float
    refusal: Exception


@dataclass(frozen=True, slots=True)
class Authenticator(Generic[R]):
    """How the dialect's callers prove who they are. Each hook belongs to one guard."""

    kind: str
    """Which of an account's credentials the key id names."""
    key_id: Callable[[Exchange[R]], str]
    """AUTHENTICATE: the presented key id; raises the dialect's error if absent or malformed."""
    unknown_key: Callable[[], Exception]
    timestamp: Callable[[Exchange[R], float], int] | None = None
    """TIMESTAMP: (exchange, now) -> the request's unix time, or raise."""
    signature: Callable[[Exchange[R], str], None] | None = None
    """SIGNATURE: (exchange, secret): raise unless the request was signed with it."""
    replay: Callable[[Exchange[R]], Replay | None] | None = None
    """REPLAY: the token of this request; None when the scheme carries none (TC3)."""


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated call as a handler sees it."""

    runtime: Services
    account: Account
    action: str
    version: str
    client_ip: str | None


Handler = Callable[[Call, dict[str, Any]], Awaitable[dict[str, Any]]]
"""Named after its API action: typed parameters in, the reply's members out."""


@dataclass(frozen=True, slots=True)
class Replies(Generic[E]):
    """The dialect's envelope, for a success payload and for an error."""

    success: Callable[[Context, dict[str, Any]], Response]
    failure: Callable[[Context, E], Response]


@dataclass(frozen=True, slots=True)
class Errors(Generic[E]):
    """The dialect's error type and how core errors and gateway refusals become one."""

    type: type[E]
    code: Callable[[E], str]
    """The wire code, as the metrics label it."""
    from_core: Callable[[SmssignError, Context], E]
    internal: Callable[[], E]
    rate_limited: Callable[[], E]


@dataclass(frozen=True, slots=True)
class WireProtocol(Generic[R, E]):
    name: str
    """Metric label, rate-limit key prefix and replay scope."""
    paths: tuple[str, ...]
    """Starlette path patterns the dialect answers on."""
    read: Callable[[Context], Awaitable[R]]
    """Method, size, decoding; sets `context.action` to a handler name or raises."""
    authenticator: Authenticator[R]
    guards: tuple[Step[R], ...]
    parameters: Callable[[Exchange[R]], dict[str, Any]]
    handlers: Mapping[str, Handler]
    replies: Replies[E]
    errors: Errors[E]
    enterprise_actions: frozenset[str] = frozenset()
    """Actions individually certified accounts may not call."""
    recognises: Callable[[Request], bool] | None = None
    """When dialects share a path: whether a request is this dialect's. None: always."""


class ProtocolError(Exception):
    """A dialect declaration the gateway refuses to serve (raised when the app is created)."""


def validate(protocol: WireProtocol[Any, Any]) -> None:
    """Refuse a declaration that would let a request past a guard it needs."""
    name = protocol.name
    guards = [step for step in protocol.guards if isinstance(step, Guard)]
    if Guard.POLICY not in guards:
        raise ProtocolError(f"dialect {name!r} does not declare the account-policy guard")
    if Guard.AUTHENTICATE not in guards:
        raise ProtocolError(f"dialect {name!r} does not declare the authenticate guard")
    if len(set(guards)) != len(guards):
        raise ProtocolError(f"dialect {name!r} lists a guard twice")
    first = guards.index(Guard.AUTHENTICATE)
    early = [g.value for g in guards[:first] if g in NEEDS_CALLER]
    if early:
        raise ProtocolError(f"dialect {name!r} runs {', '.join(early)} before authenticate")
    auth = protocol.authenticator
    hooks = {
        Guard.TIMESTAMP: auth.timestamp,
        Guard.SIGNATURE: auth.signature,
        Guard.REPLAY: auth.replay,
    }
    for guard, hook in hooks.items():
        # A hook without its guard would silently never run; a guard without its hook
        # could not run at all.
        if (hook is None) == (guard in guards):
            state = "lacks the hook for" if hook is None else "never runs its hook for"
            raise ProtocolError(f"dialect {name!r} {state} the {guard.value} guard")
    if not protocol.paths:
        raise ProtocolError(f"dialect {name!r} declares no paths")
    if not protocol.handlers:
        raise ProtocolError(f"dialect {name!r} declares no handlers")
    unknown = protocol.enterprise_actions - set(protocol.handlers)
    if unknown:
        raise ProtocolError(f"dialect {name!r}: enterprise_actions {sorted(unknown)} unknown")
