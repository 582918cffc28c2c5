"""The `/_smssign/` routes of a testing server: reset, state, seed, accounts, reviews.

Mounted only when the server runs with `smssign serve --testing` (`Settings.testing`):
they change and reveal everything without authentication, which a production node must
never offer. Replies are JSON; a bad request gets 4xx with `{"error": ...}`, never a 500.

    POST /_smssign/reset                      everything erased, the --seed file applied again
    GET  /_smssign/state                      accounts, qualifications, signatures,
                                              templates, applications, reviews, events
    POST /_smssign/seed                       body: a seed (YAML or JSON), applied
    POST /_smssign/accounts                   {"name": ..., "individual": false}
    POST /_smssign/signatures/{id}/approve
    POST /_smssign/signatures/{id}/file
    POST /_smssign/signatures/{id}/reject     {"reason": ...}
    POST /_smssign/templates/{id}/approve
    POST /_smssign/templates/{id}/reject      {"reason": ...}

A web page the developer happens to open must not drive these routes: a request whose
`Origin` is another site is refused with 403 (no `Origin`, the server's own origin and
loopback origins are fine), and a body must be declared JSON (`application/json`; a seed
may also be `application/yaml`) or not declared at all, which rules out the form and
`text/plain` bodies a page can send across sites without asking first.

With auto-review on (`--auto-review approve|reject`), a testing server also decides every
due signature and template before it answers any request, so a test sees the decision on its very
next call instead of after a polling interval.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from smssign.app import sandbox
from smssign.app import seed as seeds
from smssign.app.runtime import Runtime
from smssign.app.settings import Settings
from smssign.core import errors
from smssign.core.model import Status
from smssign.web.transport import read_body

if TYPE_CHECKING:
    from smssign.backoffice.autoreview import AutoReviewer, Policy

log = logging.getLogger(__name__)

PREFIX = "/_smssign"
MAX_BODY = 1024 * 1024
JSON_TYPES = frozenset({"application/json"})
SEED_TYPES = JSON_TYPES | {"application/yaml", "application/x-yaml"}


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _error(message: str, status: int) -> Response:
    return _json({"error": message}, status)


def testing_routes(settings: Settings) -> list[Route]:
    """The routes; the seed file is read now, so that a bad one stops the server starting."""
    seed = seeds.load(settings.seed) if settings.seed is not None else None

    async def reset(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        try:
            return _json(await sandbox.reset(runtime, seed))
        except errors.Unavailable as exc:
            return _error(f"store unavailable: {exc}", 503)

    async def state(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        try:
            return _json(await sandbox.state(runtime))
        except errors.Unavailable as exc:
            return _error(f"store unavailable: {exc}", 503)

    async def add_seed(request: Request) -> Response:
        body = await read_body(request, MAX_BODY)
        if body is None:
            return _error(f"a seed is at most {MAX_BODY} bytes", 413)
        try:
            parsed = seeds.loads(body, source="body")
            return _json(await seeds.apply(request.app.state.runtime, parsed))
        except seeds.SeedError as exc:
            return _error(str(exc), 400)
        except errors.SmssignError as exc:
            return _error(f"{type(exc).__name__}: {exc}", 409)

    async def add_account(request: Request) -> Response:
        fields = await _fields(request)
        if isinstance(fields, Response):
            return fields
        name, individual = fields.get("name"), fields.get("individual", False)
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            return _error("name: 1 to 200 characters of text", 400)
        if not isinstance(individual, bool):
            return _error("individual: true or false", 400)
        try:
            made = await sandbox.create_account(
                request.app.state.runtime, name, individual=individual
            )
        except errors.Conflict as exc:
            return _error(str(exc), 409)
        return _json(made, 201)

    async def decide(request: Request) -> Response:
        decision = _DECISIONS.get(request.path_params["decision"])
        if decision is None:
            return _error("use approve, file or reject", 404)
        sign_id: int = request.path_params["sign_id"]
        reason = await _reason(request, decision)
        if isinstance(reason, Response):
            return reason
        runtime: Runtime = request.app.state.runtime
        failed = await _reviewed(
            sandbox.review(runtime, sign_id, decision, reason), f"no signature {sign_id}"
        )
        if failed is not None:
            return failed
        signature = await runtime.repository.signature(sign_id)
        return _json({"id": sign_id, "status": signature.status.value if signature else None})

    async def decide_template(request: Request) -> Response:
        decision = _TEMPLATE_DECISIONS.get(request.path_params["decision"])
        if decision is None:
            return _error("use approve or reject", 404)
        template_id: int = request.path_params["template_id"]
        reason = await _reason(request, decision)
        if isinstance(reason, Response):
            return reason
        runtime: Runtime = request.app.state.runtime
        failed = await _reviewed(
            sandbox.review_template(runtime, template_id, decision, reason),
            f"no template {template_id}",
        )
        if failed is not None:
            return failed
        template = await runtime.repository.template(template_id)
        return _json({"id": template_id, "status": template.status.value if template else None})

    return [
        Route(f"{PREFIX}/reset", _guarded(reset, JSON_TYPES), methods=["POST"]),
        Route(f"{PREFIX}/state", _guarded(state, JSON_TYPES), methods=["GET"]),
        Route(f"{PREFIX}/seed", _guarded(add_seed, SEED_TYPES), methods=["POST"]),
        Route(f"{PREFIX}/accounts", _guarded(add_account, JSON_TYPES), methods=["POST"]),
        Route(
            PREFIX + "/signatures/{sign_id:int}/{decision:str}",
            _guarded(decide, JSON_TYPES),
            methods=["POST"],
        ),
        Route(
            PREFIX + "/templates/{template_id:int}/{decision:str}",
            _guarded(decide_template, JSON_TYPES),
            methods=["POST"],
        ),
    ]


Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(endpoint: Endpoint, body_types: frozenset[str]) -> Endpoint:
    """`endpoint`, refusing cross-site callers (403) and undeclared body types (415)."""

    async def guarded(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and not _trusted_origin(origin, request):
            return _error(f"cross-site request from {origin[:100]!r} refused", 403)
        declared = request.headers.get("content-type")
        if declared is not None:
            media_type = declared.split(";")[0].strip().lower()
            if media_type not in body_types:
                allowed = " or ".join(sorted(body_types))
                return _error(f"send the body as {allowed}", 415)
        return await endpoint(request)

    return guarded


def _trusted_origin(origin: str, request: Request) -> bool:
    """The server's own origin, or a page served from this machine (loopback)."""
    try:
        parts = urlsplit(origin)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False  # "null" from sandboxed frames and file pages, or garbage
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        pass
    own = request.headers.get("host", "")
    default = 443 if parts.scheme == "https" else 80
    return f"{host}:{port or default}" == _with_port(own, default)


def _with_port(host: str, default: int) -> str:
    if host.endswith("]") or ":" not in host:
        return f"{host.strip('[]')}:{default}"
    name, _, port = host.rpartition(":")
    return f"{name.strip('[]')}:{port}"


_DECISIONS = {"approve": Status.APPROVED, "reject": Status.REJECTED, "file": Status.FILING}
_TEMPLATE_DECISIONS = {"approve": Status.APPROVED, "reject": Status.REJECTED}


async def _reason(request: Request, decision: Status) -> str | Response:
    """A rejection's reason from the JSON body; other decisions take none."""
    if decision is not Status.REJECTED:
        return ""
    fields = await _fields(request)
    if isinstance(fields, Response):
        return fields
    raw = fields.get("reason", "")
    if not isinstance(raw, str) or not raw.strip():
        return _error("reason: a rejection needs a reason", 400)
    return raw


async def _reviewed(review: Awaitable[None], missing: str) -> Response | None:
    """Run a review; its refusal as the reply, or None when it was made."""
    try:
        await review
    except errors.NotFound:
        return _error(missing, 404)
    except (errors.InvalidTransition, errors.Conflict) as exc:
        return _error(str(exc) or type(exc).__name__, 409)
    except errors.InvalidSubmission as exc:
        return _error(str(exc), 400)
    return None


async def _fields(request: Request) -> dict[str, Any] | Response:
    body = await read_body(request, MAX_BODY)
    if body is None:
        return _error(f"a body is at most {MAX_BODY} bytes", 413)
    if not body.strip():
        return {}
    try:
        fields = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _error("the body is not JSON", 400)
    if not isinstance(fields, dict):
        return _error("the body must be a JSON object", 400)
    return fields


class ReviewBeforeEachRequest:
    """ASGI middleware: auto-review's decisions are made before any request is answered.

    The server's own auto-review polls; a test that adds a signature and reads it back at
    once would race it. Here every request first runs one auto-review pass, so with a
    zero delay a signature submitted by one call is decided when the next call comes.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        from smssign.backoffice.autoreview import load_policy

        self.app = app
        backoffice = settings.backoffice
        self.policy = load_policy(
            backoffice.auto_review, backoffice.auto_review_delay, backoffice.auto_review_rules
        )
        self._lock = asyncio.Lock()
        self._reviewer: AutoReviewer | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._step(scope)
        await self.app(scope, receive, send)

    async def _step(self, scope: Scope) -> None:
        runtime: Runtime | None = getattr(scope["app"].state, "runtime", None)
        if runtime is None:
            return
        async with self._lock:
            try:
                if self._reviewer is None:
                    self._reviewer = _reviewer(runtime, self.policy)
                await self._reviewer.step()
            except errors.Unavailable as exc:
                # The request itself will meet the outage and answer it properly.
                log.warning("auto-review before request: store unavailable: %s", exc)


def _reviewer(runtime: Runtime, policy: Policy) -> AutoReviewer:
    from smssign.backoffice.autoreview import AutoReviewer
    from smssign.backoffice.webhooks import render_event
    from smssign.store.backoffice import BackofficeStore

    store = BackofficeStore(runtime.repository.database, render_event)
    return AutoReviewer(policy, runtime.signatures, runtime.repository, store, runtime.clock)


def auto_reviews(settings: Settings) -> bool:
    """Whether a testing server decides due signatures before each request."""
    return settings.testing and settings.backoffice.auto_review != "off"
