"""A blob disk that refuses a write: the dialect's internal error and one clean warning line."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Server, start_server, stop_server
from tests.dialects.tencent_legacy.wire import Legacy
from tests.samples import png


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("full-disk"), "--no-rate-limit")
    yield server
    stop_server(server)  # asserts that the log holds no traceback


def test_a_refused_blob_write_is_an_internal_error_without_traceback(node: Server) -> None:
    image = png(6, 9, (9, 8, 7))
    digest = hashlib.sha256(image).hexdigest()
    # Where the image's directory would go there is a file: every write there fails, as
    # on a full or read-only disk (root ignores permissions, so a mode would not do).
    blobs = node.data_dir / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    Path(blobs / digest[:2]).write_bytes(b"in the way")
    legacy = Legacy(node, node.create_account())
    answer = legacy.post("add_sign", {"text": "磁盘已满", "pic": base64.b64encode(image).decode()})
    assert answer.body["result"] == 1008  # the legacy dialect's internal error
    log = node.log()
    assert "blob store" in log
    assert "Traceback" not in log
