"""Proof images in an S3-compatible object store (AWS S3, MinIO, Ceph, moto), via boto3.

Chosen with `--blobs s3://bucket/prefix?endpoint_url=https://…&region=…`; credentials
come the way boto3 always finds them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a
profile, an instance role). Several nodes then see the same images, which a local
directory per node would not give. Objects are named by digest like the filesystem
store (`<prefix>ab/cd/<digest>`) and checked against it when read back.

An object's LastModified is when its bytes were last stored: storing bytes that are there
already copies the object onto itself, so the orphan sweep (core/images.py) leaves it
alone while the request that stored it again has not committed yet.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from smssign.core import errors

log = logging.getLogger(__name__)

_DIGEST = re.compile(r"[0-9a-f]{64}")


class S3Blobs:
    """Content-addressed objects in one bucket under an optional key prefix."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or _client(endpoint_url, region)

    @classmethod
    def from_url(cls, url: str) -> S3Blobs:
        """`s3://bucket/optional/prefix?endpoint_url=…&region=…`."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://bucket URL: {url!r}")
        options = dict(parse_qsl(parts.query))
        unknown = set(options) - {"endpoint_url", "region"}
        if unknown:
            raise ValueError(f"unknown s3 option(s): {', '.join(sorted(unknown))}")
        return cls(
            parts.netloc,
            parts.path,
            endpoint_url=options.get("endpoint_url"),
            region=options.get("region"),
        )

    def key(self, digest: str) -> str:
        return f"{self.prefix}{digest[:2]}/{digest[2:4]}/{digest}"

    async def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = self.key(digest)
        try:
            if await asyncio.to_thread(self._exists, key):
                await asyncio.to_thread(self._touch, key)
            else:
                await asyncio.to_thread(
                    self.client.put_object,
                    Bucket=self.bucket,
                    Key=key,
                    Body=data,
                    ContentType="application/octet-stream",
                )
        except Exception as exc:
            raise _unavailable(exc) from exc
        return digest

    async def inventory(self) -> AsyncIterator[tuple[str, float]]:
        try:
            found = await asyncio.to_thread(self._list)
        except Exception as exc:
            raise _unavailable(exc) from exc
        for item in found:
            yield item

    async def remove(self, digest: str, *, written_before: float) -> bool:
        if not _DIGEST.fullmatch(digest):
            return False
        try:
            return await asyncio.to_thread(self._remove, self.key(digest), written_before)
        except Exception as exc:
            raise _unavailable(exc) from exc

    async def get(self, digest: str) -> bytes | None:
        if not _DIGEST.fullmatch(digest):
            return None
        try:
            data = await asyncio.to_thread(self._read, self.key(digest))
        except Exception as exc:
            raise _unavailable(exc) from exc
        if data is not None and hashlib.sha256(data).hexdigest() != digest:
            log.error("blob %s in bucket %s does not match its digest", digest, self.bucket)
            return None
        return data

    async def ping(self) -> None:
        try:
            await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)
        except Exception as exc:
            raise _unavailable(exc) from exc

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _status(exc) == 404:
                return False
            raise
        return True

    def _touch(self, key: str) -> None:
        self.client.copy_object(
            Bucket=self.bucket,
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": key},
            MetadataDirective="REPLACE",
            ContentType="application/octet-stream",
        )

    def _list(self) -> list[tuple[str, float]]:
        found: list[tuple[str, float]] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if _DIGEST.fullmatch(name) and item["Key"] == self.key(name):
                    found.append((name, item["LastModified"].timestamp()))
        return found

    def _remove(self, key: str, written_before: float) -> bool:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _status(exc) == 404:
                return False
            raise
        if head["LastModified"].timestamp() > written_before:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    def _read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise
        body: bytes = response["Body"].read()
        return body


def _client(endpoint_url: str | None, region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    # Short timeouts: a slow store must become an error reply, not a hung request.
    config = Config(
        connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=config
    )


def _status(exc: Any) -> int | None:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def _unavailable(exc: Exception) -> errors.Unavailable:
    # boto3 and botocore raise many classes; none of their messages carry credentials.
    return errors.Unavailable(f"blob store: {type(exc).__name__}: {exc}")
