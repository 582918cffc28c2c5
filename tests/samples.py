"""Sample proof images for tests: real PNG and JPEG bytes, and their base64."""

from __future__ import annotations

import base64
import io

from PIL import Image


def png(width: int = 8, height: int = 8, color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(width: int = 8, height: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 50, 50)).save(buffer, format="JPEG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PNG_B64 = b64(png())
OTHER_PNG_B64 = b64(png(color=(250, 250, 0)))
JPEG_B64 = b64(jpeg())
