"""The ASGI application: routes each provider's paths to its dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smssign.dialects.tencent_v3 import routes as tencent_v3
from smssign.runtime import Runtime, open_runtime
from smssign.settings import Settings

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "not found", "path": request.url.path}, status_code=404)


def create_app(
    settings: Settings | None = None,
    *,
    runtime_factory: Callable[[], AbstractAsyncContextManager[Runtime]] | None = None,
) -> Starlette:
    """The app; by default it opens its own runtime (database, blobs) when it starts."""
    settings = settings or Settings()

    def default_factory() -> AbstractAsyncContextManager[Runtime]:
        return open_runtime(settings)

    factory = runtime_factory or default_factory

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with factory() as runtime:
            app.state.runtime = runtime
            yield

    routes = [
        Route("/", tencent_v3.endpoint, methods=ALL_METHODS),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found})
