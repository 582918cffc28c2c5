"""Auto-review rules on template content: a link, a pattern or a keyword in the content
decides, rules may be limited to one kind, and a served rules file rejects a template
with a link that the account then reads back through its own dialect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smssign.backoffice.autoreview import Decision, Mode, Policy, RulesError, parse_rules
from smssign.core.model import Status, Template, TemplateType
from tests.backoffice import add_signature, add_template, describe, describe_template, tencent
from tests.conftest import Server, start_server, stop_server
from tests.test_autoreview import _signature

RULES = """\
[[rule]]
kind = "template"
url = true
decision = "reject"
reason = "模板内容不得包含链接"

[[rule]]
content = "贷款|博彩"
keywords = ["加微信"]
decision = "reject"
reason = "模板内容含违规词"

[[rule]]
kind = "template"
name = "人工"
decision = "skip"
"""


def _template(content: str, name: str = "模板") -> Template:
    return Template(
        id=1, account_id=1, name=name, content=content, type=TemplateType.NOTIFICATION,
        international=False, remark="", status=Status.PENDING, review_reply="",
        submitted_at=0.0, reviewed_at=None, created_at=0.0, updated_at=0.0, version=1,
        application_id=1,
    )  # fmt: skip


def test_rules_on_content_decide_templates() -> None:
    rules, _ = parse_rules(RULES)
    policy = Policy(Mode.APPROVE, rules=rules)
    assert policy.decide(_template("详情见 https://a.cn/{1}")) == (
        Decision.REJECT,
        "模板内容不得包含链接",
    )
    assert policy.decide(_template("访问 www.example.com 领取"))[0] is Decision.REJECT
    assert policy.decide(_template("低息贷款{1}")) == (Decision.REJECT, "模板内容含违规词")
    assert policy.decide(_template("详情请加微信{1}")) == (Decision.REJECT, "模板内容含违规词")
    assert policy.decide(_template("您的订单{1}已发货", name="人工审核")) == (Decision.SKIP, "")
    assert policy.decide(_template("您的订单{1}已发货")) == (Decision.APPROVE, "")


def test_rules_on_content_never_match_a_signature() -> None:
    rules, _ = parse_rules(RULES)
    policy = Policy(Mode.APPROVE, rules=rules)
    # A signature named like a banned word: the content rule is about templates' content.
    assert policy.decide(_signature("贷款")) == (Decision.APPROVE, "")
    # A kind-limited name rule skips signatures of the same name.
    assert policy.decide(_signature("人工")) == (Decision.APPROVE, "")
    only_signatures, _ = parse_rules(
        '[[rule]]\nkind = "signature"\nname = "x"\ndecision = "reject"\nreason = "r"\n'
    )
    assert Policy(Mode.APPROVE, rules=only_signatures).decide(_template("x{1}", "x"))[0] is (
        Decision.APPROVE
    )
    no_link, _ = parse_rules("[[rule]]\nurl = false\ndecision = 'skip'\n")
    assert Policy(Mode.APPROVE, rules=no_link).decide(_template("您好{1}"))[0] is Decision.SKIP
    assert Policy(Mode.APPROVE, rules=no_link).decide(_template("看 a.com"))[0] is (
        Decision.APPROVE
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nkind = 'message'\ndecision = 'skip'", "kind must be signature or template"),
        ("[[rule]]\nurl = 'yes'\ndecision = 'skip'", "url must be true or false"),
        ("[[rule]]\nkeywords = 'x'\ndecision = 'skip'", "keywords must be a list"),
        ("[[rule]]\nkeywords = ['']\ndecision = 'skip'", "keywords must be a list"),
        ("[[rule]]\ncontent = '('\ndecision = 'skip'", "content is not a regular expression"),
        ("[[rule]]\ndecision = 'skip'", "give a name pattern, a scope, a kind or a rule"),
        ("[[rule]]\nurl = true\ndecision = 'reject'", "a reject rule needs a reason"),
    ],
)
def test_bad_content_rules_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(RulesError) as raised:
        parse_rules(text, source="rules.toml")
    assert message in str(raised.value)


@pytest.fixture(scope="module")
def reviewing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("content-rules")
    rules = root / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    server = start_server(
        root, "--testing", "--no-rate-limit", "--auto-review", "approve",
        "--auto-review-delay", "0", "--auto-review-rules", str(rules),
    )  # fmt: skip
    yield server
    stop_server(server)


def test_a_served_rules_file_rejects_a_linking_template(reviewing: Server) -> None:
    account: dict[str, Any] = reviewing.create_account()
    client = tencent(reviewing, account)
    sign_id = add_signature(client, "规则签名")
    linking = add_template(client, "链接通知", "订单{1}详情见 https://shop.example.cn", sms_type=2)
    banned = add_template(client, "违规通知", "低息贷款{1}", sms_type=2)
    fine = add_template(client, "发货通知", "您的订单{1}已发货。", sms_type=2)
    left = add_template(client, "人工通知", "您的订单{1}已签收。", sms_type=2)
    # A testing server with auto-review decides before it answers the next call.
    seen = {i: describe_template(client, i) for i in (linking, banned, fine, left)}
    assert (seen[linking]["StatusCode"], seen[linking]["ReviewReply"]) == (
        -1,
        "模板内容不得包含链接",
    )
    assert (seen[banned]["StatusCode"], seen[banned]["ReviewReply"]) == (-1, "模板内容含违规词")
    assert seen[fine]["StatusCode"] == 0
    assert seen[left]["StatusCode"] == 1
    assert describe(client, sign_id)["StatusCode"] == 0


def test_rules_file_path_is_what_serve_reads(tmp_path: Path) -> None:
    from smssign.backoffice.autoreview import load_policy

    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    assert [r.kind for r in load_policy("approve", 0, rules).rules] == [
        "template",
        None,
        "template",
    ]
