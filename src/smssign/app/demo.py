"""`smssign serve --demo`: one demo account with one pending signature and one approved
template, a demo console operator, and commands to try."""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import Mapping
from dataclasses import dataclass

from smssign.app.runtime import Runtime, default_providers
from smssign.backoffice.services import open_backoffice
from smssign.core import errors
from smssign.core.accounts import Issued
from smssign.core.model import Credential, Draft, Image, Status, Template, TemplateType
from smssign.core.providers import CredentialKind, Providers, Walkthrough
from smssign.core.templates import TemplateDraft

DEMO_ACCOUNT = "demo"
DEMO_SIGNATURE = "演示签名"
DEMO_TEMPLATE = "演示验证码"
DEMO_TEMPLATE_CONTENT = "您的验证码是{1}，{2}分钟内有效。"
DEMO_REVIEWER = "demo"
DEMO_OPERATOR = "demo"
DEMO_PASSWORD_KEY = "demo-operator-password"


def sample_png(
    width: int = 4, height: int = 4, color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A tiny valid PNG, small enough to paste into a command line."""
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class Demo:
    issued: Issued
    signature_id: int
    template: Template | None = None


async def ensure_demo(runtime: Runtime) -> Demo:
    """Create the demo account, its signature and its template the first time; reuse
    them afterwards (a demo database from before templates gets its template now)."""
    account = await runtime.repository.account_named(DEMO_ACCOUNT)
    if account is None:
        issued = await runtime.accounts.create(DEMO_ACCOUNT)
    else:
        issued = await runtime.accounts.issued(account.id)
    signature_id = await _demo_signature(runtime, issued)
    return Demo(issued, signature_id, await _demo_template(runtime, issued))


async def _demo_template(runtime: Runtime, issued: Issued) -> Template:
    """The demo's approved template: a verification code with two parameters."""
    page, _ = await runtime.templates.page(issued.account, limit=1)
    if page:
        return page[0]
    draft = TemplateDraft(
        name=DEMO_TEMPLATE,
        content=DEMO_TEMPLATE_CONTENT,
        type=TemplateType.VERIFICATION,
        international=False,
        remark="created by smssign serve --demo",
    )
    change = await runtime.templates.add(issued.account, draft, dialect="demo")
    return await runtime.templates.review(
        change.template.id, Status.APPROVED, reviewer=DEMO_REVIEWER
    )


async def _demo_signature(runtime: Runtime, issued: Issued) -> int:
    page, _ = await runtime.signatures.page(issued.account, limit=1)
    if page:
        return page[0].id
    png = sample_png()
    change = await runtime.signatures.add(
        issued.account,
        Draft(
            name=DEMO_SIGNATURE,
            sign_type=0,
            document_type=1,
            proof_images=(Image(png, "PNG", 4, 4),),
            remark="created by smssign serve --demo",
        ),
        dialect="demo",
    )
    return change.signature.id


def instructions(demo: Demo, endpoint: str, providers: Providers | None = None) -> str:
    """The demo account's credentials and, from the first provider that offers one, a
    walkthrough that drives the demo signature with that provider's own tools."""
    providers = providers or default_providers()
    credentials = demo.issued.credentials
    account = demo.issued.account
    guide = next(
        (
            p
            for p in providers
            if p.walkthrough is not None and p.credentials and p.credentials[0].name in credentials
        ),
        None,
    )
    first = guide.credentials[0] if guide is not None else None
    lines = [f"demo account {account.id} ({account.name})"]
    if first is not None:
        lines.extend(_faces(first, credentials, account.id))
    lines.append(f"  demo signature id: {demo.signature_id}")
    if demo.template is not None:
        t = demo.template
        lines.append(f"  demo template id: {t.id} ({t.status.value}): {t.content}")
    for kind in providers.kinds:
        if kind is not first:
            lines.extend(_faces(kind, credentials, account.id))
    if guide is not None and guide.walkthrough is not None and first is not None:
        proof = base64.b64encode(sample_png(color=(30, 30, 200))).decode()
        walk = Walkthrough(credentials[first.name], demo.signature_id, endpoint, proof)
        lines.extend(["", *guide.walkthrough(walk)])
    return "\n".join(lines)


def _faces(
    kind: CredentialKind, credentials: Mapping[str, Credential], account_id: int
) -> list[str]:
    """How one credential of the account shows in the demo, if the account holds it."""
    credential = credentials.get(kind.name)
    if credential is None or kind.demo is None:
        return []
    return list(kind.demo(credential, account_id))


@dataclass(frozen=True, slots=True)
class DemoOperator:
    name: str
    password: str


async def ensure_demo_operator(runtime: Runtime) -> DemoOperator:
    """The demo console operator, created the first time only.

    Its password is made up once and kept with the server's keys, so every restart prints
    the same one and never makes a second operator.
    """
    async with open_backoffice(runtime) as backoffice:
        password = await backoffice.store.server_key(
            DEMO_PASSWORD_KEY, lambda: runtime.randomness.token(8), runtime.clock.now()
        )
        existing = {operator.name for operator in await backoffice.operators.operators()}
        if DEMO_OPERATOR not in existing:
            # Another process started with --demo at the same moment: theirs counts.
            with contextlib.suppress(errors.Conflict):
                await backoffice.operators.create(DEMO_OPERATOR, password)
    return DemoOperator(DEMO_OPERATOR, password)


def console_login(operator: DemoOperator, endpoint: str) -> str:
    """Where to log in to the console as the demo operator."""
    return "\n".join(
        [
            f"console: {endpoint}/console/",
            f"  operator name: {operator.name}",
            f"  password: {operator.password}",
        ]
    )
