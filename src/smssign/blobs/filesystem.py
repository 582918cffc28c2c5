"""The default blob store: one file per digest under the data directory.

A write that the disk refuses (full, read-only, out of quota) is `Unavailable`, like a
database outage: the caller answers its dialect's internal error and logs one warning
line, not a traceback.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
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
        if not path.exists():
            try:
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

    async def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._blobs.setdefault(digest, data)
        return digest

    async def get(self, digest: str) -> bytes | None:
        return self._blobs.get(digest)

    def clear(self) -> None:
        """Forget every blob (a test server's reset)."""
        self._blobs.clear()
