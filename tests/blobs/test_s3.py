"""The S3 blob store against moto_server on loopback: the real boto3 wire traffic."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from smssign.blobs.s3 import S3Blobs
from smssign.core import errors, images
from tests.conftest import Server, free_port, start_server, stop_server
from tests.dialects.tencent_v3.signing import error_code, tc3_post
from tests.samples import PNG_B64, png

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto_server on a free loopback port; its endpoint URL."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _bucket(moto: str, name: str) -> Any:
    client = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return client


def test_put_and_get_round_trip_by_digest(moto: str) -> None:
    client = _bucket(moto, "roundtrip")
    blobs = S3Blobs.from_url(f"s3://roundtrip/proofs?endpoint_url={moto}&region=us-east-1")
    data = png()

    async def scenario() -> tuple[str, str, bytes | None, bytes | None, bytes | None]:
        digest = await blobs.put(data)
        again = await blobs.put(data)
        return (
            digest,
            again,
            await blobs.get(digest),
            await blobs.get("0" * 64),
            await blobs.get("../../etc/passwd"),
        )

    digest, again, read, missing, invalid = asyncio.run(scenario())
    assert digest == again == hashlib.sha256(data).hexdigest()
    assert read == data
    assert missing is None and invalid is None
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="roundtrip")["Contents"]]
    assert keys == [f"proofs/{digest[:2]}/{digest[2:4]}/{digest}"]


def test_an_object_that_does_not_match_its_digest_reads_as_missing(moto: str) -> None:
    client = _bucket(moto, "tampered")
    blobs = S3Blobs("tampered", endpoint_url=moto, region="us-east-1")
    digest = asyncio.run(blobs.put(b"original bytes"))
    client.put_object(Bucket="tampered", Key=blobs.key(digest), Body=b"other bytes")
    assert asyncio.run(blobs.get(digest)) is None


def test_an_unreachable_store_is_unavailable_not_a_crash() -> None:
    blobs = S3Blobs("any", endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1")
    with pytest.raises(errors.Unavailable):
        asyncio.run(blobs.put(b"data"))


def test_url_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown s3 option"):
        S3Blobs.from_url("s3://bucket?endpoint=http://x")
    with pytest.raises(ValueError, match="s3://bucket"):
        S3Blobs.from_url("s3:///no-bucket")


@pytest.fixture(scope="module")
def s3_server(moto: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _bucket(moto, "smssign")
    server = start_server(
        tmp_path_factory.mktemp("s3-server"),
        "--no-rate-limit",
        "--blobs",
        f"s3://smssign/images?endpoint_url={moto}&region=us-east-1",
    )
    yield server
    stop_server(server)


def test_the_server_keeps_proof_images_in_the_bucket(s3_server: Server, moto: str) -> None:
    account = s3_server.create_account()
    tencent = account["tencent"]
    reply = tc3_post(
        s3_server.url,
        tencent["secret_id"],
        tencent["secret_key"],
        "AddSmsSign",
        {
            "SignName": "对象存储",
            "SignType": 0,
            "DocumentType": 1,
            "International": 0,
            "SignPurpose": 0,
            "ProofImage": PNG_B64,
        },
    )
    assert error_code(reply) is None
    digest = hashlib.sha256(png()).hexdigest()
    client = boto3.client("s3", endpoint_url=moto, region_name="us-east-1")
    stored = client.get_object(Bucket="smssign", Key=f"images/{digest[:2]}/{digest[2:4]}/{digest}")
    assert stored["Body"].read() == png()
    assert not (Path(s3_server.data_dir) / "blobs").exists()


class _Naming:
    """The rows' references, for the sweep: only `kept` is named."""

    def __init__(self, kept: str) -> None:
        self.kept = kept

    async def referenced_digests(self) -> set[str]:
        return {self.kept}


def test_the_sweep_removes_unnamed_objects_and_spares_one_stored_again(moto: str) -> None:
    client = _bucket(moto, "swept")
    blobs = S3Blobs("swept", "images", endpoint_url=moto, region="us-east-1")

    async def scenario() -> tuple[list[str], images.Swept]:
        kept = await blobs.put(b"named by a signature")
        orphan = await blobs.put(b"left behind by a crash")
        in_flight = await blobs.put(b"stored again by a request in flight")
        written = time.time()
        await asyncio.sleep(1.6)  # LastModified counts whole seconds
        await blobs.put(b"stored again by a request in flight")
        swept = await images.sweep(blobs, _Naming(kept), written + 0.5 + 3600, grace=3600)
        return [kept, orphan, in_flight], swept

    (kept, orphan, in_flight), swept = asyncio.run(scenario())
    assert swept.removed == (orphan,) and swept.kept == 2
    keys = {o["Key"] for o in client.list_objects_v2(Bucket="swept")["Contents"]}
    assert keys == {f"images/{d[:2]}/{d[2:4]}/{d}" for d in (kept, in_flight)}
