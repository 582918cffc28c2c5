"""The ASGI application: routes each provider's paths to its dialect."""

from __future__ import annotations

import base64
import os
import pickle
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.services import open_backoffice
from smssign.dialects import PROTOCOLS
from smssign.dialects.protocol import WireProtocol
from smssign.gateway import pipeline
from smssign.web.observability import RequestContext, current_request_id, exposition

SETTINGS_ENV = "SMSSIGN_SERVE_SETTINGS"
"""How `smssign serve --workers N` hands its settings to each worker process."""


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 when the database (and Redis, if configured) answer; 503 says which does not."""
    runtime: Runtime = request.app.state.runtime
    checks = await runtime.readiness()
    ready = all(value in ("ok", "off") for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", **checks}, status_code=200 if ready else 503
    )


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime

    async def gauges() -> dict[str, tuple[str, float]]:
        try:
            backlog = float(await runtime.repository.webhook_backlog())
        except Exception:
            # A scrape during a database outage still shows the request metrics.
            backlog = float("nan")
        return {
            "smssign_webhook_backlog": (
                "Events not yet delivered to a webhook or report URL: undispatched plus pending "
                "deliveries.",
                backlog,
            )
        }

    return Response(await exposition(gauges), media_type="text/plain; version=0.0.4; charset=utf-8")


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "not found", "path": request.url.path}, status_code=404)


async def internal_error(request: Request, exc: Exception) -> Response:
    """Only reached by a bug (dialects answer their own errors): JSON, never an HTML page."""
    return JSONResponse(
        {"error": "internal error", "request_id": current_request_id(request)}, status_code=500
    )


class RoutesOnFirstUse:
    """A mounted part whose modules are imported at its first request, not at start:
    the console (Jinja2, its templates) and the admin API are most of a second of
    start-up that an API call never needs."""

    def __init__(self, load: Callable[[], Sequence[BaseRoute]]) -> None:
        self._load = load
        self._router: Router | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._router is None:
            self._router = Router(routes=list(self._load()))
        await self._router(scope, receive, send)


def _console_routes() -> Sequence[BaseRoute]:
    from smssign.console import routes as console

    return console.routes()


def _admin_routes() -> Sequence[BaseRoute]:
    from smssign.admin import routes as admin

    return admin.routes()


def _request_id(scope: Scope) -> str:
    runtime: Runtime | None = getattr(scope["app"].state, "runtime", None)
    return runtime.randomness.request_id() if runtime is not None else str(uuid.uuid4())


def create_app(
    settings: Settings | None = None,
    *,
    runtime_factory: Callable[[], AbstractAsyncContextManager[Runtime]] | None = None,
    protocols: Sequence[WireProtocol[Any, Any]] = (),
) -> Starlette:
    """The app; by default it opens its own runtime (database, blobs) when it starts.

    `protocols` are dialects served beside the built-in ones (a test's own, say). Raises
    ProtocolError for any dialect declared without a guard it needs.
    """
    settings = settings or Settings()

    def default_factory() -> AbstractAsyncContextManager[Runtime]:
        return open_runtime(settings)

    factory = runtime_factory or default_factory

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with factory() as runtime:
            app.state.runtime = runtime
            # The console's back office, with the webhook worker and auto-review running.
            workers = runtime.settings.backoffice.workers
            async with open_backoffice(runtime, workers=workers) as backoffice:
                app.state.backoffice = backoffice
                yield

    # Unknown actions under a dialect's paths get that dialect's own "no such API" reply.
    routes: list[Route | Mount] = [*pipeline.routes([*PROTOCOLS, *protocols])]
    routes += [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Mount("/console", app=RoutesOnFirstUse(_console_routes)),
        Mount("/admin/api", app=RoutesOnFirstUse(_admin_routes)),
    ]
    middleware = [Middleware(RequestContext, new_id=_request_id)]
    if settings.testing:
        # Test setups only: unauthenticated reset/state/seed routes.
        from smssign.app.testing_routes import ReviewBeforeEachRequest, auto_reviews, testing_routes

        routes.extend(testing_routes(settings))
        if auto_reviews(settings):
            middleware.append(Middleware(ReviewBeforeEachRequest, settings=settings))
    if settings.testing or settings.inbox:
        from smssign.app.inbox_routes import inbox_routes

        routes.extend(inbox_routes())
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: not_found, Exception: internal_error},
        middleware=middleware,
    )


def encode_settings(settings: Settings) -> str:
    # Pickle rather than JSON so that every Settings field, present and future, arrives
    # as it was; the text only ever travels from the serve command to its own workers.
    return base64.b64encode(pickle.dumps(settings)).decode()


def app_from_environment() -> Starlette:
    """The app factory each `--workers` process imports, with the settings of its parent."""
    encoded = os.environ.get(SETTINGS_ENV)
    settings = pickle.loads(base64.b64decode(encoded)) if encoded else Settings()
    if not isinstance(settings, Settings):
        raise TypeError(f"{SETTINGS_ENV} does not hold smssign settings")
    return create_app(settings)
