"""The rules a signature must follow, as data: state machine, type catalogue, names, images;
and what counts as a link in message text, for templates and auto-review alike.

Dialects pick the rules that apply to them (each declares its own name rules);
the service applies the ones every provider shares.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import warnings
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from smssign.core import errors
from smssign.core.model import Account, Certification, Image, Status

TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.APPROVED, Status.REJECTED, Status.FILING}),
    Status.FILING: frozenset({Status.APPROVED, Status.REJECTED}),
    Status.APPROVED: frozenset(),
    Status.REJECTED: frozenset(),
}
"""Which review decision may follow which status. A modification is not a review: see MODIFIABLE."""

MODIFIABLE: frozenset[Status] = frozenset({Status.PENDING, Status.REJECTED})
LIVE: frozenset[Status] = frozenset({Status.PENDING, Status.FILING, Status.APPROVED})
"""Statuses that hold a name: a second signature with the same name is refused."""


def check_transition(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        raise errors.InvalidTransition(current.value, target.value)


def check_modifiable(current: Status) -> None:
    if current not in MODIFIABLE:
        raise errors.NotModifiable(current.value)


# --- free text ------------------------------------------------------------------------

LONGEST_NAME = 100
"""Characters of any name, whatever the dialect's own rule (the column's width)."""
LONGEST_REMARK = 500
"""Characters of a submission's remark. Providers document from no limit to 200 characters;
every application and event copies the remark, so it must be bounded."""
LONGEST_EXTRA_TEXT = 2000
"""Characters of one provider-specific value (a website or licence URL)."""
MOST_EXTRA_ITEMS = 20
"""Entries of one provider-specific list (a dialect sends at most 7 licence URLs)."""


def check_length(field: str, text: str, longest: int) -> None:
    if len(text) > longest:
        raise errors.TextTooLong(field, longest)


def check_extra(extra: Mapping[str, Any], field: str = "extra") -> None:
    """Provider-specific fields: every text in them short, every list or mapping small."""
    if len(extra) > MOST_EXTRA_ITEMS:
        raise errors.InvalidSubmission(field, f"at most {MOST_EXTRA_ITEMS} entries")
    for key, value in extra.items():
        check_length(field, str(key), LONGEST_EXTRA_TEXT)
        _check_extra_value(str(key), value)


def _check_extra_value(field: str, value: Any) -> None:
    if isinstance(value, str):
        check_length(field, value, LONGEST_EXTRA_TEXT)
    elif isinstance(value, Mapping):
        check_extra(value, field)
    elif isinstance(value, list | tuple):
        if len(value) > MOST_EXTRA_ITEMS:
            raise errors.InvalidSubmission(field, f"at most {MOST_EXTRA_ITEMS} entries")
        for item in value:
            _check_extra_value(field, item)


URL = re.compile(r"(?i)\b(?:https?://|www\.)\S|\b[a-z0-9-]+\.(?:com|cn|net|org|io|top|cc)\b")
"""What counts as a link in message text: a scheme, `www.`, or a host under a common TLD."""


def contains_url(text: str) -> bool:
    """Whether `text` links anywhere (content rules and auto-review rules agree on this)."""
    return URL.search(text) is not None


# --- account policy -------------------------------------------------------------------


def check_policy(account: Account, address: str | None, *, require_enterprise: bool) -> None:
    """Refuse callers whose account may not use the API now, in the providers' order."""
    if require_enterprise and account.certification is Certification.INDIVIDUAL:
        raise errors.NotEnterprise()
    if account.arrears:
        raise errors.InArrears()
    if not account.allows_ip(address):
        raise errors.IpNotAllowed()


# --- the type catalogue (the richest provider numbering; dialects map onto it) ---------

SIGN_TYPES: Mapping[int, frozenset[int]] = {
    0: frozenset({0, 1}),  # company
    1: frozenset({0, 1, 2, 3, 4}),  # app
    2: frozenset({0, 1, 2, 3, 5}),  # website
    3: frozenset({0, 1, 2, 3, 8}),  # WeChat official account
    4: frozenset({7}),  # trademark
    5: frozenset({2, 3}),  # government, public institution, other
    6: frozenset({0, 1, 2, 3, 6}),  # mini program
}
"""SignType -> the DocumentTypes that may prove it."""

RETIRED_SIGN_TYPES: frozenset[int] = frozenset({2, 3, 6})
"""Retired 2025-06 for every scope."""
RETIRED_MAINLAND_SIGN_TYPES: frozenset[int] = frozenset({1})
"""Retired 2026-04 for mainland signatures."""
DOCUMENT_TYPES: frozenset[int] = frozenset(range(9))
RETIRED_DOCUMENT_TYPES: frozenset[int] = frozenset({5, 6, 8})
RETIRED_MAINLAND_DOCUMENT_TYPES: frozenset[int] = frozenset({4})


def check_types(sign_type: int | None, document_type: int | None, *, international: bool) -> None:
    """Both given: they must be current and belong together. Absent ones are not checked."""
    if sign_type is not None:
        if sign_type not in SIGN_TYPES or sign_type in RETIRED_SIGN_TYPES:
            raise errors.InvalidSignType(f"SignType {sign_type} is not accepted")
        if not international and sign_type in RETIRED_MAINLAND_SIGN_TYPES:
            raise errors.InvalidSignType(f"SignType {sign_type} is not accepted for mainland")
    if document_type is not None:
        if document_type not in DOCUMENT_TYPES or document_type in RETIRED_DOCUMENT_TYPES:
            raise errors.InvalidDocumentType(f"DocumentType {document_type} is not accepted")
        if not international and document_type in RETIRED_MAINLAND_DOCUMENT_TYPES:
            raise errors.InvalidDocumentType(
                f"DocumentType {document_type} is not accepted for mainland"
            )
        if sign_type is not None and document_type not in SIGN_TYPES[sign_type]:
            raise errors.InvalidDocumentType(
                f"DocumentType {document_type} does not prove SignType {sign_type}"
            )


def check_purpose(purpose: int) -> None:
    if purpose not in (0, 1):
        raise errors.InvalidPurpose(f"purpose must be 0 or 1, not {purpose}")


# --- names ----------------------------------------------------------------------------

BRACKETS = "【】[]"


@dataclass(frozen=True, slots=True)
class NameRule:
    """How long a signature text may be and which characters it may use."""

    shortest: int
    longest: int
    allowed: re.Pattern[str]
    describe: str

    def check(self, name: str) -> None:
        if any(b in name for b in BRACKETS):
            raise errors.InvalidName("the signature text must not contain brackets")
        if len(name) > self.longest:
            raise errors.NameTooLong(f"at most {self.longest} characters")
        if len(name) < self.shortest:
            raise errors.InvalidName(f"at least {self.shortest} characters")
        if not self.allowed.fullmatch(name):
            raise errors.InvalidName(f"only {self.describe}")


HAN_ALNUM = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9]+")
"""Chinese characters, letters and digits."""
HAN_ALNUM_PUNCT = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9 \-_·.&()（）《》“”\"'!！,，、:：]+"
)
"""The same and common punctuation."""
# Each provider's own name rules live in its dialect folder (provider.py).


def strip_brackets(text: str) -> str:
    """Remove one leading 【 and one trailing 】, as some dialects' selectors carry them."""
    text = text.strip()
    if text.startswith("【") and text.endswith("】"):
        return text[1:-1]
    return text


# --- images ---------------------------------------------------------------------------

MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "BMP", "WEBP"})
MAX_DECODED_PIXELS = 16_000_000
"""Largest width × height decoded in full, for formats other than JPEG (which is decoded
at 1/8 scale, reading every byte all the same). A full decode costs memory and time in
proportion to the pixels an image declares, not to its bytes: 9000×9000 RGB takes 1.8 s."""


def decode_base64(text: str, *, field: str) -> bytes:
    """Strict base64 (standard alphabet, padding optional): anything else is not an image."""
    cleaned = "".join(text.split())
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.InvalidImage(field, "not valid base64") from exc


def load_image(data: bytes, *, field: str, max_bytes: int = MAX_IMAGE_BYTES) -> Image:
    """Check that `data` is one whole image of an accepted format, without keeping pixels.

    `verify()` checks the structure; then the image is decoded (`load()`), so that one
    which declares more rows than its data holds is refused rather than stored.
    """
    from PIL import Image as PILImage

    if not data:
        raise errors.InvalidImage(field, "empty image")
    if len(data) > max_bytes:
        raise errors.InvalidImage(field, f"larger than {max_bytes} bytes")
    with _unreadable_as_invalid(field), PILImage.open(io.BytesIO(data)) as img:
        fmt = img.format or ""
        width, height = img.size
        img.verify()
    if fmt not in IMAGE_FORMATS:
        raise errors.InvalidImage(field, f"format {fmt or 'unknown'} is not accepted")
    if fmt != "JPEG" and width * height > MAX_DECODED_PIXELS:
        raise errors.InvalidImage(field, f"more than {MAX_DECODED_PIXELS} pixels")
    with _unreadable_as_invalid(field):
        if fmt == "PNG" and not _png_data_complete(data):
            # Pillow fills the missing rows of a short PNG stream with black, silently.
            raise errors.InvalidImage(field, "the image data is truncated")
        with PILImage.open(io.BytesIO(data)) as img:
            if fmt == "JPEG":
                img.draft(None, (max(1, width // 8), max(1, height // 8)))
            img.load()
    return Image(data=data, format=fmt, width=width, height=height)


@contextmanager
def _unreadable_as_invalid(field: str) -> Iterator[None]:
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # A decompression bomb is an invalid image, not a warning.
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            yield
    except (
        UnidentifiedImageError,
        PILImage.DecompressionBombError,
        PILImage.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        IndexError,
        struct.error,
        zlib.error,
    ) as exc:
        raise errors.InvalidImage(field, "not a readable image") from exc


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
"""Adam7 passes: first column, first row, column step, row step."""


def _png_data_complete(data: bytes) -> bool:
    """Whether the IDAT stream inflates to exactly the bytes IHDR's size needs."""
    offset, header, expected = 8, None, 0
    inflater = zlib.decompressobj()
    produced = 0
    while offset + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body[:13])
            width, height, depth, colour, _, _, interlace = header
            bits = depth * _PNG_CHANNELS.get(colour, 4)
            expected = _png_raw_size(width, height, bits, interlaced=interlace == 1)
        elif kind == b"IDAT" and header is not None:
            # In bounded steps: the count needs no buffer as large as the image.
            chunk = body
            while chunk and produced <= expected:
                produced += len(inflater.decompress(chunk, 1 << 20))
                chunk = inflater.unconsumed_tail
        elif kind == b"IEND":
            break
    while not inflater.eof and produced <= expected:
        more = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
        if not more:
            break
        produced += len(more)
    return header is not None and inflater.eof and produced == expected


def _png_raw_size(width: int, height: int, bits: int, *, interlaced: bool) -> int:
    def scanlines(w: int, h: int) -> int:
        return 0 if w == 0 or h == 0 else h * (1 + (w * bits + 7) // 8)

    if not interlaced:
        return scanlines(width, height)
    total = 0
    for x0, y0, dx, dy in _ADAM7:
        total += scanlines((width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy)
    return total
