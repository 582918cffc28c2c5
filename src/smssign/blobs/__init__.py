"""Content-addressed storage for proof images: adapters behind the core's BlobStore port."""

from __future__ import annotations

from smssign.core.ports import BlobStore, SweepableBlobs

__all__ = ["BlobStore", "SweepableBlobs"]
