"""The console's message pages: the list with its search, and one message with its reports.

A whole number (any form a dialect accepts) is searched through its index, so all of its
messages are found. Words of the text, a part of a number, a status or an account need a
look at each row, so they search the newest SEARCH_WINDOW messages only, and the page says
so (store/message_records.py).

A message's page shows its status-report deliveries (the provider-format reports pushed
to the account's status URL or the request's own `callback_url`, each batch a delivery
that may carry other messages' reports too), the handset's replies to it with their
pushes, its events, and the webhook deliveries of those events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import orjson
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smssign.console.visit import PAGE_SIZE, FormError, Visit, optional_id, page, page_number
from smssign.core import errors, numbers
from smssign.core.messages import MESSAGE, MessageStatus, Params
from smssign.core.model import TEMPLATE, Subject
from smssign.core.reports import WEBHOOK
from smssign.store.message_records import SEARCH_WINDOW, MessageSearch

CHINA_TIME = timezone(timedelta(hours=8), "UTC+8")
""""Today" on the dashboard is the calendar day in China time, as the providers count it."""

_NUMBER_PART = re.compile(r"\+?[0-9]{1,15}")
LONGEST_QUERY = 100


def day_start(now: float) -> float:
    """Midnight of `now`'s day in China time, as a Unix time."""
    local = datetime.fromtimestamp(now, CHINA_TIME)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _number(text: str) -> tuple[str | None, str]:
    """A whole number as E.164, else a part of one as typed (digits, maybe a +)."""
    text = re.sub(r"[\s\-()]", "", text)
    if not text:
        return None, ""
    try:
        return numbers.normalise(text).e164, ""
    except errors.InvalidNumber:
        pass
    if not _NUMBER_PART.fullmatch(text):
        raise FormError("The number may hold only digits and a leading +.")
    return None, text


async def messages(visit: Visit) -> Response:
    status = visit.query("status")
    if status and status not in {s.value for s in MessageStatus}:
        raise FormError("status must be pending, delivered or failed.")
    typed_number = visit.query("mobile").strip()[:LONGEST_QUERY]
    mobile, digits = _number(typed_number)
    text = visit.query("q").strip()[:LONGEST_QUERY]
    account_id = optional_id(visit.query("account").strip(), "account")
    number = page_number(visit)
    search = MessageSearch(
        mobile=mobile,
        digits=digits,
        text=text,
        status=MessageStatus(status) if status else None,
        account_id=account_id,
    )
    hits = await visit.backoffice.store.message_search(
        search, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    fields = {"mobile": typed_number, "q": text, "status": status, "account": account_id or ""}
    return visit.render(
        "messages.html",
        messages=hits.messages,
        more=hits.more,
        windowed=hits.windowed,
        window=SEARCH_WINDOW,
        page=number,
        status=status,
        statuses=[s.value for s in MessageStatus],
        mobile=typed_number,
        q=text,
        account=account_id or "",
        query=lambda n: urlencode({**fields, "page": n}),
    )


async def message(visit: Visit) -> Response:
    message_id = visit.path_id("message_id")
    backoffice = visit.backoffice
    found = await backoffice.runtime.repository.message(message_id)
    if found is None:
        raise errors.NotFound()
    subject = Subject(MESSAGE, message_id)
    account = await backoffice.runtime.repository.account(found.account_id)
    # Deleted templates too: the message was sent under it all the same.
    template = None
    if found.template_id is not None:
        template = await backoffice.store.record(Subject(TEMPLATE, found.template_id))
    return visit.render(
        "message.html",
        message=found,
        account=account,
        sent_under=template,
        params=_params(found.params),
        reports=await backoffice.callbacks.report_deliveries(message_id),
        replies=[
            (reply, await backoffice.store.reply_deliveries(reply.id))
            for reply in await backoffice.store.replies_to(found)
        ],
        events=await backoffice.store.subject_events(subject),
        deliveries=[
            d for d in await backoffice.store.subject_deliveries(subject) if d.channel == WEBHOOK
        ],
    )


def _params(params: Params) -> str:
    """The parameters as JSON, Chinese left readable."""
    value = dict(params) if isinstance(params, Mapping) else list(params)
    return orjson.dumps(value).decode()


def routes() -> list[BaseRoute]:
    """The message pages, to be mounted with the console's other routes."""
    return [
        Route("/messages", page(messages), methods=["GET"]),
        Route("/messages/{message_id}", page(message), methods=["GET"]),
    ]
