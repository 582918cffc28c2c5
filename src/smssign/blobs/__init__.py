"""Content-addressed storage for proof images, behind one small interface."""

from __future__ import annotations

from typing import Protocol


class BlobStore(Protocol):
    """Stores bytes under their sha256 hex digest; storing the same bytes twice is free."""

    async def put(self, data: bytes) -> str:
        """Store `data` durably and return its digest."""
        ...

    async def get(self, digest: str) -> bytes | None: ...
