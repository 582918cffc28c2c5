"""A proof image whose data ends before its declared size is refused in every dialect."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import pytest
from PIL import Image

from smssign.core import errors, rules
from tests.conftest import Server
from tests.dialects.tencent_legacy.wire import Legacy
from tests.dialects.tencent_v3.signing import error_code, tc3_post
from tests.dialects.yunpian.wire import Yunpian, assert_error
from tests.samples import jpeg, png


def short_png(width: int, height: int, rows: int) -> bytes:
    """A well-formed grey PNG whose one IDAT holds only `rows` of its `height` rows."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    raw = b"".join(b"\0" + bytes(width) for _ in range(rows))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


TRUNCATED = short_png(9000, 9000, 200)
"""The reported attack: 9000×9000 declared, 1.8 kB of data for 200 rows."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "data",
    [TRUNCATED, short_png(2000, 2000, 200), short_png(40, 40, 39), jpeg(400, 300)[:-200]],
    ids=["9000x9000", "2000x2000", "one-row-short", "jpeg"],
)
def test_short_images_are_invalid(data: bytes) -> None:
    with pytest.raises(errors.InvalidImage):
        rules.load_image(data, field="ProofImage")


def test_whole_images_still_load() -> None:
    interlaced = io.BytesIO()
    Image.new("RGBA", (33, 17), (1, 2, 3, 4)).save(interlaced, format="PNG", interlace=1)
    for data in (
        png(),
        png(640, 480),
        jpeg(1200, 900),
        interlaced.getvalue(),
        short_png(40, 40, 40),
    ):
        assert rules.load_image(data, field="f").width > 0


def test_tencent_v3(server: Server, account: dict[str, Any]) -> None:
    before = server.row_counts()
    reply = tc3_post(
        server.url,
        account["tencent"]["secret_id"],
        account["tencent"]["secret_key"],
        "AddSmsSign",
        {
            "SignName": "截断图片",
            "SignType": 0,
            "DocumentType": 1,
            "International": 0,
            "SignPurpose": 0,
            "ProofImage": b64(TRUNCATED),
        },
    )
    assert error_code(reply) == "InvalidParameterValue.ImageInvalid"
    assert server.row_counts() == before


def test_tencent_legacy(server: Server, account: dict[str, Any]) -> None:
    before = server.row_counts()
    answer = Legacy(server, account).post("add_sign", {"text": "截断图片", "pic": b64(TRUNCATED)})
    assert answer.body["result"] == 1004
    assert "pic" in answer.body["errmsg"]
    assert server.row_counts() == before


def test_yunpian(server: Server, account: dict[str, Any]) -> None:
    before = server.row_counts()
    uri = "data:image/png;base64," + b64(TRUNCATED)
    answer = Yunpian(server, account).post("add.json", {"sign": "截断图片", "license_base64": uri})
    assert_error(answer, 2)
    assert "license_base64" in answer.body["detail"]
    assert server.row_counts() == before
