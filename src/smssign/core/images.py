"""Images of submissions: stored only once a submission passed its checks, and swept when
nothing refers to them any more.

The blob store is content-addressed, so one blob may belong to several signatures and to
old applications; a refused request therefore never deletes what it stored (another
request may have stored the same bytes and refer to them). Instead every check that can
refuse runs before anything is stored, and the sweep removes blobs that no row names,
after a grace period that covers a request between storing its images and committing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smssign.core.model import Image
from smssign.core.ports import BlobStore, ImageReferences, SweepableBlobs

DIGEST = re.compile(r"[0-9a-f]{64}")

SWEEP_GRACE = 3600.0
"""Seconds a blob is left alone after it was stored, even if no row names it yet."""


@dataclass(frozen=True, slots=True)
class StoredImages:
    proof: tuple[str, ...] = ()
    commission: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


async def store(
    blobs: BlobStore,
    proof: Sequence[Image] = (),
    commission: Image | None = None,
    extra: Mapping[str, Image] | None = None,
) -> StoredImages:
    """Put the images into the blob store; call this only after the checks passed."""
    digests = tuple([await blobs.put(image.data) for image in proof])
    commission_digest = await blobs.put(commission.data) if commission is not None else None
    extra_digests = {key: await blobs.put(image.data) for key, image in (extra or {}).items()}
    return StoredImages(digests, commission_digest, extra_digests)


def digests_in(value: Any) -> Iterator[str]:
    """Every blob digest named anywhere in a row's JSON (snapshot, extra, image list)."""
    if isinstance(value, str):
        if DIGEST.fullmatch(value):
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from digests_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from digests_in(item)


@dataclass(frozen=True, slots=True)
class Swept:
    removed: tuple[str, ...]
    kept: int
    """Blobs that rows still name, or that are younger than the grace period."""


async def sweep(
    blobs: SweepableBlobs, references: ImageReferences, now: float, grace: float = SWEEP_GRACE
) -> Swept:
    """Remove the blobs no signature or application names that are older than `grace`.

    Candidates are listed before the references are read, and each one's age is checked
    again just before it is removed: storing a blob refreshes its age, so a request that
    stored (or re-stored) an image and has not committed yet keeps it.
    """
    cutoff = now - grace
    candidates: list[str] = []
    kept = 0
    async for digest, written_at in blobs.inventory():
        if written_at <= cutoff:
            candidates.append(digest)
        else:
            kept += 1
    if not candidates:
        # Nothing old enough to remove: do not read every image name of every signature
        # (a million signatures made that a quarter of a gigabyte and seconds of work).
        return Swept((), kept)
    referenced = await references.referenced_digests()
    removed: list[str] = []
    for digest in candidates:
        if digest not in referenced and await blobs.remove(digest, written_before=cutoff):
            removed.append(digest)
        else:
            kept += 1
    return Swept(tuple(removed), kept)


def image_type(data: bytes) -> str:
    """The media type from the first bytes (stored images were checked to be one of these),
    for the console and the admin API that serve them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"BM"):
        return "image/bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
