"""The default blob store: one file per digest under the data directory.

A file's modification time is when its bytes were last stored: storing bytes that are
there already touches the file, so the orphan sweep (core/images.py) leaves a blob alone
while a request that stored it again has not committed yet.

A write that the disk refuses (full, read-only, out of quota) is `Unavailable`, like a
database outage: the caller answers its dialect's internal error and logs one warning
line, not a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from smssign.core import errors

_DIGEST = re.compile(r"[0-9a-f]{64}")


class FilesystemBlobs:
    """Files at `<root>/ab/cd/<digest>`, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    async def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path(digest)
        try:
            try:
                os.utime(path)
            except FileNotFoundError:
                await asyncio.to_thread(self._write, path, data)
        except OSError as exc:
            raise errors.Unavailable(f"blob store: {exc.strerror or exc}") from exc
        return digest

    async def get(self, digest: str) -> bytes | None:
        if not _DIGEST.fullmatch(digest):
            return None
        path = self.path(digest)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def inventory(self) -> AsyncIterator[tuple[str, float]]:
        for found in await asyncio.to_thread(self._list):
            yield found

    def _list(self) -> list[tuple[str, float]]:
        found: list[tuple[str, float]] = []
        if not self.root.is_dir():
            return found
        for path in self.root.glob("??/??/*"):
            if _DIGEST.fullmatch(path.name):
                with contextlib.suppress(FileNotFoundError):
                    found.append((path.name, path.stat().st_mtime))
        return found

    async def remove(self, digest: str, *, written_before: float) -> bool:
        if not _DIGEST.fullmatch(digest):
            return False
        path = self.path(digest)
        try:
            if path.stat().st_mtime > written_before:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class MemoryBlobs:
    """Blobs kept in a dict: for the in-process mock and unit tests."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._stored_at: dict[str, float] = {}

    async def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._blobs.setdefault(digest, data)
        self._stored_at[digest] = time.time()
        return digest

    async def inventory(self) -> AsyncIterator[tuple[str, float]]:
        for digest, at in list(self._stored_at.items()):
            yield digest, at

    async def remove(self, digest: str, *, written_before: float) -> bool:
        if self._stored_at.get(digest, written_before + 1) > written_before:
            return False
        del self._blobs[digest], self._stored_at[digest]
        return True

    async def get(self, digest: str) -> bytes | None:
        return self._blobs.get(digest)

    def clear(self) -> None:
        """Forget every blob (a test server's reset)."""
        self._blobs.clear()
        self._stored_at.clear()
