"""The Tencent Cloud API 3.0 name rules its provider declares."""

from __future__ import annotations

import pytest

from smssign.core import errors
from smssign.dialects.tencent_v3 import provider as rules


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("腾讯云", None),
        ("Tencent云2", None),
        ("名", errors.InvalidName),
        ("名" * 12, None),
        ("名" * 13, errors.NameTooLong),
        ("【腾讯】", errors.InvalidName),
        ("腾讯 云", errors.InvalidName),
        ("腾讯-云", errors.InvalidName),
    ],
)
def test_tencent_mainland_name(name: str, error: type[Exception] | None) -> None:
    if error is None:
        rules.MAINLAND_NAME.check(name)
    else:
        with pytest.raises(error):
            rules.MAINLAND_NAME.check(name)
