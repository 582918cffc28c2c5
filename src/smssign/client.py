"""A small client for the legacy Tencent SMS signature and template API (`/v5/tlssmssvr/`).

No official client implements the legacy sign and template calls, and `qcloudsms_py` fails on every
reply on Python ≥ 3.9 (`json.loads(..., encoding=)`). This one is typed, synchronous, and
works against smssign or anything else that speaks the legacy protocol::

    from smssign.client import LegacySignClient

    with LegacySignClient(1400000001, "appkey…", base_url="http://127.0.0.1:8080") as sms:
        added = sms.add_sign("腾讯科技", pic=png_bytes)
        sms.mod_sign(added.id, "腾讯云")
        [record] = sms.get_sign(added.id)
        template = sms.add_template("您的验证码是{1}，5分钟内有效。", title="验证码")
        [found] = sms.get_template(template.id)

A reply with `result` ≠ 0 raises `LegacySmsError`; network failures raise httpx's errors.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

DEFAULT_URL = "https://yun.tim.qq.com"
DEFAULT_PREFIX = "/v5/tlssmssvr"

APPROVED, PENDING, REJECTED = 0, 1, 2
"""Values of `SignStatus.status` and `TemplateStatus.status`."""
NORMAL, MARKETING = 0, 1
"""Values of `TemplateStatus.type`."""


def calculate_sig(appkey: str, random: str, time: int, numbers: str = "") -> str:
    """`sig` = lowercase hex sha256 of `appkey=APPKEY&random=RANDOM&time=TIME`; the sending
    calls append their numbers (`&mobile=13800138000,13800138001` or `&tel=+1…`)."""
    text = f"appkey={appkey}&random={random}&time={time}{numbers}"
    return hashlib.sha256(text.encode()).hexdigest()


def random_digits() -> str:
    """Ten random decimal digits, as the PHP wrappers send."""
    return str(secrets.randbelow(9 * 10**9) + 10**9)


class LegacySmsError(Exception):
    """The service answered `result` ≠ 0 (or a non-200 status, reported as `result`)."""

    def __init__(self, result: int, errmsg: str, reply: dict[str, Any] | None = None) -> None:
        super().__init__(f"{result}: {errmsg}")
        self.result = result
        self.errmsg = errmsg
        self.reply = reply or {}


@dataclass(frozen=True, slots=True)
class SignStatus:
    """A signature as add_sign and mod_sign report it."""

    id: int
    text: str
    status: int
    """APPROVED (0), PENDING (1) or REJECTED (2)."""
    international: bool


@dataclass(frozen=True, slots=True)
class SignRecord:
    """A signature as get_sign reports it."""

    id: int
    text: str
    status: int
    international: bool
    reply: str
    """The reviewer's message; the rejection reason when status is REJECTED."""
    apply_time: str
    reply_time: str


@dataclass(frozen=True, slots=True)
class SignPage:
    records: list[SignRecord]
    total: int
    """How many signatures the app holds in all."""


@dataclass(frozen=True, slots=True)
class TemplateStatus:
    """A template as add_template and mod_template report it."""

    id: int
    text: str
    """The content, variables written `{1}`, `{2}`, …"""
    status: int
    """APPROVED (0), PENDING (1) or REJECTED (2)."""
    type: int
    """NORMAL (0) or MARKETING (1)."""
    international: bool


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """A template as get_template reports it."""

    id: int
    title: str
    text: str
    status: int
    type: int
    international: bool
    reply: str
    """The reviewer's message; the rejection reason when status is REJECTED."""


@dataclass(frozen=True, slots=True)
class TemplatePage:
    records: list[TemplateRecord]
    total: int
    """How many templates the app holds in all."""


class LegacySignClient:
    """The sign and template calls for one sdkappid/appkey pair."""

    def __init__(
        self,
        sdkappid: int,
        appkey: str,
        *,
        base_url: str = DEFAULT_URL,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        random: Callable[[], str] = random_digits,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.sdkappid = sdkappid
        self.appkey = appkey
        self.prefix = prefix.rstrip("/")
        self._clock = clock
        self._random = random
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the four calls -----------------------------------------------------------------

    def add_sign(
        self,
        text: str,
        *,
        remark: str = "",
        pic: bytes | str | None = None,
        international: bool = False,
    ) -> SignStatus:
        """Apply for a signature; `text` without 【】, `pic` as image bytes or base64."""
        fields: dict[str, Any] = {"text": text, "remark": remark, "pic": _pic(pic)}
        fields["international"] = int(international)
        return _status(self.call("add_sign", fields)["data"])

    def mod_sign(
        self,
        sign_id: int,
        text: str,
        *,
        remark: str | None = None,
        pic: bytes | str | None = None,
    ) -> SignStatus:
        """Change a pending or rejected signature; omitted remark and pic stay as they were."""
        fields: dict[str, Any] = {"sign_id": sign_id, "text": text}
        if remark is not None:
            fields["remark"] = remark
        if pic is not None:
            fields["pic"] = _pic(pic)
        return _status(self.call("mod_sign", fields)["data"])

    def del_sign(self, sign_ids: int | Sequence[int]) -> None:
        """Delete all of `sign_ids`, or none of them if any is unknown."""
        self.call("del_sign", {"sign_id": _ids(sign_ids)})

    def get_sign(self, sign_ids: int | Sequence[int]) -> list[SignRecord]:
        """The review state of `sign_ids`; unknown ids are left out."""
        return [
            _record(item) for item in self.call("get_sign", {"sign_id": _ids(sign_ids)})["data"]
        ]

    def get_sign_page(self, limit: int = 50, offset: int = 0) -> SignPage:
        """One page of all the app's signatures (`sign_page`, at most 50 per page)."""
        reply = self.call(
            "get_sign", {"sign_id": [], "sign_page": {"max": limit, "offset": offset}}
        )
        return SignPage([_record(item) for item in reply["data"]], int(reply["total"]))

    # --- templates ----------------------------------------------------------------------

    def add_template(
        self,
        text: str,
        *,
        type: int = NORMAL,
        title: str = "",
        remark: str = "",
        international: bool = False,
    ) -> TemplateStatus:
        """Apply for a template; variables are written `{1}`, `{2}`, …"""
        fields: dict[str, Any] = {"text": text, "type": type, "title": title, "remark": remark}
        fields["international"] = int(international)
        return _template(self.call("add_template", fields)["data"])

    def mod_template(
        self,
        tpl_id: int,
        text: str,
        *,
        type: int = NORMAL,
        title: str | None = None,
        remark: str | None = None,
    ) -> TemplateStatus:
        """Change a pending or rejected template; omitted title and remark stay."""
        fields: dict[str, Any] = {"tpl_id": tpl_id, "text": text, "type": type}
        if title is not None:
            fields["title"] = title
        if remark is not None:
            fields["remark"] = remark
        return _template(self.call("mod_template", fields)["data"])

    def del_template(self, tpl_ids: int | Sequence[int]) -> None:
        """Delete all of `tpl_ids`, or none of them if any is unknown."""
        self.call("del_template", {"tpl_id": _ids(tpl_ids)})

    def get_template(self, tpl_ids: int | Sequence[int]) -> list[TemplateRecord]:
        """The review state of `tpl_ids`; unknown ids are left out."""
        reply = self.call("get_template", {"tpl_id": _ids(tpl_ids)})
        return [_template_record(item) for item in reply["data"]]

    def get_template_page(self, limit: int = 50, offset: int = 0) -> TemplatePage:
        """One page of all the app's templates (`tpl_page`, at most 50 per page)."""
        reply = self.call("get_template", {"tpl_page": {"max": limit, "offset": offset}})
        return TemplatePage([_template_record(item) for item in reply["data"]], int(reply["total"]))

    # --- the envelope -------------------------------------------------------------------

    def call(self, action: str, fields: dict[str, Any], numbers: str = "") -> dict[str, Any]:
        """POST one action with `sig` (over `numbers` too) and `time` added; the reply
        object when `result` is 0."""
        random = self._random()
        now = int(self._clock())
        body = {"sig": calculate_sig(self.appkey, random, now, numbers), "time": now, **fields}
        response = self._http.post(
            f"{self.prefix}/{action}",
            params={"sdkappid": str(self.sdkappid), "random": random},
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        if response.status_code != 200:
            raise LegacySmsError(response.status_code, response.reason_phrase)
        try:
            reply = response.json()
        except ValueError as exc:
            raise LegacySmsError(-1, "the reply is not JSON") from exc
        if not isinstance(reply, dict):
            raise LegacySmsError(-1, "the reply is not a JSON object")
        result = reply.get("result")
        if result != 0:
            message = reply.get("errmsg") or reply.get("msg") or ""
            raise LegacySmsError(int(result) if isinstance(result, int) else -1, message, reply)
        return reply


def _pic(pic: bytes | str | None) -> str:
    if pic is None:
        return ""
    return base64.b64encode(pic).decode() if isinstance(pic, bytes) else pic


def _ids(sign_ids: int | Sequence[int]) -> list[int]:
    return [sign_ids] if isinstance(sign_ids, int) else list(sign_ids)


def _status(data: dict[str, Any]) -> SignStatus:
    return SignStatus(
        id=int(data["id"]),
        text=str(data["text"]),
        status=int(data["status"]),
        international=bool(data.get("international", 0)),
    )


def _record(data: dict[str, Any]) -> SignRecord:
    return SignRecord(
        id=int(data["id"]),
        text=str(data["text"]),
        status=int(data["status"]),
        international=bool(data.get("international", 0)),
        reply=str(data.get("reply", "")),
        apply_time=str(data.get("apply_time", "")),
        reply_time=str(data.get("reply_time", "")),
    )


def _template(data: dict[str, Any]) -> TemplateStatus:
    return TemplateStatus(
        id=int(data["id"]),
        text=str(data["text"]),
        status=int(data["status"]),
        type=int(data.get("type", NORMAL)),
        international=bool(data.get("international", 0)),
    )


def _template_record(data: dict[str, Any]) -> TemplateRecord:
    return TemplateRecord(
        id=int(data["id"]),
        title=str(data.get("title", "")),
        text=str(data["text"]),
        status=int(data["status"]),
        type=int(data.get("type", NORMAL)),
        international=bool(data.get("international", 0)),
        reply=str(data.get("reply", "")),
    )


# --- sending and pulling -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    """One number's result: `result` 0 and a `sid` when accepted, else the refusal code."""

    result: int
    errmsg: str
    mobile: str
    nationcode: str
    fee: int
    sid: str
    ext: str = ""


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A delivery report as `pullstatus` type 0 answers it."""

    sid: str
    nationcode: str
    mobile: str
    report_status: str
    """SUCCESS or FAIL."""
    errmsg: str
    """DELIVRD, or the receipt code of a failure."""
    description: str
    user_receive_time: str


@dataclass(frozen=True, slots=True)
class ReplyRecord:
    """A handset's reply as `pullstatus` type 1 answers it (`time` in Unix seconds)."""

    nationcode: str
    mobile: str
    text: str
    sign: str
    time: int
    extend: str


class LegacySmsClient(LegacySignClient):
    """The sign calls, and sendsms, sendisms, sendmultisms2, pullstatus and pullstatus4mobile.

    Template sends take `tpl_id` and `params`; `send_text` sends free text that must match
    an approved template (`【sign】` in front chooses the signature). A single send whose
    number is refused raises LegacySmsError; `send_many` returns every number's `Sent`.
    """

    def send(
        self,
        mobile: str,
        tpl_id: int,
        params: Sequence[str] = (),
        *,
        nationcode: str = "86",
        sign: str = "",
        ext: str = "",
        extend: str = "",
    ) -> Sent:
        fields: dict[str, Any] = {"tel": {"nationcode": nationcode, "mobile": mobile}}
        fields["sign"] = sign
        fields |= {"tpl_id": tpl_id, "params": list(params), "ext": ext, "extend": extend}
        reply = self.call("sendsms", fields, f"&mobile={mobile}")
        return _sent(reply, mobile, nationcode, str(reply.get("ext", "")))

    def send_text(
        self,
        mobile: str,
        msg: str,
        *,
        marketing: bool = False,
        nationcode: str = "86",
        ext: str = "",
        extend: str = "",
    ) -> Sent:
        fields: dict[str, Any] = {"tel": {"nationcode": nationcode, "mobile": mobile}}
        fields["msg"] = msg
        fields |= {"type": int(marketing), "ext": ext, "extend": extend}
        reply = self.call("sendsms", fields, f"&mobile={mobile}")
        return _sent(reply, mobile, nationcode, str(reply.get("ext", "")))

    def send_international(
        self,
        tel: str,
        tpl_id: int,
        params: Sequence[str] = (),
        *,
        sign: str = "",
        ext: str = "",
        extend: str = "",
    ) -> Sent:
        """`sendisms` to an E.164 number (`+15005550100`); `Sent.mobile` is `tel` as given."""
        fields: dict[str, Any] = {"tel": tel, "sign": sign, "tpl_id": tpl_id}
        fields["params"] = list(params)
        fields |= {"ext": ext, "extend": extend}
        reply = self.call("sendisms", fields, f"&tel={tel}")
        return _sent(reply, tel, str(reply.get("nationcode", "")), str(reply.get("ext", "")))

    def send_many(
        self,
        mobiles: Sequence[str],
        tpl_id: int,
        params: Sequence[str] = (),
        *,
        nationcode: str = "86",
        sign: str = "",
        ext: str = "",
        extend: str = "",
    ) -> list[Sent]:
        """`sendmultisms2` (up to 200 numbers): one `Sent` per number, in order."""
        tels = [{"nationcode": nationcode, "mobile": m} for m in mobiles]
        fields: dict[str, Any] = {"tel": tels, "sign": sign, "tpl_id": tpl_id}
        fields["params"] = list(params)
        fields |= {"ext": ext, "extend": extend}
        reply = self.call("sendmultisms2", fields, "&mobile=" + ",".join(mobiles))
        echo = str(reply.get("ext", ""))
        return [_sent(entry, "", "", echo) for entry in reply.get("detail", [])]

    def pull_reports(self, most: int = 100) -> list[StatusReport]:
        """Status reports not pulled before (each once)."""
        reply = self.call("pullstatus", {"type": 0, "max": most})
        return [_report(item) for item in reply.get("data", [])]

    def pull_replies(self, most: int = 100) -> list[ReplyRecord]:
        reply = self.call("pullstatus", {"type": 1, "max": most})
        return [_reply(item) for item in reply.get("data", [])]

    def pull_reports_for(
        self, mobile: str, begin: int, end: int, *, nationcode: str = "86", most: int = 100
    ) -> list[StatusReport]:
        """Reports of messages to one number sent between `begin` and `end` (Unix s)."""
        reply = self.call("pullstatus4mobile", _by_number(0, mobile, nationcode, begin, end, most))
        return [_report(item) for item in reply.get("data", [])]

    def pull_replies_for(
        self, mobile: str, begin: int, end: int, *, nationcode: str = "86", most: int = 100
    ) -> list[ReplyRecord]:
        reply = self.call("pullstatus4mobile", _by_number(1, mobile, nationcode, begin, end, most))
        return [_reply(item) for item in reply.get("data", [])]


def _by_number(
    kind: int, mobile: str, nationcode: str, begin: int, end: int, most: int
) -> dict[str, Any]:
    return {
        "type": kind,
        "max": most,
        "begin_time": begin,
        "end_time": end,
        "nationcode": nationcode,
        "mobile": mobile,
    }


def _sent(data: dict[str, Any], mobile: str, nationcode: str, ext: str) -> Sent:
    return Sent(
        result=int(data.get("result", 0)),
        errmsg=str(data.get("errmsg", "")),
        mobile=str(data.get("mobile", mobile)),
        nationcode=str(data.get("nationcode", nationcode)),
        fee=int(data.get("fee", 0)),
        sid=str(data.get("sid", "")),
        ext=ext,
    )


def _report(data: dict[str, Any]) -> StatusReport:
    return StatusReport(
        sid=str(data["sid"]),
        nationcode=str(data.get("nationcode", "")),
        mobile=str(data["mobile"]),
        report_status=str(data["report_status"]),
        errmsg=str(data.get("errmsg", "")),
        description=str(data.get("description", "")),
        user_receive_time=str(data.get("user_receive_time", "")),
    )


def _reply(data: dict[str, Any]) -> ReplyRecord:
    return ReplyRecord(
        nationcode=str(data.get("nationcode", "")),
        mobile=str(data["mobile"]),
        text=str(data["text"]),
        sign=str(data.get("sign", "")),
        time=int(data.get("time", 0)),
        extend=str(data.get("extend", "")),
    )
