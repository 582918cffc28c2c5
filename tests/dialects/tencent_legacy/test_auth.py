"""The legacy `sig` and time rules, without a server: the spec's test vector and the bounds."""

from __future__ import annotations

import pytest

from smssign.client import calculate_sig
from smssign.dialects.tencent_legacy import auth
from smssign.dialects.tencent_legacy.errors import BAD_REQUEST, BAD_SIG, BAD_TIME, LegacyError

VECTOR_APPKEY = "5f03a35d00ee52a21327ab048186a2c4"
VECTOR_RANDOM = "7226249334"
VECTOR_TIME = 1457336869
VECTOR_SIG = "c13e54f047ed75e821e698730c72d030dc30e5b510b3f8a0fb6fb7605283d7df"


def test_sig_matches_the_documented_test_vector() -> None:
    assert auth.sig(VECTOR_APPKEY, VECTOR_RANDOM, VECTOR_TIME) == VECTOR_SIG


def test_client_sig_matches_the_documented_test_vector() -> None:
    assert calculate_sig(VECTOR_APPKEY, VECTOR_RANDOM, VECTOR_TIME) == VECTOR_SIG


def test_verify_accepts_the_vector_in_either_letter_case() -> None:
    for presented in (VECTOR_SIG, VECTOR_SIG.upper()):
        auth.verify(presented, appkey=VECTOR_APPKEY, random=VECTOR_RANDOM, time=VECTOR_TIME)


@pytest.mark.parametrize(
    ("appkey", "random", "time"),
    [
        ("5f03a35d00ee52a21327ab048186a2c5", VECTOR_RANDOM, VECTOR_TIME),
        (VECTOR_APPKEY, "7226249335", VECTOR_TIME),
        (VECTOR_APPKEY, VECTOR_RANDOM, VECTOR_TIME + 1),
    ],
)
def test_verify_refuses_any_other_input(appkey: str, random: str, time: int) -> None:
    with pytest.raises(LegacyError) as caught:
        auth.verify(VECTOR_SIG, appkey=appkey, random=random, time=time)
    assert caught.value.result == BAD_SIG


def test_verify_refuses_non_ascii_sig_with_1001_not_a_crash() -> None:
    with pytest.raises(LegacyError) as caught:
        auth.verify("签名" * 32, appkey=VECTOR_APPKEY, random=VECTOR_RANDOM, time=VECTOR_TIME)
    assert caught.value.result == BAD_SIG


def test_time_accepts_integers_and_numeric_strings() -> None:
    assert auth.parse_time(VECTOR_TIME) == VECTOR_TIME
    assert auth.parse_time(f" {VECTOR_TIME} ") == VECTOR_TIME


@pytest.mark.parametrize("raw", [None, True, 1457336869.5, "", "12a", "9" * 40, [1], {}])
def test_time_refuses_anything_else_with_1004(raw: object) -> None:
    with pytest.raises(LegacyError) as caught:
        auth.parse_time(raw)
    assert caught.value.result == BAD_REQUEST


def test_skew_of_exactly_ten_minutes_passes_and_one_second_more_fails() -> None:
    now = 1_700_000_000.0
    auth.check_skew(int(now) - 600, now)
    auth.check_skew(int(now) + 600, now)
    for off in (-601, 601):
        with pytest.raises(LegacyError) as caught:
            auth.check_skew(int(now) + off, now)
        assert caught.value.result == BAD_TIME
