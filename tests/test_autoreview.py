"""Auto-review: `serve --auto-review` decides submissions by itself, after a delay, by rules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smssign.app.runtime import open_runtime
from smssign.app.settings import Settings
from smssign.backoffice import autoreview
from smssign.backoffice.autoreview import (
    AutoReviewer,
    Decision,
    Mode,
    Policy,
    RulesError,
    load_policy,
    parse_rules,
)
from smssign.backoffice.webhooks import render_event
from smssign.cli import app
from smssign.core.clock import FixedClock
from smssign.core.model import Draft, Image, Signature, Status
from smssign.store.backoffice import BackofficeStore
from tests.backoffice import add_signature, describe, modify_signature, tencent, wait_until
from tests.conftest import Server, start_server, stop_server
from tests.samples import OTHER_PNG_B64, png

RULES = """
reject_reason = "unused here"

[[rule]]
name = "^测试"
decision = "reject"
reason = "测试签名不予通过"

[[rule]]
scope = "international"
decision = "filing"

[[rule]]
name = "人工"
decision = "skip"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("autoreview")
    rules = directory / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    s = start_server(
        directory,
        "--no-rate-limit",
        "--auto-review", "approve",
        "--auto-review-delay", "1",
        "--auto-review-rules", str(rules),
    )  # fmt: skip
    yield s
    stop_server(s)


def reviews(server: Server, sign_id: int) -> list[tuple[str, str, str]]:
    async def read(rt: Any) -> list[tuple[str, str, str]]:
        from smssign.backoffice.services import open_backoffice

        async with open_backoffice(rt) as backoffice:
            found = await backoffice.store.reviews(sign_id)
        return [(r.decision.value, r.reviewer, r.reason) for r in found]

    return server.run(read)


def test_policy_decides_after_the_delay(server: Server, account: dict[str, Any]) -> None:
    client = tencent(server, account)
    plain = add_signature(client, "自动通过")
    rejected = add_signature(client, "测试签名")
    international = add_signature(client, "GlobalBrand", international=1)
    manual = add_signature(client, "人工审核")
    submitted = time.monotonic()
    assert describe(client, plain)["StatusCode"] == 1  # nothing happens before the delay

    wait_until(lambda: describe(client, plain)["StatusCode"] == 0, timeout=10)
    assert time.monotonic() - submitted >= 0.9
    assert reviews(server, plain) == [("approved", "auto-review", "")]

    entry = wait_until(
        lambda: (e := describe(client, rejected))["StatusCode"] == -1 and e, timeout=10
    )
    assert entry["ReviewReply"] == "测试签名不予通过"
    assert reviews(server, rejected) == [("rejected", "auto-review", "测试签名不予通过")]

    # International goes through carrier filing first, then is approved one delay later.
    wait_until(lambda: describe(client, international, international=1)["StatusCode"] == 2)
    wait_until(lambda: describe(client, international, international=1)["StatusCode"] == 0)
    assert [d for d, _, _ in reviews(server, international)] == ["filing", "approved"]

    assert describe(client, manual)["StatusCode"] == 1
    assert reviews(server, manual) == []


def test_a_modification_waits_its_own_delay(server: Server, account: dict[str, Any]) -> None:
    client = tencent(server, account)
    sign_id = add_signature(client, "测试改名前")
    wait_until(lambda: describe(client, sign_id)["StatusCode"] == -1)
    modify_signature(client, sign_id, "改名后签名", proof=OTHER_PNG_B64)
    assert describe(client, sign_id)["StatusCode"] == 1
    wait_until(lambda: describe(client, sign_id)["StatusCode"] == 0)
    assert [d for d, _, _ in reviews(server, sign_id)] == ["rejected", "approved"]


def test_a_person_can_decide_first(server: Server, account: dict[str, Any]) -> None:
    client = tencent(server, account)
    sign_id = add_signature(client, "人工先审")
    server.reject(sign_id, "人工驳回")
    time.sleep(1.6)
    assert describe(client, sign_id)["ReviewReply"] == "人工驳回"
    assert [(d, r) for d, r, _ in reviews(server, sign_id)] == [("rejected", "operator")]


def test_reject_mode_uses_the_default_reason(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-rate-limit", "--auto-review", "reject")
    try:
        account = server.create_account()
        client = tencent(server, account)
        sign_id = add_signature(client, "默认驳回")
        entry = wait_until(lambda: (e := describe(client, sign_id))["StatusCode"] == -1 and e)
        assert entry["ReviewReply"] == "rejected by auto-review"
    finally:
        stop_server(server)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nname = '('\ndecision = 'reject'\nreason = 'x'", "not a regular expression"),
        ("[[rule]]\nname = 'a'\ndecision = 'reject'", "needs a reason"),
        ("[[rule]]\nname = 'a'\ndecision = 'maybe'", "decision must be one of"),
        (
            "[[rule]]\ndecision = 'approve'",
            "give a name pattern, a scope, a kind or a rule on content",
        ),
        (
            "[[rule]]\nscope = 'moon'\ndecision = 'approve'",
            "scope must be mainland or international",
        ),
        ("[[rule]]\nname = 'a'\ndecision = 'approve'\ncolour = 1", "unknown key(s) colour"),
        ("rules = 1", "unknown key(s) rules"),
        ("rule = 'x'", "write rules as [[rule]] tables"),
        ("not toml = = =", "not valid TOML"),
    ],
)
def test_bad_rules_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(RulesError, match=None) as raised:
        parse_rules(text, source="rules.toml")
    assert message in str(raised.value)
    assert str(raised.value).startswith("rules.toml")


def test_serve_refuses_a_bad_rules_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rule]]\nname = 'x'\ndecision = 'reject'\n")
    database = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(
        app,
        ["serve", "--port", "1", "--auto-review", "approve", "--auto-review-rules", str(rules),
         "--database", database],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "a reject rule needs a reason" in _plain(result.stderr)
    missing = CliRunner().invoke(app, ["serve", "--auto-review", "sometimes"])
    assert missing.exit_code == 2
    assert "'sometimes' is not one of 'approve', 'reject', 'off'" in _plain(missing.stderr)
    delays = CliRunner().invoke(app, ["serve", "--webhook-retry-delays", "1,soon"])
    assert delays.exit_code == 2
    assert "'soon' is not a number of seconds" in _plain(delays.stderr)


def _plain(text: str) -> str:
    """typer's error box, as words: no frame, no line breaks."""
    return " ".join(text.replace("│", " ").split())


def _signature(name: str, *, international: bool = False) -> Signature:
    return Signature(
        id=1, account_id=1, name=name, international=international, sign_type=0,
        document_type=1, purpose=0, proof_images=(), commission_image=None, remark="",
        qualification_id=None, extra={}, status=Status.PENDING, review_reply="",
        submitted_at=0.0, reviewed_at=None, created_at=0.0, updated_at=0.0, version=1,
        application_id=1,
    )  # fmt: skip


def test_first_matching_rule_wins(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    policy = load_policy("reject", 0, rules)
    assert policy.decide(_signature("测试一下")) == (Decision.REJECT, "测试签名不予通过")
    assert policy.decide(_signature("测试", international=True)) == (
        Decision.REJECT,
        "测试签名不予通过",
    )
    assert policy.decide(_signature("Brand", international=True)) == (Decision.FILING, "")
    assert policy.decide(_signature("人工")) == (Decision.SKIP, "")
    assert policy.decide(_signature("其他")) == (Decision.REJECT, "unused here")
    assert Policy(Mode.OFF).decide(_signature("其他")) == (Decision.SKIP, "")


def test_signatures_left_to_people_do_not_hold_up_newer_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(autoreview, "PAGE", 2)
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rule]]\nname = '人工'\ndecision = 'skip'\n", encoding="utf-8")

    async def scenario() -> list[Status]:
        clock = FixedClock(1_800_000_000.0)
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path)
        async with open_runtime(settings, clock=clock) as rt:
            account = (await rt.accounts.create("acme")).account
            image = Image(png(), "PNG", 8, 8)
            ids = []
            for name in ("人工一", "人工二", "人工三", "人工四", "机器审核"):
                draft = Draft(name=name, sign_type=0, document_type=1, proof_images=(image,))
                ids.append((await rt.signatures.add(account, draft, dialect="test")).signature.id)
                clock.advance(1)
            store = BackofficeStore(rt.repository.engine, render_event)
            reviewer = AutoReviewer(
                load_policy("approve", 0, rules), rt.signatures, rt.repository, store, clock
            )
            assert await reviewer.step() == 1
            found = [await rt.repository.signature(i) for i in ids]
            return [s.status for s in found if s is not None]

    assert asyncio.run(scenario()) == [Status.PENDING] * 4 + [Status.APPROVED]
