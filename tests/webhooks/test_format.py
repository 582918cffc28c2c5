"""The webhook wire format and settings checks, without a server."""

from __future__ import annotations

import hashlib
import hmac

import orjson
import pytest

from smssign.backoffice.webhooks import check_secret, check_url, parse_delays, render_event, sign
from smssign.core import errors
from smssign.core.model import Event, EventType


def test_signature_header_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":1}'
    expected = hmac.new(b"k3y", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k3y", 1700000000, body) == "sha256=" + expected
    assert sign("k3y", 1700000001, body) != sign("k3y", 1700000000, body)
    assert sign("other", 1700000000, body) != sign("k3y", 1700000000, body)


def test_rendered_event_has_the_contract_keys() -> None:
    snapshot = {"id": 7, "name": "云片网", "status": "rejected", "review_reply": "不清晰"}
    event = Event(
        id=42,
        account_id=3,
        type=EventType.REJECTED,
        signature_id=7,
        payload={"signature": snapshot, "reason": "不清晰", "reviewer": "alice"},
        created_at=1700000000.75,
    )
    body = orjson.loads(render_event(event))
    assert body == {
        "id": 42,
        "type": "signature.rejected",
        "time": "2023-11-14T22:13:20Z",
        "account_id": 3,
        "signature": snapshot,
        "reason": "不清晰",
        "reviewer": "alice",
    }


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com/hook",
        "ftp://example.com/",
        "javascript:alert(1)",
        "http://",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:0/",
        "https://example.com/" + "x" * 2001,
        "http://example.com/\r\nX-Evil: 1",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(errors.InvalidSubmission) as raised:
        check_url(url)
    assert raised.value.field == "url"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "https://hooks.example.com/smssign?x=1", " http://a/ "]
)
def test_good_urls_pass(url: str) -> None:
    assert check_url(url) == url.strip()


@pytest.mark.parametrize("secret", ["", "tab\there", "x" * 257, "nul\x00"])
def test_bad_secrets_are_refused(secret: str) -> None:
    with pytest.raises(errors.InvalidSubmission):
        check_secret(secret)


def test_retry_delays_parse() -> None:
    assert parse_delays("60,300,600") == (60.0, 300.0, 600.0)
    assert parse_delays(" 1, 1 ,2.5") == (1.0, 1.0, 2.5)
    for bad in ("", "1,,2", "-1", "soon", "nan", "inf"):
        with pytest.raises(ValueError):
            parse_delays(bad)
