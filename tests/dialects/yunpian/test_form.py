"""The form decoder reads exactly what `parse_qsl` reads, slice by slice."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl

import pytest

from smssign.dialects.yunpian import form
from smssign.dialects.yunpian.errors import UNDECODABLE, YunpianError

ALPHABET = ["%", "%", "%", "A", "f", "4", "1", "E", "9", "+", "=", "&", " ", "云", "é", "2"]


def expected(text: str) -> list[tuple[str, str]] | str:
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=200)
    except UnicodeDecodeError:
        return "undecodable"


def decoded(text: str) -> list[tuple[str, str]] | str:
    try:
        return [(name, str(value)) for name, value in form.urlencoded(text)]
    except YunpianError as exc:
        assert exc.code == UNDECODABLE
        return "undecodable"


@pytest.mark.parametrize("slice_size", [1, 2, 3, 5, 64 * 1024])
def test_same_pairs_as_parse_qsl(monkeypatch: pytest.MonkeyPatch, slice_size: int) -> None:
    monkeypatch.setattr(form, "SLICE", slice_size)
    chosen = random.Random(slice_size)
    samples = ["", "&", "a", "a=", "=b", "%", "%%41", "%E4%BA%91", "%E4%BA", "a+b=c+d%2B"]
    samples += ["".join(chosen.choices(ALPHABET, k=chosen.randint(1, 40))) for _ in range(2000)]
    for text in samples:
        assert decoded(text) == expected(text), text


def test_first_value_decodes_only_the_field_asked_for() -> None:
    text = "a=%FF&api%6Bey=&apikey=k%2By+z&apikey=second"
    assert form.first_value(text, "apikey", longest=200) == "k+y z"
    assert form.first_value("x=1", "apikey", longest=200) is None
    huge = "apikey=" + "%41" * 5000
    # Too long to be a key either way: handed back undecoded.
    assert form.first_value(huge, "apikey", longest=200) == "%41" * 5000
