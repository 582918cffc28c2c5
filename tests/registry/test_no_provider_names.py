"""A provider is a folder: no module outside `src/smssign/dialects/` names one.

Everything provider-shaped outside the dialects comes from the registry
(`smssign.core.providers`, filled by `smssign.dialects.PROVIDERS`). This test reads every
Python module and console template outside `dialects/`, comments and docstrings included,
and fails on a provider's name or one of its credential terms.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "smssign"

PROVIDER_WORDS = re.compile(
    r"tencent|qcloud|tccli|tlssmssvr|qq\.com"  # Tencent Cloud, API 3.0 and legacy SMS v5
    r"|legacy|sdk_?app_?id|app_?key|secret_?id|(?-i:\bAKID)"  # their credential terms
    r"|yunpian|api_?key"  # Yunpian and its credential
    r"|aliyun|alibaba|dysms|access_?key_?secret",  # Alibaba Cloud, the next one
    re.IGNORECASE,
)

ALLOWED: dict[str, tuple[str, ...]] = {
    # `keys rotate-master --json` prints this key; JSON keys are a contract.
    "cli/keys.py": ('"apikeys_hashed"',),
    # A client for one provider's protocol, public as `smssign.client` (README); it moves
    # under dialects/ when the loose top-level modules are grouped.
    "client.py": ("*",),
}
"""Per file (relative to src/smssign): text that may stay on a matching line, or "*"."""


def offending_lines() -> list[str]:
    found = []
    for path in sorted([*SRC.rglob("*.py"), *SRC.rglob("*.html")]):
        relative = path.relative_to(SRC)
        if relative.parts[0] == "dialects":
            continue  # the dialects' own folders and the line that registers them
        allowed = ALLOWED.get(relative.as_posix(), ())
        if "*" in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PROVIDER_WORDS.search(line) and not any(text in line for text in allowed):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_module_outside_the_dialects_names_a_provider() -> None:
    assert offending_lines() == []


def test_the_word_list_catches_what_it_is_meant_to() -> None:
    for text in (
        "Dialect.TENCENT",
        "sms.tencentcloudapi.com",
        'out["legacy"] = {"sdkappid": 1}',
        "the Yunpian apikey",
        "key_id = 'AKID' + token",
        "AccessKeySecret",
        "appkey=",
    ):
        assert PROVIDER_WORDS.search(text), text
    for text in ("akidney", "secret_key", "AWS_SECRET_ACCESS_KEY", "bearer key", "kind"):
        assert not PROVIDER_WORDS.search(text), text
