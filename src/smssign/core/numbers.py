"""Mobile numbers and message length: E.164 normalisation and billing segments.

Every dialect writes numbers its own way (`+8613800138000`, `13800138000`, a nationcode and
a mobile, `0086…`); each turns what it received into E.164 here, so that a message is
stored, limited and looked up under one form whatever dialect sent it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from smssign.core import errors

MAINLAND_CODE = "86"

_MAINLAND = re.compile(r"1[3-9]\d{9}")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_SEPARATORS = re.compile(r"[\s\-()]")

# Country calling codes by length, enough to split a number into code and subscriber for
# the providers' `nationcode` fields (the ITU list's one-, two- and three-digit codes).
_ONE_DIGIT = {"1", "7"}
_TWO_DIGIT = {
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
    "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61",
    "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94",
    "95", "98",
}  # fmt: skip

_ISO = {
    "86": "CN", "1": "US", "7": "RU", "44": "GB", "81": "JP", "82": "KR", "852": "HK",
    "853": "MO", "886": "TW", "65": "SG", "60": "MY", "61": "AU", "33": "FR", "49": "DE",
    "91": "IN", "66": "TH", "84": "VN", "62": "ID", "63": "PH",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mobile:
    """A normalised number: `e164` with its `+`, split into country code and subscriber."""

    e164: str

    @property
    def country_code(self) -> str:
        digits = self.e164[1:]
        if digits[:1] in _ONE_DIGIT:
            return digits[:1]
        if digits[:2] in _TWO_DIGIT:
            return digits[:2]
        return digits[:3]

    @property
    def national(self) -> str:
        """The subscriber number without the country code."""
        return self.e164[1 + len(self.country_code) :]

    @property
    def mainland(self) -> bool:
        return self.country_code == MAINLAND_CODE

    @property
    def iso_code(self) -> str:
        """ISO 3166 country of the number; `DEF` when it is not known here."""
        return _ISO.get(self.country_code, "DEF")


def normalise(raw: str, *, default_country: str = MAINLAND_CODE) -> Mobile:
    """`raw` as E.164, or errors.InvalidNumber.

    Accepted: `+<cc><number>`; `00<cc><number>`; for the mainland also `86<11 digits>` and
    the bare 11 digits; a bare national number of another `default_country` gets its code.
    A mainland number must be `1[3-9]` and 9 more digits.
    """
    text = _SEPARATORS.sub("", raw or "")
    if text.startswith("00"):
        text = "+" + text[2:]
    elif not text.startswith("+"):
        if _MAINLAND.fullmatch(text) and default_country == MAINLAND_CODE:
            text = "+86" + text
        elif len(text) == 13 and text.startswith("86") and _MAINLAND.fullmatch(text[2:]):
            text = "+" + text
        elif text.isdigit():
            text = "+" + default_country + text
    if not _E164.fullmatch(text):
        raise errors.InvalidNumber(f"not a mobile number: {raw!r}")
    mobile = Mobile(text)
    if mobile.mainland and not _MAINLAND.fullmatch(mobile.national):
        raise errors.InvalidNumber(f"not a mainland mobile number: {raw!r}")
    return mobile


def from_parts(country_code: str, national: str) -> Mobile:
    """A number given as a nationcode and a national number (some dialects' `tel`)."""
    code = (country_code or "").lstrip("+")
    if not code.isdigit() or not (national or "").isdigit():
        raise errors.InvalidNumber(f"not a mobile number: {country_code!r} {national!r}")
    return normalise("+" + code + national)


# --- length and segments -----------------------------------------------------------

SINGLE = 70
"""Characters of a one-part message (UCS-2: every Chinese character, letter, digit,
punctuation mark and space counts one)."""
PART = 67
"""Characters of each part of a longer message (the rest carries the joining header)."""
GSM_SINGLE = 160
GSM_PART = 153

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€")


def gsm_length(text: str) -> int | None:
    """Septets of `text` in the GSM 7-bit alphabet (extension characters count two);
    None when a character is outside it."""
    length = 0
    for char in text:
        if char in _GSM_BASIC:
            length += 1
        elif char in _GSM_EXTENSION:
            length += 2
        else:
            return None
    return length


def segments(text: str, *, international: bool = False) -> int:
    """The billed parts of `text` as the handset shows it (signature included).

    Mainland, and international text outside the GSM alphabet: up to 70 characters is one
    part, longer ones ⌈length / 67⌉. International text in the GSM alphabet: up to 160
    septets one part, longer ones ⌈septets / 153⌉.
    """
    if international:
        septets = gsm_length(text)
        if septets is not None:
            return 1 if septets <= GSM_SINGLE else math.ceil(septets / GSM_PART)
    length = len(text)
    return 1 if length <= SINGLE else math.ceil(length / PART)


__all__ = ["MAINLAND_CODE", "Mobile", "from_parts", "gsm_length", "normalise", "segments"]
