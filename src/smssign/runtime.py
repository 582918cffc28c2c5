"""Everything a running smssign holds: storage, services, limits. Built once per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from smssign.blobs import BlobStore
from smssign.blobs.filesystem import FilesystemBlobs
from smssign.core.accounts import AccountService
from smssign.core.clock import Clock, Randomness, SystemClock, SystemRandomness
from smssign.core.service import SignatureService
from smssign.ratelimit import RateLimits
from smssign.settings import Settings
from smssign.store import migrate
from smssign.store.repository import SqlRepository, create_engine


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    repository: SqlRepository
    blobs: BlobStore
    signatures: SignatureService
    accounts: AccountService
    rate_limits: RateLimits
    clock: Clock
    randomness: Randomness


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    randomness: Randomness | None = None,
    blobs: BlobStore | None = None,
) -> AsyncIterator[Runtime]:
    """Connect, migrate, wire the services; dispose of the engine on exit."""
    clock = clock or SystemClock()
    randomness = randomness or SystemRandomness()
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        repository = SqlRepository(engine)
        blobs = blobs or FilesystemBlobs(settings.data_dir / "blobs")
        yield Runtime(
            settings=settings,
            repository=repository,
            blobs=blobs,
            signatures=SignatureService(repository, blobs, clock),
            accounts=AccountService(repository, clock, randomness),
            rate_limits=RateLimits(settings.rate_limits, enabled=settings.rate_limit_enabled),
            clock=clock,
            randomness=randomness,
        )
    finally:
        await engine.dispose()
