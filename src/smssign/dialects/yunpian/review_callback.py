"""The template review callback: where a `/v2/tpl/` submission asked to hear its result.

`tpl/add.json` and `tpl/update.json` take a `callback` URL (spec §2.1–2.2; `callback_url`
is accepted too); the handlers keep it in the template's `extra` under `CALLBACK`. When the
template is then approved or rejected, by whatever means (console, CLI, admin API,
auto-review), the provider registry's `pushes` hook turns the review event into a push:
a form-encoded POST of `tpl_id`, `tpl_content`, `check_status` and `reason` (spec §2.6),
in the wire of Yunpian's other pushes (reports.py: the same Content-Type, delivered once
the receiver answers `SUCCESS` or `0`, retried on the outbox's schedule until then).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from smssign.core.model import Event, EventType
from smssign.core.reports import Push
from smssign.core.templates import parse
from smssign.dialects.yunpian.reports import REPORTS

CALLBACK = "callback"
"""The key of the callback URL in a template's `extra`."""

_RESULTS = {
    EventType.TEMPLATE_APPROVED: "SUCCESS",
    EventType.TEMPLATE_REJECTED: "FAIL",
}


def callback_of(values: Mapping[str, Any]) -> str | None:
    """The callback URL a submission names, if any."""
    given = values.get("callback", values.get("callback_url"))
    return given.strip() if isinstance(given, str) and given.strip() else None


def tpl_content(template: Mapping[str, Any]) -> str:
    """`tpl_content` from an event's template snapshot: its name (a Yunpian template's
    signature) in 【】, then the content with `#name#` variables."""
    body = parse(template["content"]).render(lambda _, name: f"#{name}#")
    return f"【{template['name']}】{body}"


def pushes(event: Event) -> Sequence[Push]:
    """The callback of a reviewed template that carries one; nothing for other events."""
    result = _RESULTS.get(event.type)
    template = event.payload.get("template")
    if result is None or not isinstance(template, Mapping):
        return ()
    url = (template.get("extra") or {}).get(CALLBACK)
    if not isinstance(url, str) or not url:
        return ()
    reason = (template.get("review_reply") or "") if result == "FAIL" else ""
    body = urlencode(
        {
            "tpl_id": template["id"],
            "tpl_content": tpl_content(template),
            "check_status": result,
            "reason": reason,
        }
    )
    return (Push(REPORTS.name, url, body),)
