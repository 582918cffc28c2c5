"""The rule tables: state machine, type catalogue, names, images, account policy."""

from __future__ import annotations

import base64

import pytest

from smssign.core import errors, rules
from smssign.core.model import Account, Certification, Status
from tests.samples import jpeg, png


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (Status.PENDING, Status.APPROVED, True),
        (Status.PENDING, Status.REJECTED, True),
        (Status.PENDING, Status.FILING, True),
        (Status.FILING, Status.APPROVED, True),
        (Status.FILING, Status.REJECTED, True),
        (Status.FILING, Status.FILING, False),
        (Status.APPROVED, Status.REJECTED, False),
        (Status.REJECTED, Status.APPROVED, False),
        (Status.PENDING, Status.PENDING, False),
    ],
)
def test_transitions(current: Status, target: Status, allowed: bool) -> None:
    if allowed:
        rules.check_transition(current, target)
    else:
        with pytest.raises(errors.InvalidTransition):
            rules.check_transition(current, target)


def test_only_pending_and_rejected_are_modifiable() -> None:
    for status in Status:
        if status in (Status.PENDING, Status.REJECTED):
            rules.check_modifiable(status)
        else:
            with pytest.raises(errors.NotModifiable):
                rules.check_modifiable(status)


def test_types() -> None:
    rules.check_types(0, 1, international=False)
    rules.check_types(4, 7, international=False)
    rules.check_types(1, 4, international=True)  # app by back-office screenshot, abroad only
    with pytest.raises(errors.InvalidSignType):
        rules.check_types(1, 1, international=False)
    with pytest.raises(errors.InvalidDocumentType):  # a company is not proven by a screenshot
        rules.check_types(0, 4, international=True)
    with pytest.raises(errors.InvalidDocumentType):
        rules.check_types(None, 5, international=True)
    rules.check_types(None, None, international=False)


def test_strip_brackets() -> None:
    assert rules.strip_brackets("【云片网】") == "云片网"
    assert rules.strip_brackets(" 云片网 ") == "云片网"
    assert rules.strip_brackets("【云片网") == "【云片网"


def test_images() -> None:
    assert rules.load_image(png(), field="f").format == "PNG"
    assert rules.load_image(jpeg(), field="f").format == "JPEG"
    assert rules.decode_base64(base64.b64encode(png()).decode().rstrip("="), field="f") == png()
    for bad in (b"", b"hello", png()[:30], b"GIF89a" + b"\0" * 10):
        with pytest.raises(errors.InvalidImage):
            rules.load_image(bad, field="f")
    with pytest.raises(errors.InvalidImage):
        rules.load_image(png(), field="f", max_bytes=10)
    with pytest.raises(errors.InvalidImage):
        rules.decode_base64("***", field="f")


def test_policy_order() -> None:
    person = Account(1, "p", Certification.INDIVIDUAL, arrears=True, ip_allow=("10.0.0.0/8",))
    with pytest.raises(errors.NotEnterprise):
        rules.check_policy(person, "127.0.0.1", require_enterprise=True)
    with pytest.raises(errors.InArrears):
        rules.check_policy(person, "127.0.0.1", require_enterprise=False)
    fenced = Account(2, "f", Certification.ENTERPRISE, ip_allow=("10.0.0.0/8", "::1/128"))
    rules.check_policy(fenced, "10.1.2.3", require_enterprise=True)
    rules.check_policy(fenced, "::1", require_enterprise=True)
    for outside in ("127.0.0.1", None, "not-an-ip"):
        with pytest.raises(errors.IpNotAllowed):
            rules.check_policy(fenced, outside, require_enterprise=True)
