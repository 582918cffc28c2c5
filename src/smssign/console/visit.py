"""One visit to the console: the form, the session, CSRF, rendering, and every failure as a page.

Pages need a logged-in operator; every POST needs the form's CSRF token. Bad input of any
kind comes back as a page that says what was wrong, never as a server error: handlers
raise FormError or a core error, and `page()` turns each into a page with the right status.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from smssign.backoffice.operators import OperatorSession
from smssign.backoffice.services import Backoffice
from smssign.backoffice.timeline import (
    DOCUMENT_TYPES,
    PURPOSES,
    SIGN_TYPES,
)
from smssign.backoffice.webhooks import DeliveryStatus
from smssign.console.i18n import (
    CHINESE,
    HTML_LANG,
    LANG_COOKIE,
    LANGUAGES,
    SWITCH_LABELS,
    choose,
    gettext,
    shown,
    speaking,
)
from smssign.console.i18n import text as translated
from smssign.console.session import (
    LOGIN_COOKIE,
    LOGIN_COOKIE_AGE,
    SESSION_COOKIE,
    CookieSeal,
    set_cookie,
)
from smssign.core import errors
from smssign.core.model import Status
from smssign.web.transport import read_body

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
MAX_FORM_BYTES = 64 * 1024
MAX_ID = 2**63 - 1
PAGE_SIZE = 50
QUEUE_SIZE = 100


def when(at: float | None) -> str:
    if at is None:
        return "—"
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty_json(text: str) -> str:
    try:
        return orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return text


environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["when"] = when
environment.filters["pretty_json"] = pretty_json
environment.globals.update(
    describe=shown,
    _=gettext,
    LANGUAGES=LANGUAGES,
    SWITCH_LABELS=SWITCH_LABELS,
    SIGN_TYPES=SIGN_TYPES,
    DOCUMENT_TYPES=DOCUMENT_TYPES,
    PURPOSES=PURPOSES,
    STATUSES=[s.value for s in Status],
    DELIVERY_STATUSES=[s.value for s in DeliveryStatus],
)

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

NOTICES: Mapping[str, str] = {
    "approved": "Signature {id} approved.",
    "filing": "Signature {id} is now in carrier filing.",
    "rejected": "Signature {id} rejected.",
    "policy": "Account settings saved.",
    "webhook": "Webhook saved.",
    "webhook-removed": "Webhook removed; its unfinished deliveries are cancelled.",
    "retry": "Delivery {id} will be attempted again now.",
    "template-approved": "Template {id} approved.",
    "template-rejected": "Template {id} rejected.",
}
"""Messages a redirect may ask a page to show; only these, so a link cannot inject text."""


class FormError(Exception):
    """The visitor sent something the page cannot use; shown to them with `status`.

    `message` is the English text with `{name}` places for `values`, so the page can say
    it in the operator's language.
    """

    def __init__(self, message: str, status: int = 400, **values: object) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message = message
        self.values = values
        self.status = status


@dataclass(frozen=True, slots=True)
class Form:
    fields: Mapping[str, list[str]]

    def get(self, name: str) -> str:
        values = self.fields.get(name)
        return values[0] if values else ""

    def flag(self, name: str) -> bool:
        return self.get(name).lower() in ("on", "1", "true", "yes")


async def read_form(request: Request) -> Form:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise FormError("Send the form as application/x-www-form-urlencoded.", 415)
    body = await read_body(request, MAX_FORM_BYTES)
    if body is None:
        raise FormError("The form is too large.", 413)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=200, errors="strict"
        )
    except ValueError as exc:  # UnicodeDecodeError included
        raise FormError("The form could not be read.") from exc
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        if "\x00" in value:
            raise FormError("The field {name} contains a NUL character.", name=repr(name[:40]))
        fields.setdefault(name, []).append(value)
    return Form(fields)


@dataclass
class Visit:
    """One request to the console: who is asking, and the cookies to send back."""

    request: Request
    backoffice: Backoffice
    seal: CookieSeal
    session: OperatorSession | None = None
    session_token: str | None = None
    nonce: str | None = None
    new_nonce: bool = False
    form: Form = field(default_factory=lambda: Form({}))

    @property
    def language(self) -> str:
        """The operator's choice of language, else their browser's."""
        return choose(
            self.request.cookies.get(LANG_COOKIE), self.request.headers.get("accept-language", "")
        )

    def text(self, message: str, **values: object) -> str:
        return translated(message, self.language, **values)

    @property
    def operator_name(self) -> str:
        assert self.session is not None
        return self.session.operator.name

    @property
    def csrf(self) -> str:
        if self.session_token is not None:
            return self.seal.csrf(self.session_token)
        if self.nonce is None:
            self.nonce = self.backoffice.runtime.randomness.token(16)
            self.new_nonce = True
        return self.seal.csrf(self.nonce)

    def csrf_ok(self, presented: str) -> bool:
        basis = self.session_token if self.session is not None else self.nonce
        return self.seal.csrf_ok(basis, presented)

    def finish(self, response: Response) -> Response:
        if self.new_nonce:
            sealed = self.seal.seal("login", self.nonce or "")
            set_cookie(self.request, response, LOGIN_COOKIE, sealed, LOGIN_COOKIE_AGE)
        return response

    def query(self, name: str) -> str:
        value = self.request.query_params.get(name, "")
        if any(ord(ch) < 32 for ch in value):
            raise FormError("The {name} parameter contains control characters.", name=name[:40])
        return value

    def path_id(self, name: str) -> int:
        raw = str(self.request.path_params.get(name, ""))
        if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
            raise errors.NotFound()
        return int(raw)

    def dialect_title(self, name: str) -> str:
        """A dialect as the registry names it, in the page's language; other sources (a
        seed file, the demo) by their own name."""
        for provider in self.backoffice.runtime.providers:
            if provider.name == name:
                return provider.title_zh if self.language == CHINESE else provider.title
        return name

    def render(self, template: str, code: int = 200, **context: Any) -> Response:
        params = self.request.query_params
        language = self.language
        notice = NOTICES.get(params.get("done", ""), "")
        if notice:
            notice = translated(notice, language, id=_digits(params.get("id", "")))
        here = self.request.url.path
        if self.request.url.query:
            here += "?" + self.request.url.query
        with speaking(language):
            html = environment.get_template(template).render(
                operator=self.session.operator if self.session else None,
                csrf=self.csrf,
                notice=notice,
                path=self.request.url.path,
                here=safe_next(here),
                language=language,
                html_lang=HTML_LANG[language],
                providers=self.backoffice.runtime.providers,
                dialect_title=self.dialect_title,
                **context,
            )
        return HTMLResponse(html, status_code=code, headers=dict(SECURITY_HEADERS))


def page_number(visit: Visit) -> int:
    """The list page asked for (`?page=`), from 1."""
    raw = visit.query("page") or "1"
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise FormError("page must be a number from 1.")
    return int(raw)


def optional_id(text: str, what: str) -> int | None:
    """An id typed into a filter, or None when the field is empty."""
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise FormError("{what} must be a number.", what=what)
    return int(text)


def _digits(text: str) -> str:
    return text if text.isascii() and text.isdigit() and len(text) < 20 else ""


def redirect(path: str, **query: str | int) -> Response:
    target = path + ("?" + urlencode(query) if query else "")
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


_CONSOLE_PATH = re.compile(r"/console/[A-Za-z0-9/_.%=&?-]{0,500}")


def safe_next(value: str) -> str:
    """Only console paths: a login link must not send the operator to another site."""
    if _CONSOLE_PATH.fullmatch(value) and "//" not in value:
        return value
    return "/console/"


Handler = Callable[[Visit], Awaitable[Response]]


def page(handler: Handler, *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: session, CSRF on POST, and every failure as a proper page."""

    async def endpoint(request: Request) -> Response:
        backoffice: Backoffice = request.app.state.backoffice
        seal = CookieSeal(backoffice.secret_key)
        visit = Visit(request, backoffice, seal)
        try:
            response = await _serve(visit, handler, public)
        except FormError as exc:
            response = _problem(visit, exc.status, visit.text(exc.message, **exc.values))
        except (errors.NotFound, errors.AccountNotFound, errors.QualificationNotFound):
            response = _problem(visit, 404, visit.text("There is nothing here, or it was deleted."))
        except errors.InvalidSubmission as exc:
            response = _problem(visit, 400, f"{exc.field}: {exc.reason}")
        except errors.InvalidTransition as exc:
            response = _problem(
                visit,
                409,
                visit.text(
                    "The signature is {status} now, so it cannot become {target}. "
                    "Someone may have reviewed it first.",
                    status=visit.text(str(exc.status)),
                    target=visit.text(str(exc.target)),
                ),
            )
        except (errors.NotModifiable, errors.Conflict) as exc:
            response = _problem(
                visit, 409, visit.text("{problem}. Someone may have changed it first.", problem=exc)
            )
        except errors.Unavailable:
            log.warning("console: store unavailable")
            response = _problem(
                visit, 503, visit.text("The database is not reachable. Try again shortly.")
            )
        except errors.SmssignError as exc:
            response = _problem(visit, 400, str(exc) or type(exc).__name__)
        except Exception:
            log.exception("console: unexpected error on %s", request.url.path)
            response = _problem(
                visit, 500, visit.text("Something went wrong; the server log has details.")
            )
        return visit.finish(response)

    return endpoint


async def _serve(visit: Visit, handler: Handler, public: bool) -> Response:
    request = visit.request
    lifetime = visit.backoffice.operators.session_lifetime
    token = visit.seal.open("session", request.cookies.get(SESSION_COOKIE), lifetime)
    if token is not None:
        visit.session = await visit.backoffice.operators.session(token)
        visit.session_token = token if visit.session is not None else None
    visit.nonce = visit.seal.open("login", request.cookies.get(LOGIN_COOKIE), LOGIN_COOKIE_AGE)
    if not public and visit.session is None:
        if request.method == "GET":
            return redirect("/console/login", next=request.url.path)
        return redirect("/console/login")
    if request.method == "POST":
        visit.form = await read_form(request)
        if not visit.csrf_ok(visit.form.get("csrf")):
            if visit.session is None:
                return visit.render(
                    "login.html",
                    403,
                    error=visit.text("The login form expired. Please try again."),
                    name=visit.form.get("name")[:64],
                    next=safe_next(visit.form.get("next")),
                )
            raise FormError(
                "This form expired or did not come from the console. Reload the page and "
                "try again.",
                403,
            )
    return await handler(visit)


def _problem(visit: Visit, status: int, message: str) -> Response:
    try:
        return visit.render("error.html", status, message=message, status=status)
    except Exception:
        log.exception("console: cannot render the error page")
        return HTMLResponse(
            "<!doctype html><title>Error</title><p>Something went wrong.</p>",
            status_code=500,
            headers=dict(SECURITY_HEADERS),
        )
