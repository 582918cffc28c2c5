"""The console's message catalogue and language choice, without a server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smssign.console.i18n import ZH, choose, gettext, speaking
from smssign.console.visit import NOTICES

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "smssign" / "console" / "templates"
LITERAL = re.compile(r'_\("((?:[^"\\]|\\.)*)"(?:, context="([a-z]+)")?')


@pytest.mark.parametrize(
    ("cookie", "header", "chosen"),
    [
        (None, "", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "zh-TW", "zh"),
        (None, "ZH-hk", "zh"),
        (None, "en-GB,zh;q=0.5", "en"),
        (None, "en;q=0.3, zh;q=0.7", "zh"),
        (None, "fr-FR, de;q=0.8", "en"),
        (None, "fr-FR, zh;q=0.2", "zh"),
        (None, "zh;q=0, en", "en"),
        (None, "zh;q=abc", "zh"),
        (None, "*", "en"),
        ("en", "zh-CN", "en"),
        ("zh", "en-US", "zh"),
        ("klingon", "zh-CN", "zh"),
    ],
)
def test_choose(cookie: str | None, header: str, chosen: str) -> None:
    assert choose(cookie, header) == chosen


def test_every_template_message_has_a_chinese_translation() -> None:
    missing = []
    for template in sorted(TEMPLATES.glob("*.html")):
        for message, context in LITERAL.findall(template.read_text()):
            if message not in ZH and f"{context}|{message}" not in ZH:
                missing.append(f"{template.name}: {message}")
    assert missing == []


def test_every_notice_has_a_chinese_translation() -> None:
    assert [notice for notice in NOTICES.values() if notice not in ZH] == []


def test_values_are_escaped_and_english_is_the_fallback() -> None:
    with speaking("zh"):
        assert gettext("Account {id}: {name}", id=3, name="<b>") == "账号 3：&lt;b&gt;"
        assert gettext("a message nobody translated") == "a message nobody translated"
        assert gettext("pending", context="delivery") == "待投递"
        assert gettext("pending") == "待审核"
    with speaking("en"):
        assert gettext("pending", context="delivery") == "pending"
        assert gettext("Account {id}: {name}", id=3, name="<b>") == "Account 3: &lt;b&gt;"
