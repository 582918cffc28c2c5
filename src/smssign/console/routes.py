"""The review console at /console: server-rendered pages for operators, plain HTML forms.

Every page works without JavaScript. `visit.py` holds what every page shares (session,
CSRF, forms, rendering, errors as pages); this module the pages and their routes.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from smssign.backoffice.operators import LoginRefused
from smssign.backoffice.timeline import FieldChange, compare
from smssign.backoffice.webhooks import DeliveryStatus
from smssign.console import message_pages
from smssign.console.i18n import LANG_COOKIE, LANG_COOKIE_AGE, LANGUAGES
from smssign.console.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    set_cookie,
)
from smssign.console.visit import (
    HERE,
    PAGE_SIZE,
    QUEUE_SIZE,
    FormError,
    Visit,
    optional_id,
    page,
    page_number,
    redirect,
    safe_next,
)
from smssign.core import bounds, errors, images
from smssign.core.model import TEMPLATE, Certification, Signature, Status, Template
from smssign.web.transport import client_ip

# --- login ----------------------------------------------------------------------------


async def login(visit: Visit) -> Response:
    if visit.request.method == "GET":
        if visit.session is not None:
            return redirect("/console/")
        target = safe_next(visit.request.query_params.get("next", ""))
        return visit.render("login.html", error="", name="", next=target)
    form = visit.form
    name = form.get("name").strip()
    target = safe_next(form.get("next"))
    try:
        session, token = await visit.backoffice.operators.login(
            name, form.get("password"), client_ip(visit.request)
        )
    except LoginRefused as exc:
        return visit.render(
            "login.html",
            429 if exc.locked else 401,
            error=visit.text(str(exc)),
            name=name[:64],
            next=target,
        )
    response = redirect(target)
    lifetime = int(session.expires_at - session.created_at)
    set_cookie(visit.request, response, SESSION_COOKIE, visit.seal.seal("session", token), lifetime)
    clear_cookie(visit.request, response, LOGIN_COOKIE)
    visit.new_nonce = False
    return response


async def language(visit: Visit) -> Response:
    """The language switch: remembered in a cookie, which outranks Accept-Language."""
    chosen = visit.form.get("lang")
    if chosen not in LANGUAGES:
        raise FormError("Choose a language.")
    response = redirect(safe_next(visit.form.get("next")))
    set_cookie(visit.request, response, LANG_COOKIE, chosen, LANG_COOKIE_AGE)
    return response


async def logout(visit: Visit) -> Response:
    if visit.session_token is not None:
        await visit.backoffice.operators.logout(visit.session_token)
    response = redirect("/console/login")
    clear_cookie(visit.request, response, SESSION_COOKIE)
    return response


# --- dashboard, queue, signatures -----------------------------------------------------


async def dashboard(visit: Visit) -> Response:
    store = visit.backoffice.store
    oldest, _ = await store.signature_list(statuses=[Status.PENDING], oldest_first=True, limit=1)
    today = message_pages.day_start(visit.backoffice.runtime.clock.now())
    return visit.render(
        "dashboard.html",
        counts=await store.status_counts(),
        template_counts=await store.status_counts(TEMPLATE),
        deliveries=await store.delivery_counts(),
        message_counts=await store.message_counts(today),
        today=today,
        oldest=oldest[0] if oldest else None,
        policy=visit.backoffice.policy,
    )


@dataclass(frozen=True, slots=True)
class QueueItem:
    signature: Signature
    account_name: str
    kind: str
    changes: list[FieldChange] | None


async def _queue_items(visit: Visit, signatures: list[Signature]) -> list[QueueItem]:
    repository = visit.backoffice.runtime.repository
    names: dict[int, str] = {}
    items = []
    for signature in signatures:
        if signature.account_id not in names:
            account = await repository.account(signature.account_id)
            names[signature.account_id] = account.name if account else "?"
        applications = await repository.applications(signature.id)
        kind = applications[-1].kind.value if applications else "add"
        changes = None
        if len(applications) >= 2:
            changes = compare(applications[-2].snapshot, applications[-1].snapshot)
        items.append(QueueItem(signature, names[signature.account_id], kind, changes))
    return items


@dataclass(frozen=True, slots=True)
class TemplateItem:
    template: Template
    account_name: str
    kind: str
    changes: list[FieldChange] | None


async def _template_items(visit: Visit, found: list[Template]) -> list[TemplateItem]:
    repository = visit.backoffice.runtime.repository
    names: dict[int, str] = {}
    items = []
    for template in found:
        if template.account_id not in names:
            account = await repository.account(template.account_id)
            names[template.account_id] = account.name if account else "?"
        applications = await repository.applications(template.subject)
        kind = applications[-1].kind.value if applications else "add"
        changes = None
        if len(applications) >= 2:
            changes = compare(applications[-2].snapshot, applications[-1].snapshot, TEMPLATE)
        items.append(TemplateItem(template, names[template.account_id], kind, changes))
    return items


async def queue(visit: Visit) -> Response:
    store = visit.backoffice.store
    pending, pending_total = await store.signature_list(
        statuses=[Status.PENDING], oldest_first=True, limit=QUEUE_SIZE
    )
    templates, template_total = await store.reviewable_list(
        TEMPLATE, statuses=[Status.PENDING], oldest_first=True, limit=QUEUE_SIZE
    )
    filing, filing_total = await store.signature_list(
        statuses=[Status.FILING], oldest_first=True, limit=QUEUE_SIZE
    )
    return visit.render(
        "queue.html",
        pending=await _queue_items(visit, pending),
        pending_total=pending_total,
        filing=await _queue_items(visit, filing),
        filing_total=filing_total,
        templates=await _template_items(visit, [t for t in templates if isinstance(t, Template)]),
        template_total=template_total,
        now=visit.backoffice.runtime.clock.now(),
    )


async def signatures(visit: Visit) -> Response:
    status = visit.query("status")
    if status and status not in {s.value for s in Status}:
        raise FormError("status must be pending, filing, approved or rejected.")
    account_id = optional_id(visit.query("account"), "account")
    text = visit.query("q").strip()[:100]
    number = page_number(visit)
    found, total = await visit.backoffice.store.signature_list(
        statuses=[Status(status)] if status else [],
        account_id=account_id,
        text=text,
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    return visit.render(
        "signatures.html",
        signatures=found,
        total=total,
        page=number,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        status=status,
        account=account_id or "",
        q=text,
        query=lambda n: urlencode(
            {"status": status, "account": account_id or "", "q": text, "page": n}
        ),
    )


async def signature(visit: Visit) -> Response:
    sign_id = visit.path_id("sign_id")
    timeline = await visit.backoffice.timeline(sign_id)
    if timeline is None:
        raise errors.NotFound()
    account = await visit.backoffice.runtime.repository.account(timeline.signature.account_id)
    return visit.render(
        "signature.html",
        timeline=timeline,
        signature=timeline.signature,
        deleted_at=timeline.record.deleted_at,
        account=account,
        changes=timeline.changes(),
        current=timeline.current_application(),
    )


_DECISIONS = {"approved": Status.APPROVED, "filing": Status.FILING, "rejected": Status.REJECTED}


async def review(visit: Visit) -> Response:
    sign_id = visit.path_id("sign_id")
    decision = _DECISIONS.get(visit.form.get("decision"))
    if decision is None:
        raise FormError("Choose approve, start filing or reject.")
    reason = visit.form.get("reason")
    await visit.backoffice.runtime.signatures.review(
        sign_id, decision, reason=reason, reviewer=visit.operator_name
    )
    if visit.backoffice.worker is not None:
        visit.backoffice.worker.wake()
    if visit.form.get("back") == "queue":
        return redirect("/console/queue", done=decision.value, id=sign_id)
    return redirect(f"/console/signatures/{sign_id}", done=decision.value, id=sign_id)


# --- templates ------------------------------------------------------------------------

TEMPLATE_STATUSES = (Status.PENDING, Status.APPROVED, Status.REJECTED)


async def templates(visit: Visit) -> Response:
    status = visit.query("status")
    if status and status not in {s.value for s in TEMPLATE_STATUSES}:
        raise FormError("status must be pending, approved or rejected.")
    account_id = optional_id(visit.query("account"), "account")
    text = visit.query("q").strip()[:100]
    number = page_number(visit)
    found, total = await visit.backoffice.store.reviewable_list(
        TEMPLATE,
        statuses=[Status(status)] if status else [],
        account_id=account_id,
        text=text,
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    return visit.render(
        "templates.html",
        templates=found,
        total=total,
        page=number,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        status=status,
        statuses=[s.value for s in TEMPLATE_STATUSES],
        account=account_id or "",
        q=text,
        query=lambda n: urlencode(
            {"status": status, "account": account_id or "", "q": text, "page": n}
        ),
    )


async def template(visit: Visit) -> Response:
    template_id = visit.path_id("template_id")
    timeline = await visit.backoffice.template_timeline(template_id)
    if timeline is None:
        raise errors.NotFound()
    account = await visit.backoffice.runtime.repository.account(timeline.template.account_id)
    return visit.render(
        "template.html",
        timeline=timeline,
        tpl=timeline.template,
        deleted_at=timeline.record.deleted_at,
        account=account,
        changes=timeline.changes(),
    )


_TEMPLATE_DECISIONS = {"approved": Status.APPROVED, "rejected": Status.REJECTED}


async def template_review(visit: Visit) -> Response:
    template_id = visit.path_id("template_id")
    decision = _TEMPLATE_DECISIONS.get(visit.form.get("decision"))
    if decision is None:
        raise FormError("Choose approve or reject.")
    try:
        await visit.backoffice.runtime.templates.review(
            template_id, decision, reason=visit.form.get("reason"), reviewer=visit.operator_name
        )
    except errors.InvalidTransition as exc:
        raise FormError(
            "The template is {current} now, so it cannot become {target}. "
            "Someone may have reviewed it first.",
            409,
            current=visit.text(str(exc.status)),
            target=visit.text(str(exc.target)),
        ) from exc
    if visit.backoffice.worker is not None:
        visit.backoffice.worker.wake()
    done = f"template-{decision.value}"
    if visit.form.get("back") == "queue":
        return redirect("/console/queue", done=done, id=template_id)
    return redirect(f"/console/templates/{template_id}", done=done, id=template_id)


async def image(visit: Visit) -> Response:
    digest = str(visit.request.path_params.get("digest", ""))
    if not images.DIGEST.fullmatch(digest):
        raise errors.NotFound()
    data = await visit.backoffice.runtime.blobs.get(digest)
    if data is None:
        raise errors.NotFound()
    return Response(
        data,
        media_type=images.image_type(data),
        headers={
            "Cache-Control": "private, max-age=86400, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


# --- accounts -------------------------------------------------------------------------


async def accounts(visit: Visit) -> Response:
    runtime = visit.backoffice.runtime
    if visit.request.method == "POST":
        name = visit.form.get("name")
        individual = visit.form.get("certification") == Certification.INDIVIDUAL.value
        issued = await runtime.accounts.create(name, individual=individual)
        return visit.render(
            "issued.html", account=issued.account, credentials=list(issued.credentials.values())
        )
    return visit.render("accounts.html", accounts=await runtime.repository.accounts())


async def account(visit: Visit) -> Response:
    account_id = visit.path_id("account_id")
    backoffice = visit.backoffice
    found = await backoffice.runtime.accounts.get(account_id)
    recent, total = await backoffice.store.signature_list(account_id=account_id, limit=20)
    return visit.render(
        "account.html",
        account=found,
        credentials=await backoffice.runtime.repository.credentials(account_id),
        webhook=await backoffice.webhooks.get(account_id),
        deliveries=await backoffice.store.deliveries(account_id=account_id, limit=20),
        delivery_counts=await backoffice.store.delivery_counts(account_id),
        signatures=recent,
        signature_total=total,
    )


def parse_networks(text: str) -> list[str]:
    """The allow-list field: networks separated by commas or white space, in CIDR form.

    The core checks them; what does not parse is passed on as typed for it to refuse.
    """
    return [_cidr(part) for part in re.split(r"[\s,]+", text.strip()) if part]


def _cidr(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return text


async def policy(visit: Visit) -> Response:
    account_id = visit.path_id("account_id")
    form = visit.form
    try:
        certification = Certification(form.get("certification"))
    except ValueError as exc:
        raise FormError("Certification must be enterprise or individual.") from exc
    quota_text = form.get("quota").strip()
    if not quota_text.isascii() or not quota_text.isdigit() or len(quota_text) > 9:
        raise FormError(
            "The quota must be a whole number from 0 to {most}.", most=bounds.MOST_QUOTA
        )
    await visit.backoffice.runtime.accounts.update(
        account_id,
        certification=certification,
        arrears=form.flag("arrears"),
        ip_allow=parse_networks(form.get("ip_allow")),
        signature_quota=int(quota_text),
    )
    return redirect(f"/console/accounts/{account_id}", done="policy")


async def rotate(visit: Visit) -> Response:
    account_id = visit.path_id("account_id")
    runtime = visit.backoffice.runtime
    dialect = visit.form.get("dialect")
    if dialect not in runtime.providers.kind_names:
        raise FormError("Choose {choices}.", choices=runtime.providers.spelled())
    credential = await runtime.accounts.rotate(account_id, dialect)
    found = await runtime.accounts.get(account_id)
    return visit.render("issued.html", account=found, credentials=[credential], rotated=True)


async def webhook(visit: Visit) -> Response:
    account_id = visit.path_id("account_id")
    service = visit.backoffice.webhooks
    await visit.backoffice.runtime.accounts.get(account_id)
    if visit.form.get("action") == "remove":
        await service.remove(account_id)
        return redirect(f"/console/accounts/{account_id}", done="webhook-removed")
    secret = visit.form.get("secret").strip()
    had_one = await service.get(account_id) is not None
    saved = await service.set(
        account_id, visit.form.get("url"), secret=secret or None, enabled=visit.form.flag("enabled")
    )
    if not secret and not had_one:
        # A made-up secret is no use unless the operator sees it once.
        return visit.render("webhook_secret.html", webhook=saved)
    return redirect(f"/console/accounts/{account_id}", done="webhook")


# --- deliveries -----------------------------------------------------------------------


async def deliveries(visit: Visit) -> Response:
    status = visit.query("status")
    if status and status not in {s.value for s in DeliveryStatus}:
        raise FormError("Unknown delivery status.")
    account_id = optional_id(visit.query("account"), "account")
    number = page_number(visit)
    found = await visit.backoffice.store.deliveries(
        account_id=account_id,
        status=DeliveryStatus(status) if status else None,
        offset=(number - 1) * PAGE_SIZE,
        limit=PAGE_SIZE + 1,
    )
    return visit.render(
        "deliveries.html",
        deliveries=found[:PAGE_SIZE],
        more=len(found) > PAGE_SIZE,
        page=number,
        status=status,
        account=account_id or "",
        query=lambda n: urlencode({"status": status, "account": account_id or "", "page": n}),
    )


async def delivery(visit: Visit) -> Response:
    delivery_id = visit.path_id("delivery_id")
    store = visit.backoffice.store
    found = await store.delivery(delivery_id)
    if found is None:
        raise errors.NotFound()
    return visit.render(
        "delivery.html",
        delivery=found,
        attempts=await store.attempts(delivery_id),
        webhook=await visit.backoffice.webhooks.get(found.account_id),
    )


async def retry(visit: Visit) -> Response:
    delivery_id = visit.path_id("delivery_id")
    await visit.backoffice.webhooks.retry(delivery_id)
    if visit.backoffice.worker is not None:
        visit.backoffice.worker.wake()
    return redirect(f"/console/deliveries/{delivery_id}", done="retry", id=delivery_id)


def routes() -> list[BaseRoute]:
    """The console's routes, to be mounted at /console."""
    get, post, both = ["GET"], ["POST"], ["GET", "POST"]
    return [
        Route("/", page(dashboard), methods=get),
        Route("/login", page(login, public=True), methods=both),
        Route("/logout", page(logout), methods=post),
        Route("/language", page(language, public=True), methods=post),
        Route("/queue", page(queue), methods=get),
        Route("/signatures", page(signatures), methods=get),
        Route("/signatures/{sign_id}", page(signature), methods=get),
        Route("/signatures/{sign_id}/review", page(review), methods=post),
        Route("/templates", page(templates), methods=get),
        Route("/templates/{template_id}", page(template), methods=get),
        Route("/templates/{template_id}/review", page(template_review), methods=post),
        Route("/images/{digest}", page(image), methods=get),
        *message_pages.routes(),
        Route("/accounts", page(accounts), methods=both),
        Route("/accounts/{account_id}", page(account), methods=get),
        Route("/accounts/{account_id}/policy", page(policy), methods=post),
        Route("/accounts/{account_id}/rotate", page(rotate), methods=post),
        Route("/accounts/{account_id}/webhook", page(webhook), methods=post),
        Route("/deliveries", page(deliveries), methods=get),
        Route("/deliveries/{delivery_id}", page(delivery), methods=get),
        Route("/deliveries/{delivery_id}/retry", page(retry), methods=post),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="console-static"),
    ]
