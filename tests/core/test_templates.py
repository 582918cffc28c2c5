"""Templates, the second reviewable kind, on an in-memory database: the content rules,
the signature a template needs first, modification only while pending or rejected, and
applications, reviews and events through the shared review core."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.settings import Settings
from smssign.core import errors
from smssign.core.clock import FixedClock, SeededRandomness
from smssign.core.model import (
    TEMPLATE,
    Account,
    Draft,
    EventType,
    Image,
    Status,
    Subject,
    TemplateType,
)
from smssign.core.templates import TemplateDraft, check_content, parse
from tests.samples import png

IMAGE = Image(png(), "PNG", 8, 8)


def template(content: str = "您的验证码是{1}，{2}分钟内有效。", **changes: object) -> TemplateDraft:
    fields: dict[str, object] = {
        "name": "验证码",
        "content": content,
        "type": TemplateType.VERIFICATION,
        "international": False,
        "remark": "登录",
    }
    fields.update(changes)
    return TemplateDraft(**fields)  # type: ignore[arg-type]


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def runtime(tmp_path: Path, loop: asyncio.AbstractEventLoop) -> Iterator[Runtime]:
    context = open_runtime(
        Settings(database_url="sqlite:///:memory:", data_dir=tmp_path),
        clock=FixedClock(1_700_000_000),
        randomness=SeededRandomness(1),
    )
    runtime = loop.run_until_complete(context.__aenter__())
    yield runtime
    loop.run_until_complete(context.__aexit__(None, None, None))


async def signed_account(runtime: Runtime, name: str = "acme") -> Account:
    account = (await runtime.accounts.create(name)).account
    await runtime.signatures.add(
        account,
        Draft(name="腾讯", sign_type=0, document_type=1, proof_images=(IMAGE,)),
        dialect="t",
    )
    return account


def test_variables_are_counted_and_rendered_in_each_syntax() -> None:
    content = parse("尊敬的{name}，您的验证码是{code}，请勿告诉{name}以外的人")
    assert content.variables == ("name", "code")
    assert content.parameter_count == 2
    assert (
        content.render(lambda n, _: f"{{{n}}}") == "尊敬的{1}，您的验证码是{2}，请勿告诉{1}以外的人"
    )
    assert (
        content.render(lambda _, name: f"#{name}#")
        == "尊敬的#name#，您的验证码是#code#，请勿告诉#name#以外的人"
    )
    assert parse("没有变量").parameter_count == 0


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("x" * 501, errors.TemplateContentTooLong),
        ("【腾讯】验证码{1}", errors.InvalidTemplateContent),
        ("验证码{1}{2}", errors.InvalidTemplateContent),
        ("{1}", errors.InvalidTemplateContent),
        ("验证码{1", errors.InvalidTemplateContent),
        ("验证码{2}", errors.InvalidTemplateContent),
        ("验证码{1}，{3}", errors.InvalidTemplateContent),
        ("验证码{1}，{name}", errors.InvalidTemplateContent),
        ("验证码{-1}", errors.InvalidTemplateContent),
        ("   ", errors.InvalidTemplateContent),
        ("验证码{1}，详见 https://example.com", errors.UrlInVerificationTemplate),
    ],
)
def test_content_rules_refuse_with_neutral_errors(
    content: str, error: type[errors.SmssignError]
) -> None:
    with pytest.raises(error):
        check_content(content, TemplateType.VERIFICATION)


def test_a_url_is_allowed_outside_verification_templates() -> None:
    assert check_content("活动详见 https://example.com ，拒收请回复R", TemplateType.MARKETING)


def test_a_template_needs_a_signature_application_first(
    runtime: Runtime, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account = (await runtime.accounts.create("acme")).account
        with pytest.raises(errors.MissingSignature):
            await runtime.templates.add(account, template(), dialect="t")
        assert await runtime.repository.templates_with_status(list(Status)) == []

    loop.run_until_complete(scenario())


def test_add_review_modify_and_delete_go_through_the_review_core(
    runtime: Runtime, loop: asyncio.AbstractEventLoop
) -> None:
    async def scenario() -> None:
        account = await signed_account(runtime)
        other = await signed_account(runtime, "other")
        added = await runtime.templates.add(account, template(), dialect="t")
        first = added.template
        assert (first.status, first.type, first.international) == (
            Status.PENDING,
            TemplateType.VERIFICATION,
            False,
        )
        assert added.application.snapshot["content"] == "您的验证码是{1}，{2}分钟内有效。"
        assert await runtime.templates.describe(other, [first.id]) == []
        with pytest.raises(errors.NotFound):
            await runtime.templates.modify(other, first.id, template(), dialect="t")

        rejected = await runtime.templates.review(first.id, Status.REJECTED, reason="措辞")
        assert (rejected.status, rejected.review_reply) == (Status.REJECTED, "措辞")
        with pytest.raises(errors.ScopeImmutable):
            await runtime.templates.modify(
                account, first.id, template(international=True), dialect="t"
            )
        modified = await runtime.templates.modify(
            account, first.id, template("验证码{1}", name="新"), dialect="t"
        )
        assert (modified.template.status, modified.template.name) == (Status.PENDING, "新")
        await runtime.reviews.review(Subject(TEMPLATE, first.id), Status.APPROVED)
        with pytest.raises(errors.NotModifiable):
            await runtime.templates.modify(account, first.id, template(), dialect="t")
        with pytest.raises(errors.InvalidTransition):
            await runtime.templates.review(first.id, Status.FILING)

        assert [a.kind.value for a in await runtime.repository.applications(first.subject)] == [
            "add",
            "modify",
        ]
        page, total = await runtime.templates.page(account, international=False)
        assert ([t.id for t in page], total) == ([first.id], 1)
        await runtime.templates.delete(account, [first.id])
        assert await runtime.templates.describe(account, [first.id]) == []
        with pytest.raises(errors.NotFound):
            await runtime.templates.delete(account, [first.id])
        types = [
            e.type
            for e in await runtime.repository.events(account.id)
            if e.subject == first.subject
        ]
        assert types == [
            EventType.TEMPLATE_SUBMITTED,
            EventType.TEMPLATE_REJECTED,
            EventType.TEMPLATE_MODIFIED,
            EventType.TEMPLATE_APPROVED,
            EventType.TEMPLATE_DELETED,
        ]

    loop.run_until_complete(scenario())
