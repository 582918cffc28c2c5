"""The in-process mock (`smssign.testing.mock`): provider HTTPS calls answered by smssign
without sockets.

    with smssign.testing.mock() as sms:
        account = sms.create_account("acme")
        ...  # code calling a provider's default endpoint through requests or httpx

While a mock is active, every request that `requests` or `httpx` (sync or asyncio) would
send to a provider host (the `hosts` and `host_patterns` each dialect's provider.py
declares; `PROVIDER_HOSTS` lists the fixed ones), over any scheme and port, is handed to
the smssign ASGI app from
`server.create_app`, run on a private event loop by the calling thread itself. No socket,
DNS lookup or TLS handshake happens for those hosts; every other host is left alone.

The interception is two patches, installed while any mock is active: requests'
`Session.get_adapter` returns an adapter that calls the app, and httpx's
`Client._transport_for_url` / `AsyncClient._transport_for_url` return a transport that
does. Official SDKs therefore work unchanged with their default endpoints.

State: each outermost mock starts an empty service on a SQLite database in a temporary
directory (proof images in memory) and deletes it all on exit. Nested mocks (a decorated
helper called inside a `with mock()`) join the outer one and share its state; options
given to a nested mock must equal the outer's. Rate limits are off unless asked for.
"""

from __future__ import annotations

import asyncio
import functools
import http
import importlib
import inspect
import io
import os
import re
import tempfile
import threading
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import urlsplit

from smssign.app.runtime import default_providers
from smssign.app.seed import Seed
from smssign.app.seed import load as load_seed
from smssign.testing.asgi import Answer, Lifespan, Outgoing, exchange
from smssign.testing.loop import DrivenLoop
from smssign.testing.operations import Operations
from smssign.testing.template import fresh_database

if TYPE_CHECKING:
    import httpx
    from starlette.applications import Starlette

    from smssign.app.runtime import Runtime

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

PROVIDER_HOSTS = default_providers().hosts()
"""The provider hosts with fixed names."""
HOST_PATTERNS = tuple(re.compile(pattern) for pattern in default_providers().host_patterns())
"""Provider hosts with variable parts, such as regional endpoints."""
AUTO_REVIEW_MODES = ("approve", "reject", "off")


def is_provider_host(host: str | None) -> bool:
    """True for the hosts the mock answers (case and a trailing dot do not matter)."""
    return host is not None and host != "" and _answered(host)


@functools.lru_cache(maxsize=1024)
def _answered(host: str) -> bool:
    # Asked on every request a patched client sends, to any host; the answer for a
    # name never changes, and a test suite talks to a handful of names.
    name = host.lower().rstrip(".")
    return name in PROVIDER_HOSTS or any(p.fullmatch(name) is not None for p in HOST_PATTERNS)


class MockError(RuntimeError):
    """The mock was used wrongly: not active, or nested with different options."""


@dataclass(frozen=True, slots=True)
class Options:
    auto_review: str = "off"
    rate_limit: bool = False
    seed: Seed | None = None


# --- the running service ------------------------------------------------------------------


class Backend:
    """One smssign app with its own database and loop: what an outermost mock runs.

    Its callers' threads run the loop, one call at a time (see `DrivenLoop`)."""

    def __init__(self, options: Options) -> None:
        from smssign.app.runtime import open_runtime
        from smssign.app.server import create_app
        from smssign.app.settings import BackofficeSettings, Settings
        from smssign.blobs.filesystem import MemoryBlobs
        from smssign.store.keyring import MasterKey, MasterKeys

        self.options = options
        self._directory = tempfile.TemporaryDirectory(prefix="smssign-mock-")
        root = Path(self._directory.name)
        self.loop = DrivenLoop("smssign-mock")
        try:
            database_url = self.loop.run(fresh_database(root))
        except BaseException:
            self._close()
            raise
        settings = Settings(
            database_url=database_url,
            data_dir=root,
            rate_limit_enabled=options.rate_limit,
            redis_url=None,
            blobs_url=None,
            # No background workers: auto-review happens before each request (testing
            # routes), and webhook delivery is left to server mode. Starting them would
            # cost more than the rest of a mock's start.
            backoffice=BackofficeSettings(auto_review=options.auto_review, workers=False),
            testing=True,
        )
        # A throwaway key, so that the user's SMSSIGN_MASTER_KEY (or its absence) and
        # key files play no part in a mock's temporary database.
        keys = MasterKeys(MasterKey.generate())

        def runtime_factory() -> AbstractAsyncContextManager[Runtime]:
            return open_runtime(settings, blobs=MemoryBlobs(), master_keys=keys)

        self.app: Starlette = create_app(settings, runtime_factory=runtime_factory)
        self.lifespan = Lifespan(self.app)
        try:
            self.loop.run(self.lifespan.startup())
        except BaseException:
            self._close()
            raise
        if options.seed is not None:
            seed = options.seed
            try:
                self.run_action(lambda rt: _apply(rt, seed))
            except BaseException:
                self.close()
                raise

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def run_action(self, action: Callable[[Runtime], Awaitable[T]]) -> T:
        runtime = self.runtime

        async def run() -> T:
            return await action(runtime)

        return self.loop.run(run())

    def answer(self, request: Outgoing, timeout: float | None) -> Answer:
        return self.loop.run(exchange(self.app, request, self.lifespan.state), timeout)

    async def answer_async(self, request: Outgoing) -> Answer:
        return await self.loop.run_async(exchange(self.app, request, self.lifespan.state))

    def close(self) -> None:
        try:
            self.loop.run(self.lifespan.shutdown())
        finally:
            self._close()

    def _close(self) -> None:
        self.loop.close()
        self._directory.cleanup()


async def _apply(runtime: Runtime, seed: Seed) -> None:
    from smssign.app.seed import apply

    await apply(runtime, seed)


_lock = threading.RLock()
_active: Backend | None = None
_depth = 0


def _acquire(options: Options | None) -> Backend:
    global _active, _depth
    with _lock:
        if _active is None:
            backend = Backend(options or Options())
            _install()
            _active = backend
        elif options is not None and options != _active.options:
            raise MockError(
                "a nested smssign mock shares the outer one's service: give it no options, "
                f"or the same ({_active.options})"
            )
        _depth += 1
        return _active


def _release() -> None:
    global _active, _depth
    with _lock:
        _depth -= 1
        if _depth > 0 or _active is None:
            return
        backend, _active = _active, None
        _uninstall()
    backend.close()


def _backend() -> Backend | None:
    return _active


# --- the mock users hold ----------------------------------------------------------------


class SmsMock(Operations):
    """A context manager and decorator; while active, also the operator's side of the mock.

    `create_account`, `approve`, `reject`, `file`, `set_account`, `state`, `reset` and
    `seed` act on the active service (see `Operations`).
    """

    def __init__(self, options: Options | None = None) -> None:
        super().__init__(self._run)
        self._options = options

    def _run(self, action: Callable[[Runtime], Awaitable[T]]) -> T:
        backend = _backend()
        if backend is None:
            raise MockError("the smssign mock is not active: use it in a `with` block")
        return backend.run_action(action)

    def reset(self) -> None:
        backend = _backend()
        self._seed = backend.options.seed if backend is not None else None
        super().reset()

    def __enter__(self) -> SmsMock:
        _acquire(self._options)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        _release()

    def __call__(self, func: F) -> F:
        """Decorate a test function (sync or async) to run inside this mock."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]


@overload
def mock(func: F, /) -> F: ...


@overload
def mock(
    *,
    auto_review: str | None = None,
    rate_limit: bool | None = None,
    seed: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> SmsMock: ...


def mock(
    func: Callable[..., Any] | None = None,
    /,
    *,
    auto_review: str | None = None,
    rate_limit: bool | None = None,
    seed: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> Any:
    """An in-process smssign for provider calls made through requests and httpx.

    `auto_review`: "approve" or "reject" decides every signature submitted (the decision
    shows from the next call on), "off" (default) leaves reviews to `sms.approve()` etc.
    `rate_limit`: True applies the providers' per-account rate limits (default off).
    `seed`: a seed file (or its parsed content) to start with; `sms.reset()` restores it.

    Use as `with mock() as sms:`, as `@mock()` / `@mock` on a test function, or keep the
    object: `sms = mock()` then `@sms` and `sms.create_account()` inside.
    """
    if func is not None:
        return SmsMock()(func)
    given = auto_review is not None or rate_limit is not None or seed is not None
    if auto_review is not None and auto_review not in AUTO_REVIEW_MODES:
        raise ValueError(f"auto_review must be one of {AUTO_REVIEW_MODES}, not {auto_review!r}")
    options = (
        Options(
            auto_review=auto_review or "off",
            rate_limit=bool(rate_limit),
            seed=load_seed(seed) if seed is not None else None,
        )
        if given
        else None
    )
    return SmsMock(options)


def current() -> SmsMock:
    """The operator's side of whichever mock is active (for `@mock` without a handle)."""
    if _backend() is None:
        raise MockError("no smssign mock is active")
    return SmsMock()


# --- requests ---------------------------------------------------------------------------

_patched: dict[str, Any] = {}


def _install() -> None:
    _install_requests("requests")
    # The copies of requests that some providers' clients vendor are patched the same way.
    for copy in default_providers().requests_copies():
        _install_requests(copy)
    _install_httpx()


def _uninstall() -> None:
    for name, (owner, attribute, original) in list(_patched.items()):
        setattr(owner, attribute, original)
        del _patched[name]


def _install_requests(name: str) -> None:
    """Patch `requests`, or a copy of it importable as `name`, if it is installed."""
    try:
        requests: Any = importlib.import_module(name)
    except ImportError:
        return
    session = requests.Session
    original = session.get_adapter
    adapter = _requests_adapter(requests)

    def get_adapter(self: Any, url: str) -> Any:
        if _backend() is not None and is_provider_host(urlsplit(url).hostname):
            return adapter
        return original(self, url)

    _patched[name] = (session, "get_adapter", original)
    session.get_adapter = get_adapter


def _requests_adapter(requests: Any) -> Any:
    """An adapter built from that copy's own classes, so its responses are its own."""
    adapters = importlib.import_module(f"{requests.__name__}.adapters")
    # Every copy reaches its urllib3 as `<requests>.packages.urllib3` (requests aliases it).
    urllib3 = importlib.import_module(f"{requests.__name__}.packages.urllib3")
    header_dict = importlib.import_module(f"{urllib3.__name__}._collections").HTTPHeaderDict

    base: Any = adapters.HTTPAdapter

    class SmssignAdapter(base):  # type: ignore[misc]
        """Answers from the mock's app; builds the response the way HTTPAdapter does."""

        def send(
            self,
            request: Any,
            stream: bool = False,
            timeout: Any = None,
            verify: Any = True,
            cert: Any = None,
            proxies: Any = None,
        ) -> Any:
            backend = _backend()
            if backend is None:
                raise requests.exceptions.ConnectionError("the smssign mock has ended")
            url = urlsplit(request.url or "")
            scheme = url.scheme or "http"
            outgoing = Outgoing(
                method=request.method or "GET",
                scheme=scheme,
                host=url.hostname or "",
                port=url.port or (443 if scheme == "https" else 80),
                raw_path=(url.path or "/").encode("latin-1", "replace"),
                query=url.query.encode("latin-1", "replace"),
                headers=[
                    (
                        k if type(k) is bytes else k.encode("latin-1", "replace"),
                        v if type(v) is bytes else v.encode("latin-1", "replace"),
                    )
                    for k, v in request.headers.items()
                ],
                body=_requests_body(request.body),
            )
            read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
            try:
                answer = backend.answer(outgoing, read_timeout)
            except TimeoutError as exc:
                raise requests.exceptions.ReadTimeout(exc, request=request) from exc
            headers = header_dict()
            for name, value in answer.headers:
                headers.add(name.decode("latin-1"), value.decode("latin-1"))
            body = io.BytesIO(answer.body)
            raw = urllib3.response.HTTPResponse(
                body=body,
                headers=headers,
                status=answer.status,
                reason=_reason(answer.status),
                preload_content=False,
                decode_content=True,
                request_method=outgoing.method,
                request_url=request.url,
            )
            response = self.build_response(request, raw)
            if not stream:
                if raw.headers.get("content-encoding"):
                    _ = response.content  # decoded by urllib3, as HTTPAdapter's would be
                else:
                    # What reading `raw` would give, without streaming it in chunks
                    # through urllib3; `raw` is left read to its end, as it would be.
                    body.seek(0, io.SEEK_END)
                    response._content = answer.body
                    response._content_consumed = True
            return response

    return SmssignAdapter()


def _requests_body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data if isinstance(data, bytes) else str(data).encode("utf-8")
    return b"".join(part if isinstance(part, bytes) else str(part).encode() for part in body)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


# --- httpx ------------------------------------------------------------------------------


def _install_httpx() -> None:
    try:
        import httpx
    except ImportError:
        return
    sync_original = httpx.Client._transport_for_url
    async_original = httpx.AsyncClient._transport_for_url
    sync_transport, async_transport = _httpx_transports()

    def sync_for_url(self: httpx.Client, url: httpx.URL) -> httpx.BaseTransport:
        if _backend() is not None and is_provider_host(url.host):
            return sync_transport
        return sync_original(self, url)

    def async_for_url(self: httpx.AsyncClient, url: httpx.URL) -> httpx.AsyncBaseTransport:
        if _backend() is not None and is_provider_host(url.host):
            return async_transport
        return async_original(self, url)

    _patched["httpx-sync"] = (httpx.Client, "_transport_for_url", sync_original)
    _patched["httpx-async"] = (httpx.AsyncClient, "_transport_for_url", async_original)
    httpx.Client._transport_for_url = sync_for_url  # type: ignore[method-assign]
    httpx.AsyncClient._transport_for_url = async_for_url  # type: ignore[method-assign]


def _httpx_outgoing(request: httpx.Request, body: bytes) -> Outgoing:
    url = request.url
    return Outgoing(
        method=request.method,
        scheme=url.scheme,
        host=url.host,
        port=url.port or (443 if url.scheme == "https" else 80),
        raw_path=url.raw_path.split(b"?", 1)[0] or b"/",
        query=url.query,
        headers=list(request.headers.raw),
        body=body,
    )


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _httpx_transports() -> tuple[httpx.BaseTransport, httpx.AsyncBaseTransport]:
    import httpx

    def response(answer: Answer, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            content=answer.body,
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": _reason(answer.status).encode(),
            },
        )

    class SmssignTransport(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            backend = _backend()
            if backend is None:
                raise httpx.ConnectError("the smssign mock has ended", request=request)
            outgoing = _httpx_outgoing(request, request.read())
            try:
                answer = backend.answer(outgoing, _read_timeout(request))
            except TimeoutError as exc:
                raise httpx.ReadTimeout("smssign mock: no answer in time", request=request) from exc
            return response(answer, request)

    class AsyncSmssignTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            backend = _backend()
            if backend is None:
                raise httpx.ConnectError("the smssign mock has ended", request=request)
            outgoing = _httpx_outgoing(request, await request.aread())
            try:
                answer = await asyncio.wait_for(
                    backend.answer_async(outgoing), _read_timeout(request)
                )
            except TimeoutError as exc:
                raise httpx.ReadTimeout("smssign mock: no answer in time", request=request) from exc
            return response(answer, request)

    return SmssignTransport(), AsyncSmssignTransport()
