"""The admin HTTP API under /admin/api/: everything the console does, as JSON, for automation.

Callers present `Authorization: Bearer <token>` with a token from
`smssign operators token NAME`; reviews made this way are recorded under that operator's
name. Errors are `{"error": {"code", "message", "field"?}}` with a fitting HTTP status;
the OpenAPI document at /admin/api/openapi.json describes every route.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smssign.admin.openapi import document
from smssign.backoffice.accounts import issued_json
from smssign.backoffice.inbox import BadQuery, add_rule, message_filter
from smssign.backoffice.operators import Operator
from smssign.backoffice.services import Backoffice
from smssign.backoffice.timeline import delivery_json
from smssign.backoffice.webhooks import DeliveryStatus, Webhook
from smssign.core import errors, images
from smssign.core.messages import inbox_view
from smssign.core.model import (
    SIGNATURE,
    TEMPLATE,
    Account,
    Certification,
    Credential,
    Signature,
    Status,
    Template,
)
from smssign.core.ports import Reviewable
from smssign.core.providers import Providers
from smssign.core.review import KINDS
from smssign.web.transport import read_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_ID = 2**63 - 1
MAX_LIMIT = 500
_DIGEST = re.compile(r"[0-9a-f]{64}")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(data),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _error(exc: ApiError) -> Response:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.field is not None:
        body["field"] = exc.field
    response = json_response({"error": body}, exc.status)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="smssign"'
    return response


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated API request."""

    request: Request
    backoffice: Backoffice
    operator: Operator

    def path_id(self, name: str) -> int:
        raw = str(self.request.path_params.get(name, ""))
        if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
            raise ApiError(404, "not_found", f"no such {name.removesuffix('_id')}")
        return int(raw)

    def query_int(self, name: str, default: int | None, *, lowest: int, highest: int) -> int | None:
        raw = self.request.query_params.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isascii() or not raw.isdigit() or not lowest <= int(raw) <= highest:
            raise ApiError(
                400, "invalid_query", f"{name} must be a whole number {lowest}..{highest}", name
            )
        return int(raw)

    async def body(self) -> dict[str, Any]:
        content_type = self.request.headers.get("content-type", "").split(";")[0].strip()
        if content_type.lower() != "application/json":
            raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
        raw = await read_body(self.request, MAX_BODY_BYTES)
        if raw is None:
            raise ApiError(413, "too_large", f"the body may be at most {MAX_BODY_BYTES} bytes")
        try:
            data = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, "invalid_json", "the body is not JSON") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "the body must be a JSON object")
        return data


Handler = Callable[[Call], Awaitable[Response]]


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: bearer authentication and every failure as a JSON error."""

    async def endpoint(request: Request) -> Response:
        backoffice: Backoffice = request.app.state.backoffice
        try:
            operator = await _authenticate(request, backoffice)
            return await handler(Call(request, backoffice, operator))
        except ApiError as exc:
            return _error(exc)
        except (errors.NotFound, errors.AccountNotFound) as exc:
            return _error(ApiError(404, "not_found", str(exc) or "not found"))
        except errors.InvalidSubmission as exc:
            return _error(ApiError(422, "invalid", exc.reason, exc.field))
        except (errors.InvalidTransition, errors.NotModifiable) as exc:
            return _error(ApiError(409, "invalid_transition", str(exc)))
        except errors.Conflict as exc:
            return _error(ApiError(409, "conflict", str(exc)))
        except errors.Unavailable:
            log.warning("admin api: store unavailable")
            return _error(ApiError(503, "unavailable", "the database is not reachable"))
        except errors.SmssignError as exc:
            return _error(ApiError(400, "refused", str(exc) or type(exc).__name__))
        except Exception:
            log.exception("admin api: unexpected error on %s", request.url.path)
            return _error(ApiError(500, "internal", "unexpected error; see the server log"))

    return endpoint


async def _authenticate(request: Request, backoffice: Backoffice) -> Operator:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>")
    operator = await backoffice.operators.authenticate_token(token.strip())
    if operator is None:
        raise ApiError(401, "unauthorized", "unknown or revoked token")
    return operator


# --- JSON shapes ----------------------------------------------------------------------


def signature_json(signature: Signature) -> dict[str, Any]:
    data = signature.snapshot()
    data["created_at"] = signature.created_at
    data["updated_at"] = signature.updated_at
    return data


def template_json(template: Template) -> dict[str, Any]:
    data = template.snapshot()
    data["created_at"] = template.created_at
    data["updated_at"] = template.updated_at
    return data


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "certification": account.certification.value,
        "arrears": account.arrears,
        "ip_allow": list(account.ip_allow),
        "signature_quota": account.signature_quota,
        "created_at": account.created_at,
    }


def credential_json(
    credential: Credential, providers: Providers, *, with_secret: bool = False
) -> dict[str, Any]:
    key_id: str | None = credential.key_id
    try:
        hashed = providers.kind(credential.dialect).hashed
    except KeyError:
        hashed = True  # a kind no registered provider declares: show no key
    if hashed and not with_secret:
        key_id = None  # the key is itself the secret
    data: dict[str, Any] = {
        "dialect": credential.dialect,
        "key_id": key_id,
        "created_at": credential.created_at,
    }
    if with_secret:
        data["secret"] = credential.secret
    return data


def webhook_json(webhook: Webhook, *, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account_id": webhook.account_id,
        "url": webhook.url,
        "enabled": webhook.enabled,
        "created_at": webhook.created_at,
        "updated_at": webhook.updated_at,
    }
    if with_secret:
        data["secret"] = webhook.secret
    return data


# --- field checks ---------------------------------------------------------------------


def _string(data: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(422, "invalid", f"{name} is required", name)
        return None
    if not isinstance(value, str):
        raise ApiError(422, "invalid", f"{name} must be a string", name)
    if "\x00" in value:
        raise ApiError(422, "invalid", f"{name} must not contain NUL", name)
    return value


def _bool(data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ApiError(422, "invalid", f"{name} must be true or false", name)
    return value


def _known(data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ApiError(422, "invalid", f"unknown field(s): {', '.join(unknown)}", unknown[0])


# --- handlers -------------------------------------------------------------------------


async def openapi(request: Request) -> Response:
    return json_response(document(request.app.state.runtime.providers))


async def me(call: Call) -> Response:
    return json_response({"id": call.operator.id, "name": call.operator.name})


async def stats(call: Call) -> Response:
    store = call.backoffice.store
    return json_response(
        {
            "signatures": await store.status_counts(),
            "templates": await store.status_counts(TEMPLATE),
            "deliveries": await store.delivery_counts(),
        }
    )


async def queue(call: Call) -> Response:
    limit = call.query_int("limit", 100, lowest=1, highest=MAX_LIMIT) or 100
    store = call.backoffice.store
    found, total = await store.signature_list(
        statuses=[Status.PENDING], oldest_first=True, limit=limit
    )
    templates, template_total = await store.reviewable_list(
        TEMPLATE, statuses=[Status.PENDING], oldest_first=True, limit=limit
    )
    return json_response(
        {
            "signatures": [signature_json(s) for s in found],
            "total": total,
            "templates": [_item_json(t) for t in templates],
            "template_total": template_total,
        }
    )


def _item_json(item: Reviewable) -> dict[str, Any]:
    if isinstance(item, Template):
        return template_json(item)
    assert isinstance(item, Signature)
    return signature_json(item)


async def _listing(call: Call, kind: str, key: str) -> Response:
    """GET /signatures or /templates: one kind's live items, filtered and paged."""
    raw_status = call.request.query_params.get("status", "")
    statuses: list[Status] = []
    for part in filter(None, raw_status.split(",")):
        try:
            statuses.append(Status(part))
        except ValueError as exc:
            raise ApiError(400, "invalid_query", f"unknown status {part[:40]!r}", "status") from exc
    text = call.request.query_params.get("q", "")[:100]
    if any(ord(ch) < 32 for ch in text):
        raise ApiError(400, "invalid_query", "q contains control characters", "q")
    found, total = await call.backoffice.store.reviewable_list(
        kind,
        statuses=statuses,
        account_id=call.query_int("account_id", None, lowest=1, highest=MAX_ID),
        text=text,
        oldest_first=call.request.query_params.get("order") == "oldest",
        offset=call.query_int("offset", 0, lowest=0, highest=10**9) or 0,
        limit=call.query_int("limit", 50, lowest=1, highest=MAX_LIMIT) or 50,
    )
    return json_response({key: [_item_json(item) for item in found], "total": total})


async def signatures(call: Call) -> Response:
    return await _listing(call, SIGNATURE, "signatures")


async def templates(call: Call) -> Response:
    return await _listing(call, TEMPLATE, "templates")


async def signature(call: Call) -> Response:
    timeline = await call.backoffice.timeline(call.path_id("sign_id"))
    if timeline is None:
        raise ApiError(404, "not_found", "no such signature")
    return json_response(
        {
            "signature": signature_json(timeline.signature),
            "deleted_at": timeline.record.deleted_at,
            "timeline": [entry.as_json() for entry in timeline.entries],
        }
    )


async def template(call: Call) -> Response:
    timeline = await call.backoffice.template_timeline(call.path_id("template_id"))
    if timeline is None:
        raise ApiError(404, "not_found", "no such template")
    return json_response(
        {
            "template": template_json(timeline.template),
            "deleted_at": timeline.record.deleted_at,
            "timeline": [entry.as_json() for entry in timeline.entries],
        }
    )


_DECISIONS = {
    "approved": Status.APPROVED,
    "approve": Status.APPROVED,
    "filing": Status.FILING,
    "rejected": Status.REJECTED,
    "reject": Status.REJECTED,
}


async def _decision(call: Call, kind: str) -> tuple[Status, str]:
    """The review body: one of the kind's decisions, and the reason."""
    allowed = [
        s for s in (Status.APPROVED, Status.FILING, Status.REJECTED) if s in KINDS[kind].decisions
    ]
    data = await call.body()
    _known(data, {"decision", "reason"})
    decision = _DECISIONS.get(_string(data, "decision", required=True) or "")
    if decision not in allowed:
        names = ", ".join(s.value for s in allowed[:-1]) + f" or {allowed[-1].value}"
        raise ApiError(422, "invalid", f"decision must be {names}", "decision")
    assert decision is not None
    return decision, _string(data, "reason") or ""


async def review(call: Call) -> Response:
    sign_id = call.path_id("sign_id")
    decision, reason = await _decision(call, SIGNATURE)
    saved = await call.backoffice.runtime.signatures.review(
        sign_id, decision, reason=reason, reviewer=call.operator.name
    )
    if call.backoffice.worker is not None:
        call.backoffice.worker.wake()
    return json_response({"signature": signature_json(saved)})


async def template_review(call: Call) -> Response:
    template_id = call.path_id("template_id")
    decision, reason = await _decision(call, TEMPLATE)
    saved = await call.backoffice.runtime.templates.review(
        template_id, decision, reason=reason, reviewer=call.operator.name
    )
    if call.backoffice.worker is not None:
        call.backoffice.worker.wake()
    return json_response({"template": template_json(saved)})


async def image(call: Call) -> Response:
    digest = str(call.request.path_params.get("digest", ""))
    data = await call.backoffice.runtime.blobs.get(digest) if _DIGEST.fullmatch(digest) else None
    if data is None:
        raise ApiError(404, "not_found", "no such image")
    return Response(
        data,
        media_type=images.image_type(data),
        # As in the console: an image opened on its own can run nothing.
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


async def accounts(call: Call) -> Response:
    runtime = call.backoffice.runtime
    if call.request.method == "GET":
        found = await runtime.repository.accounts()
        return json_response({"accounts": [account_json(a) for a in found]})
    data = await call.body()
    _known(data, {"name", "certification"})
    name = _string(data, "name", required=True) or ""
    certification = _string(data, "certification") or Certification.ENTERPRISE.value
    if certification not in {c.value for c in Certification}:
        raise ApiError(422, "invalid", "enterprise or individual", "certification")
    issued = await runtime.accounts.create(
        name, individual=certification == Certification.INDIVIDUAL.value
    )
    return json_response(issued_json(issued, runtime.providers), 201)


async def account(call: Call) -> Response:
    account_id = call.path_id("account_id")
    backoffice = call.backoffice
    runtime = backoffice.runtime
    if call.request.method == "PATCH":
        data = await call.body()
        _known(data, {"certification", "arrears", "ip_allow", "signature_quota"})
        certification = None
        raw_cert = _string(data, "certification")
        if raw_cert is not None:
            try:
                certification = Certification(raw_cert)
            except ValueError as exc:
                raise ApiError(422, "invalid", "enterprise or individual", "certification") from exc
        ip_allow = data.get("ip_allow")
        if ip_allow is not None and not isinstance(ip_allow, list):
            raise ApiError(422, "invalid", "a list of CIDR networks", "ip_allow")
        quota = data.get("signature_quota")
        await runtime.accounts.update(
            account_id,
            certification=certification,
            arrears=_bool(data, "arrears"),
            ip_allow=ip_allow,
            signature_quota=quota,
        )
    found = await runtime.accounts.get(account_id)
    webhook = await backoffice.webhooks.get(account_id)
    return json_response(
        {
            "account": account_json(found),
            "credentials": [
                credential_json(c, runtime.providers)
                for c in await runtime.repository.credentials(account_id)
            ],
            "webhook": webhook_json(webhook) if webhook else None,
        }
    )


async def rotate(call: Call) -> Response:
    account_id = call.path_id("account_id")
    providers = call.backoffice.runtime.providers
    dialect = str(call.request.path_params.get("dialect", ""))
    if dialect not in providers.kind_names:
        raise ApiError(404, "not_found", f"dialect must be {providers.spelled()}")
    credential = await call.backoffice.runtime.accounts.rotate(account_id, dialect)
    return json_response(credential_json(credential, providers, with_secret=True), 201)


async def webhook(call: Call) -> Response:
    account_id = call.path_id("account_id")
    backoffice = call.backoffice
    await backoffice.runtime.accounts.get(account_id)
    method = call.request.method
    if method == "DELETE":
        if not await backoffice.webhooks.remove(account_id):
            raise ApiError(404, "not_found", "the account has no webhook")
        return Response(status_code=204)
    if method == "PUT":
        data = await call.body()
        _known(data, {"url", "secret", "enabled"})
        url = _string(data, "url", required=True) or ""
        secret = _string(data, "secret")
        enabled = _bool(data, "enabled")
        had_one = await backoffice.webhooks.get(account_id) is not None
        saved = await backoffice.webhooks.set(
            account_id, url, secret=secret or None, enabled=True if enabled is None else enabled
        )
        # A secret smssign made up is returned once, so the caller can configure its receiver.
        return json_response(webhook_json(saved, with_secret=not secret and not had_one))
    found = await backoffice.webhooks.get(account_id)
    if found is None:
        raise ApiError(404, "not_found", "the account has no webhook")
    return json_response(webhook_json(found))


async def deliveries(call: Call) -> Response:
    raw_status = call.request.query_params.get("status", "")
    status = None
    if raw_status:
        try:
            status = DeliveryStatus(raw_status)
        except ValueError as exc:
            raise ApiError(400, "invalid_query", "unknown delivery status", "status") from exc
    found = await call.backoffice.store.deliveries(
        account_id=call.query_int("account_id", None, lowest=1, highest=MAX_ID),
        signature_id=call.query_int("signature_id", None, lowest=1, highest=MAX_ID),
        status=status,
        offset=call.query_int("offset", 0, lowest=0, highest=10**9) or 0,
        limit=call.query_int("limit", 50, lowest=1, highest=MAX_LIMIT) or 50,
    )
    return json_response({"deliveries": [delivery_json(d) for d in found]})


async def delivery(call: Call) -> Response:
    delivery_id = call.path_id("delivery_id")
    store = call.backoffice.store
    found = await store.delivery(delivery_id)
    if found is None:
        raise ApiError(404, "not_found", "no such delivery")
    data = delivery_json(found, await store.attempts(delivery_id))
    try:
        data["body"] = orjson.loads(found.body)
    except orjson.JSONDecodeError:
        data["body"] = found.body  # a form-encoded status report
    return json_response(data)


async def retry(call: Call) -> Response:
    delivery_id = call.path_id("delivery_id")
    found = await call.backoffice.webhooks.retry(delivery_id)
    if call.backoffice.worker is not None:
        call.backoffice.worker.wake()
    return json_response(delivery_json(found))


async def messages(call: Call) -> Response:
    """The inbox's list (same filters and shape as GET /_smssign/messages)."""
    try:
        where, limit = message_filter(call.request.query_params)
    except BadQuery as exc:
        raise ApiError(400, "invalid_query", str(exc), str(exc).split(":")[0]) from exc
    found, total = await call.backoffice.runtime.sending.messages(where, limit=limit)
    return json_response({"messages": [inbox_view(m) for m in found], "total": total})


async def message(call: Call) -> Response:
    found = await call.backoffice.runtime.repository.message(call.path_id("message_id"))
    if found is None:
        raise ApiError(404, "not_found", "no such message")
    return json_response(inbox_view(found))


async def outcome_rules(call: Call) -> Response:
    runtime = call.backoffice.runtime
    if call.request.method == "GET":
        found = await runtime.repository.list_outcome_rules()
        return json_response({"rules": [rule.snapshot() for rule in found]})
    try:
        return json_response(await add_rule(runtime.repository, await call.body()), 201)
    except BadQuery as exc:
        raise ApiError(422, "invalid", str(exc), str(exc).split(":")[0]) from exc


async def outcome_rule(call: Call) -> Response:
    if not await call.backoffice.runtime.repository.remove_outcome_rule(call.path_id("rule_id")):
        raise ApiError(404, "not_found", "no such rule")
    return Response(status_code=204)


ROUTES: tuple[tuple[str, Handler, tuple[str, ...]], ...] = (
    ("/me", me, ("GET",)),
    ("/stats", stats, ("GET",)),
    ("/queue", queue, ("GET",)),
    ("/signatures", signatures, ("GET",)),
    ("/signatures/{sign_id}", signature, ("GET",)),
    ("/signatures/{sign_id}/review", review, ("POST",)),
    ("/templates", templates, ("GET",)),
    ("/templates/{template_id}", template, ("GET",)),
    ("/templates/{template_id}/review", template_review, ("POST",)),
    ("/images/{digest}", image, ("GET",)),
    ("/accounts", accounts, ("GET", "POST")),
    ("/accounts/{account_id}", account, ("GET", "PATCH")),
    ("/accounts/{account_id}/credentials/{dialect}/rotate", rotate, ("POST",)),
    ("/accounts/{account_id}/webhook", webhook, ("GET", "PUT", "DELETE")),
    ("/deliveries", deliveries, ("GET",)),
    ("/deliveries/{delivery_id}", delivery, ("GET",)),
    ("/deliveries/{delivery_id}/retry", retry, ("POST",)),
    ("/messages", messages, ("GET",)),
    ("/messages/{message_id}", message, ("GET",)),
    ("/outcome-rules", outcome_rules, ("GET", "POST")),
    ("/outcome-rules/{rule_id}", outcome_rule, ("DELETE",)),
)
"""Path (under /admin/api), handler, methods: the OpenAPI document lists exactly these."""


def routes() -> list[BaseRoute]:
    """The API's routes, to be mounted at /admin/api."""
    found: list[BaseRoute] = [Route("/openapi.json", openapi, methods=["GET"])]
    found += [Route(path, api(handler), methods=list(methods)) for path, handler, methods in ROUTES]
    return found
