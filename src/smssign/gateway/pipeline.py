"""The one endpoint every dialect is served by: read, guards in the dialect's order, the
handler, the reply in the dialect's envelope, the request id and the metrics label.

Whatever goes wrong becomes the dialect's own error in its own envelope: its errors as
they are, core errors through its mapping, anything else its internal error (logged
with a traceback, since that is a bug).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smssign.core import errors as core
from smssign.core.clock import Clock, Randomness
from smssign.core.ports import RateLimiter, ReplayCache
from smssign.dialects.protocol import (
    Call,
    Check,
    Context,
    E,
    Exchange,
    Guard,
    ProtocolError,
    Services,
    WireProtocol,
    validate,
)
from smssign.web.observability import current_request_id, record_outcome
from smssign.web.transport import client_ip

log = logging.getLogger(__name__)


class Runtime(Services, Protocol):
    """What the gateway needs of the app's runtime (`request.app.state.runtime`)."""

    @property
    def rate_limits(self) -> RateLimiter: ...

    @property
    def replays(self) -> ReplayCache: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def randomness(self) -> Randomness: ...


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
"""Dialects answer wrong methods with their own error, so every method reaches them."""

Endpoint = Callable[[Request], Awaitable[Response]]


def endpoint(protocol: WireProtocol[Any, Any]) -> Endpoint:
    async def answer(request: Request) -> Response:
        return await serve(protocol, request)

    return answer


async def serve(protocol: WireProtocol[Any, Any], request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    request_id = current_request_id(request) or runtime.randomness.request_id()
    context = Context(request, runtime, request_id)
    try:
        payload = await _run(protocol, context, runtime)
        reply = protocol.replies.success(context, payload)
        code = "Success"
    except Exception as exc:
        error = _wire_error(protocol, context, exc)
        code = protocol.errors.code(error)
        reply = protocol.replies.failure(context, error)
    record_outcome(request, protocol.name, context.action, code)
    return reply


def _wire_error(protocol: WireProtocol[Any, E], context: Context, exc: Exception) -> E:
    if isinstance(exc, protocol.errors.type):
        return exc
    if isinstance(exc, core.SmssignError):
        if isinstance(exc, core.Unavailable):
            log.warning("store unavailable: %s", exc)
        return protocol.errors.from_core(exc, context)
    log.exception(
        "unexpected error in %s (request %s)", context.request.url.path, context.request_id
    )
    return protocol.errors.internal()


async def _run(
    protocol: WireProtocol[Any, Any], context: Context, runtime: Runtime
) -> dict[str, Any]:
    exchange: Exchange[Any] = Exchange(context, await protocol.read(context))
    if context.action not in protocol.handlers:
        raise RuntimeError(f"{protocol.name}: read() let an unknown action through")
    auth = protocol.authenticator
    address = client_ip(context.request)
    for step in protocol.guards:
        if isinstance(step, Check):
            await step.run(exchange)
            continue
        match step:
            case Guard.AUTHENTICATE:
                caller = await runtime.access.authenticate(auth.kind, auth.key_id(exchange))
                if caller is None:
                    raise auth.unknown_key()
                exchange.caller = caller
            case Guard.TIMESTAMP:
                assert auth.timestamp is not None  # validate() saw to it
                exchange.timestamp = auth.timestamp(exchange, runtime.clock.now())
            case Guard.SIGNATURE:
                assert auth.signature is not None and exchange.caller is not None
                auth.signature(exchange, exchange.caller.secret)
            case Guard.REPLAY:
                assert auth.replay is not None
                replay = auth.replay(exchange)
                if replay is not None and not await runtime.replays.first_use(
                    protocol.name, replay.token, replay.expires_at
                ):
                    raise replay.refusal
            case Guard.RATE_LIMIT:
                key = f"{protocol.name}:{context.action}"
                if not await runtime.rate_limits.allow(key, exchange.account.id):
                    raise protocol.errors.rate_limited()
            case Guard.PARAMETERS:
                exchange.values = protocol.parameters(exchange)
            case Guard.POLICY:
                enterprise = context.action in protocol.enterprise_actions
                runtime.access.check_policy(
                    exchange.account, address, require_enterprise=enterprise
                )
    call = Call(runtime, exchange.account, context.action, context.version, address)
    return await protocol.handlers[context.action](call, exchange.values)


def routes(protocols: Sequence[WireProtocol[Any, Any]]) -> list[Route]:
    """One route per path; dialects sharing a path are told apart by `recognises`.

    Raises ProtocolError for a declaration that would skip a guard, so a server with
    such a dialect never starts.
    """
    names: set[str] = set()
    by_path: dict[str, list[WireProtocol[Any, Any]]] = {}
    for protocol in protocols:
        validate(protocol)
        if protocol.name in names:
            raise ProtocolError(f"two dialects are named {protocol.name!r}")
        names.add(protocol.name)
        for path in protocol.paths:
            by_path.setdefault(path, []).append(protocol)
    return [
        Route(path, _dispatch(sharing), methods=ALL_METHODS) for path, sharing in by_path.items()
    ]


def _dispatch(sharing: list[WireProtocol[Any, Any]]) -> Endpoint:
    if len(sharing) == 1:
        return endpoint(sharing[0])

    # Dialects that recognise their requests are asked first, in registry order; one that
    # declares no `recognises` answers whatever nobody claimed (registry order must not
    # let a catch-all dialect shadow a later one on the same path).
    claimants = [p for p in sharing if p.recognises is not None]
    fallback = next((p for p in sharing if p.recognises is None), sharing[-1])

    async def answer(request: Request) -> Response:
        for protocol in claimants:
            assert protocol.recognises is not None
            if protocol.recognises(request):
                return await serve(protocol, request)
        return await serve(fallback, request)

    return answer
