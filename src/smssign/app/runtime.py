"""Everything a running smssign holds: storage, services, limits. Built once per process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from smssign.app.settings import Settings
from smssign.blobs.filesystem import FilesystemBlobs
from smssign.core import errors, images
from smssign.core.access import Access
from smssign.core.accounts import AccountService
from smssign.core.clock import Clock, Randomness, SystemClock, SystemRandomness
from smssign.core.ports import BlobStore, RateLimiter, ReplayCache, SweepableBlobs
from smssign.core.providers import Providers
from smssign.core.review import Reviews
from smssign.core.sending import SendService
from smssign.core.service import SignatureService
from smssign.core.templates import TemplateService
from smssign.store import migrate
from smssign.store.keyring import MasterKeyError, MasterKeys, load_master_keys
from smssign.store.ratelimit import RateLimits, redis_storage
from smssign.store.replays import MemoryReplays, RedisReplays
from smssign.store.repository import SqlRepository, create_engine

if TYPE_CHECKING:
    from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    repository: SqlRepository
    blobs: BlobStore
    signatures: SignatureService
    templates: TemplateService
    accounts: AccountService
    rate_limits: RateLimiter
    clock: Clock
    randomness: Randomness
    replays: ReplayCache
    """Signed-request tokens already used (nonces, randoms); shared via Redis."""
    providers: Providers
    """The provider registry: credential kinds, limits, display names (core/providers.py)."""
    access: Access
    """Authentication and account policy, for the gateway."""
    sending: SendService
    """Messages: send, simulated delivery, replies, pulls and the inbox."""
    redis: Redis | None = None

    @property
    def reviews(self) -> Reviews:
        """Review decisions on any reviewable kind (`Subject(kind, id)`)."""
        return self.signatures.reviews

    async def sweep_blobs(self, grace: float = images.SWEEP_GRACE) -> images.Swept:
        """Remove the stored images that no signature or application names any more."""
        return await sweep_blobs(self, grace)

    async def readiness(self) -> dict[str, str]:
        """Per dependency "ok", "off" (Redis not configured) or what failed."""
        checks: dict[str, str] = {"database": "ok", "redis": "off" if self.redis is None else "ok"}
        try:
            await asyncio.wait_for(self.repository.ping(), READY_TIMEOUT)
        except (errors.Unavailable, TimeoutError) as exc:
            checks["database"] = f"unavailable: {type(exc).__name__}"
        if self.redis is not None:
            try:
                await asyncio.wait_for(self.replays.ping(), READY_TIMEOUT)
            except (errors.Unavailable, TimeoutError) as exc:
                checks["redis"] = f"unavailable: {type(exc).__name__}"
        return checks


READY_TIMEOUT = 2.0


async def sweep_blobs(runtime: Runtime, grace: float = images.SWEEP_GRACE) -> images.Swept:
    """Remove the stored images that no signature or application names any more."""
    if not isinstance(runtime.blobs, SweepableBlobs):
        raise errors.Unavailable(
            f"{type(runtime.blobs).__name__} cannot list its blobs; sweep it with its own tools"
        )
    return await images.sweep(runtime.blobs, runtime.repository, runtime.clock.now(), grace)


def default_providers() -> Providers:
    """The providers `smssign.dialects.PROVIDERS` registers."""
    # Imported here: the dialects import this module.
    from smssign.dialects import registry

    return registry()


def open_blobs(settings: Settings) -> BlobStore:
    """The blob store `settings.blobs_url` names; the data directory's by default."""
    url = settings.blobs_url
    if not url:
        return FilesystemBlobs(settings.data_dir / "blobs")
    if url.startswith("file://"):
        return FilesystemBlobs(Path(url[len("file://") :]))
    if url.startswith("s3://"):
        try:
            from smssign.blobs.s3 import S3Blobs

            return S3Blobs.from_url(url)
        except ImportError as exc:
            raise RuntimeError("s3:// blobs need boto3: pip install 'smssign[s3]'") from exc
    raise ValueError(f"unknown blob store {url!r}: use file:///path or s3://bucket")


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    randomness: Randomness | None = None,
    blobs: BlobStore | None = None,
    master_keys: MasterKeys | None = None,
    providers: Providers | None = None,
) -> AsyncIterator[Runtime]:
    """Connect, migrate, wire the services; dispose of the engine on exit.

    `providers` defaults to every registered dialect's (`default_providers()`).

    Raises MasterKeyError before touching anything when the master key is missing, and
    after migrating when stored secrets were sealed with a key this process lacks.
    """
    clock = clock or SystemClock()
    providers = providers or default_providers()
    randomness = randomness or SystemRandomness()
    keys = master_keys or load_master_keys(settings.database_url)
    engine = create_engine(settings.database_url, lock_timeout=settings.database_lock_timeout)
    redis = _open_redis(settings.redis_url) if settings.redis_url else None
    repository: SqlRepository | None = None
    try:
        await migrate.upgrade(engine)
        repository = SqlRepository(
            engine, keys, kinds=providers.kinds, lock_timeout=settings.database_lock_timeout
        )
        foreign = await repository.unknown_master_key()
        if foreign is not None:
            raise MasterKeyError(
                f"stored secrets are sealed with master key {foreign}, but this process has "
                f"{', '.join(k.id for k in (keys.current, *keys.previous))} ({keys.source})"
            )
        # Databases from before secrets were sealed: seal them now, once.
        await repository.reseal_credentials(plaintext_only=True)
        await repository.prepare_callers()
        blobs = blobs or open_blobs(settings)
        if redis is not None and settings.redis_url:
            replays: ReplayCache = RedisReplays(redis, clock, prefix=settings.redis_prefix)
            storage = redis_storage(settings.redis_url, redis, prefix=settings.redis_prefix)
        else:
            replays = MemoryReplays(clock)
            storage = None
        yield Runtime(
            settings=settings,
            repository=repository,
            blobs=blobs,
            signatures=SignatureService(repository, blobs, clock),
            templates=TemplateService(repository, clock),
            accounts=AccountService(repository, clock, randomness, providers.kinds),
            rate_limits=RateLimits(
                providers.rate_limits() if settings.rate_limits is None else settings.rate_limits,
                enabled=settings.rate_limit_enabled,
                storage=storage,
            ),
            clock=clock,
            randomness=randomness,
            replays=replays,
            providers=providers,
            access=Access(repository),
            sending=SendService(
                repository,
                clock,
                frequency_limits=providers.frequency_limits(),
                frequency_enabled=settings.rate_limit_enabled,
                delivery_delay=settings.delivery_delay,
            ),
            redis=redis,
        )
    finally:
        if redis is not None:
            await redis.aclose()
        if repository is not None:
            await repository.close()  # SQLite's direct connections too
        else:
            await engine.dispose()


def _open_redis(url: str) -> Redis:
    from redis.asyncio import Redis

    # Bounded waits, like the database's: an unreachable Redis gives an error reply.
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
