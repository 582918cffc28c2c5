"""The message inbox of a testing server (a contract: paths and JSON keys are kept).

    GET    /_smssign/messages            ?mobile&account_id&dialect&status&limit(50)
                                         -> {"messages": [...], "total": N}, newest first
    GET    /_smssign/messages/latest     ?mobile=+86…&wait=S (at most 30) -> a message, or 404
    DELETE /_smssign/messages            [?account_id&mobile] -> 204
    POST   /_smssign/messages/{id}/status  {"status": "delivered"|"failed", "error_code": …}
                                         (its status report is pushed, as the carrier's)
    POST   /_smssign/replies             {"account_id": N, "mobile": "+86…", "text": "…"}
                                         (pushed to the account's reply URL)
    GET    /_smssign/outcome-rules       the configured rules (the magic numbers are fixed)
    POST   /_smssign/outcome-rules       {"pattern", "status", "error_code", "account_id"}

Served with `smssign serve --testing`, beside the routes of app/testing_routes.py and with
their guards (no cross-site callers, JSON bodies only). Each message is the object of
`core.messages.inbox_view`. Before a read, the messages already due are decided, so
that with `--delivery-delay 0` a test reads `delivered` on its very next call.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smssign.app.runtime import Runtime
from smssign.app.testing_routes import JSON_TYPES, PREFIX, _error, _fields, _guarded, _json
from smssign.backoffice.inbox import BadQuery, add_rule, message_filter, reply_view
from smssign.core import errors
from smssign.core.messages import MessageStatus, inbox_view
from smssign.core.sending import LONGEST_WAIT


async def _decide_due(runtime: Runtime) -> None:
    if runtime.settings.delivery_delay <= 0:
        await runtime.sending.deliver_due()


def inbox_routes() -> list[Route]:
    async def messages(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        try:
            where, limit = message_filter(request.query_params)
            await _decide_due(runtime)
            found, total = await runtime.sending.messages(where, limit=limit)
        except BadQuery as exc:
            return _error(str(exc), 400)
        except errors.Unavailable as exc:
            return _error(f"store unavailable: {exc}", 503)
        return _json({"messages": [inbox_view(m) for m in found], "total": total})

    async def latest(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        mobile = request.query_params.get("mobile")
        wait_text = request.query_params.get("wait", "0")
        if not mobile:
            return _error("mobile: required", 400)
        try:
            wait = float(wait_text)
        except ValueError:
            return _error("wait: seconds, at most 30", 400)
        if not 0 <= wait < float("inf"):
            return _error("wait: seconds, at most 30", 400)
        try:
            await _decide_due(runtime)
            found = await runtime.sending.latest(mobile, wait=min(wait, LONGEST_WAIT))
            if found is not None and found.status is MessageStatus.PENDING:
                await _decide_due(runtime)
                found = await runtime.sending.repository.message(found.id) or found
        except errors.InvalidNumber as exc:
            return _error(f"mobile: {exc}", 400)
        except errors.Unavailable as exc:
            return _error(f"store unavailable: {exc}", 503)
        if found is None:
            return _error(f"no message to {mobile}", 404)
        return _json(inbox_view(found))

    async def erase(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        account = request.query_params.get("account_id")
        mobile = request.query_params.get("mobile")
        if account is not None and not account.isdigit():
            return _error("account_id: a whole number", 400)
        try:
            await runtime.sending.delete(
                account_id=int(account) if account is not None else None, mobile=mobile or None
            )
        except errors.InvalidNumber as exc:
            return _error(f"mobile: {exc}", 400)
        except errors.Unavailable as exc:
            return _error(f"store unavailable: {exc}", 503)
        return Response(status_code=204)

    async def set_status(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        message_id: str = request.path_params["message_id"]
        fields = await _fields(request)
        if isinstance(fields, Response):
            return fields
        status, code = fields.get("status"), fields.get("error_code")
        if status not in (MessageStatus.DELIVERED.value, MessageStatus.FAILED.value):
            return _error("status: delivered or failed", 400)
        if code is not None and (not isinstance(code, str) or not 0 < len(code) <= 100):
            return _error("error_code: up to 100 characters of text", 400)
        if not message_id.isdigit():
            return _error(f"no message {message_id}", 404)
        try:
            saved = await runtime.sending.set_status(
                int(message_id), MessageStatus(status), code or None
            )
        except errors.NotFound:
            return _error(f"no message {message_id}", 404)
        except errors.Unavailable as exc:
            return _error(f"store unavailable: {exc}", 503)
        return _json(inbox_view(saved))

    async def reply(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        fields = await _fields(request)
        if isinstance(fields, Response):
            return fields
        account, mobile, text = fields.get("account_id"), fields.get("mobile"), fields.get("text")
        if account is not None and (isinstance(account, bool) or not isinstance(account, int)):
            return _error("account_id: a whole number", 400)
        if not isinstance(mobile, str) or not mobile:
            return _error("mobile: required", 400)
        if not isinstance(text, str) or not text or len(text) > 1000:
            return _error("text: 1 to 1000 characters", 400)
        try:
            if account is not None and await runtime.repository.account(account) is None:
                return _error(f"no account {account}", 404)
            made = await runtime.sending.reply(mobile, text, account_id=account)
        except errors.InvalidNumber as exc:
            return _error(f"mobile: {exc}", 400)
        except errors.NotFound:
            return _error(f"no message to {mobile} to reply to; name the account_id", 404)
        except errors.Unavailable as exc:
            return _error(f"store unavailable: {exc}", 503)
        return _json(reply_view(made), 201)

    async def rules(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        if request.method == "GET":
            found = await runtime.repository.list_outcome_rules()
            return _json({"rules": [rule.snapshot() for rule in found]})
        fields = await _fields(request)
        if isinstance(fields, Response):
            return fields
        try:
            rule = await add_rule(runtime.repository, fields)
        except BadQuery as exc:
            return _error(str(exc), 400)
        except errors.AccountNotFound:
            return _error(f"no account {fields.get('account_id')}", 404)
        return _json(rule, 201)

    return [
        Route(f"{PREFIX}/messages", _guarded(messages, JSON_TYPES), methods=["GET"]),
        Route(f"{PREFIX}/messages", _guarded(erase, JSON_TYPES), methods=["DELETE"]),
        Route(f"{PREFIX}/messages/latest", _guarded(latest, JSON_TYPES), methods=["GET"]),
        Route(
            PREFIX + "/messages/{message_id:str}/status",
            _guarded(set_status, JSON_TYPES),
            methods=["POST"],
        ),
        Route(f"{PREFIX}/replies", _guarded(reply, JSON_TYPES), methods=["POST"]),
        Route(f"{PREFIX}/outcome-rules", _guarded(rules, JSON_TYPES), methods=["GET", "POST"]),
    ]
