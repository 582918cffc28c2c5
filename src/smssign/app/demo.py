"""`smssign serve --demo`: one demo account with a pending signature to review, an
approved signature and an approved template to send with, a demo console operator, and
commands to try: a provider's own tools to modify the signature and send the template, and
the curl that reads the sent message back from the inbox (`/_smssign/messages/latest`,
which `--demo` serves)."""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from smssign.app.runtime import Runtime, default_providers
from smssign.backoffice.services import open_backoffice
from smssign.core import errors
from smssign.core.accounts import Issued
from smssign.core.model import (
    Credential,
    Draft,
    Image,
    Signature,
    Status,
    Template,
    TemplateType,
)
from smssign.core.providers import CredentialKind, Providers, Walkthrough
from smssign.core.templates import TemplateDraft

DEMO_ACCOUNT = "demo"
DEMO_SIGNATURE = "演示签名"
DEMO_SENDING_SIGNATURE = "短信演示"
"""Approved at once, so the demo's send works while the demo signature waits for review."""
DEMO_TEMPLATE = "演示验证码"
DEMO_TEMPLATE_CONTENT = "您的验证码是{1}，{2}分钟内有效。"
DEMO_REVIEWER = "demo"
DEMO_OPERATOR = "demo"
DEMO_PASSWORD_KEY = "demo-operator-password"
DEMO_MOBILE = "+8613800138000"
DEMO_PARAMS = ("123456", "5")
"""The verification code and the minutes of the demo template."""


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
    sending_signature: Signature | None = None


async def ensure_demo(runtime: Runtime) -> Demo:
    """Create the demo account, its signature and its template the first time; reuse
    them afterwards (a demo database from before templates gets its template now)."""
    account = await runtime.repository.account_named(DEMO_ACCOUNT)
    if account is None:
        issued = await runtime.accounts.create(DEMO_ACCOUNT)
    else:
        issued = await runtime.accounts.issued(account.id)
    signature_id = await _demo_signature(runtime, issued)
    sending = await _sending_signature(runtime, issued)
    return Demo(issued, signature_id, await _demo_template(runtime, issued), sending)


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
    """The signature the walkthrough modifies: the account's oldest but the sending one."""
    found, _ = await runtime.signatures.page(issued.account)
    for signature in found:
        if signature.name != DEMO_SENDING_SIGNATURE:
            return signature.id
    change = await runtime.signatures.add(issued.account, _draft(DEMO_SIGNATURE), dialect="demo")
    return change.signature.id


async def _sending_signature(runtime: Runtime, issued: Issued) -> Signature:
    """The approved signature the demo's send goes out under (made once; a demo database
    from before sending gets it now)."""
    found, _ = await runtime.signatures.page(issued.account)
    for signature in found:
        if signature.name == DEMO_SENDING_SIGNATURE and signature.status is Status.APPROVED:
            return signature
    change = await runtime.signatures.add(
        issued.account, _draft(DEMO_SENDING_SIGNATURE), dialect="demo"
    )
    return await runtime.signatures.review(
        change.signature.id, Status.APPROVED, reviewer=DEMO_REVIEWER
    )


def _draft(name: str) -> Draft:
    return Draft(
        name=name,
        sign_type=0,
        document_type=1,
        proof_images=(Image(sample_png(), "PNG", 4, 4),),
        remark="created by smssign serve --demo",
    )


def inbox_line(endpoint: str, mobile: str = DEMO_MOBILE) -> str:
    """The curl that reads the newest message to `mobile` from the inbox."""
    return f"curl -s '{endpoint}/_smssign/messages/latest?mobile={quote(mobile)}'"


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
    if demo.sending_signature is not None:
        sending = demo.sending_signature
        lines.append(f"  sending signature: {sending.name} ({sending.status.value})")
    if demo.template is not None:
        t = demo.template
        lines.append(f"  demo template id: {t.id} ({t.status.value}): {t.content}")
    for kind in providers.kinds:
        if kind is not first:
            lines.extend(_faces(kind, credentials, account.id))
    if guide is not None and guide.walkthrough is not None and first is not None:
        proof = base64.b64encode(sample_png(color=(30, 30, 200))).decode()
        walk = Walkthrough(
            credentials[first.name],
            demo.signature_id,
            endpoint,
            proof,
            credentials=credentials,
            template_id=demo.template.id if demo.template is not None else None,
            sign_name=demo.sending_signature.name if demo.sending_signature else None,
            mobile=DEMO_MOBILE,
            params=DEMO_PARAMS,
        )
        lines.extend(["", *guide.walkthrough(walk)])
    lines.extend(
        ["", f"read the newest message to {DEMO_MOBILE} back:", f"  {inbox_line(endpoint)}"]
    )
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
