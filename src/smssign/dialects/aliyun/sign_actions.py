"""The signature actions, each named after its API action (old generation, new generation,
and the two they share). The template actions are in template_actions.py.

Alibaba-only fields ride in the signature's `extra` under these keys: `sign_source`
(SignSource 0-5), `sign_usage` (SignType: 0 verification codes, 1 general),
`more_data`, `apply_scene`, `authorization_letter_id`, `trademark_id`,
`app_icp_record_id`. ThirdParty is the core's purpose (0 own use, 1 for another party).
"""

from __future__ import annotations

import re
from typing import Any

from smssign.core import errors as core
from smssign.core import rules
from smssign.core.model import Draft, Image, Revision, Signature, Status
from smssign.core.service import NameFilter
from smssign.dialects.aliyun import views
from smssign.dialects.aliyun.errors import AliyunError
from smssign.dialects.aliyun.params import SignFile
from smssign.dialects.aliyun.provider import NAME
from smssign.dialects.protocol import Call, Handler

DIALECT = "aliyun"
LONGEST_REMARK = 200
MOST_FILE_BYTES = 2 * 1024 * 1024
SUFFIXES = frozenset({"jpg", "jpeg", "png", "gif"})
SIGN_SOURCES = range(6)
_LINK = re.compile(r"https?://[^\s]+", re.IGNORECASE)
_FORBIDDEN_WORDS = ("测试", "test")
_OPTIONAL = {
    "MoreData": "more_data",
    "ApplySceneContent": "apply_scene",
    "AuthorizationLetterId": "authorization_letter_id",
    "TrademarkId": "trademark_id",
    "AppIcpRecordId": "app_icp_record_id",
}


def _name(raw: str) -> str:
    name = raw.strip()
    NAME.check(name)
    if any(word in name.lower() for word in _FORBIDDEN_WORDS):
        raise core.InvalidName("a signature may not say 测试 or test")
    if name.isdigit():
        raise core.InvalidName("a signature may not be all digits")
    return name


def _remark(values: dict[str, Any]) -> str:
    remark: str = values.get("Remark", "")
    rules.check_length("Remark", remark, LONGEST_REMARK)
    return remark


def _images(files: list[SignFile]) -> tuple[Image, ...]:
    images = []
    for index, item in enumerate(files, start=1):
        field = f"SignFileList.{index}"
        if item.suffix.lower() not in SUFFIXES:
            raise AliyunError("isv.INVALID_PARAMETERS", f"{field}.FileSuffix: jpg, jpeg, png, gif")
        data = rules.decode_base64(item.contents, field=field)
        images.append(rules.load_image(data, field=field, max_bytes=MOST_FILE_BYTES))
    return tuple(images)


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    source = values["SignSource"]
    if source not in SIGN_SOURCES:
        raise AliyunError("isv.INVALID_PARAMETERS", "SignSource must be 0 to 5")
    usage = values.get("SignType", 1)
    if usage not in (0, 1):
        raise AliyunError("isv.INVALID_PARAMETERS", "SignType must be 0 or 1")
    extra: dict[str, Any] = {"sign_source": source, "sign_usage": usage}
    for wire, key in _OPTIONAL.items():
        if wire in values:
            extra[key] = values[wire]
    return extra


async def named(call: Call, name: str) -> Signature | None:
    """The caller's signature of that name. Another dialect may have made two (one per
    scope, or a rejected one beside its successor): prefer mainland, then live, then newest."""
    found, _ = await call.runtime.signatures.page(
        call.account, name=NameFilter(name.strip(), exact=True), offset=0, limit=None
    )
    if not found:
        return None
    return min(found, key=lambda s: (s.international, s.status is Status.REJECTED, -s.id))


async def _existing(call: Call, name: str) -> Signature:
    current = await named(call, name)
    if current is None:
        raise core.NotFound()
    return current


def _rejected_only(signature: Signature, new: bool) -> None:
    """Alibaba changes only a rejected signature: one under review is locked too."""
    if signature.status is Status.PENDING:
        if new:
            raise AliyunError("InvalidParameter", "only a rejected signature can be updated")
        raise AliyunError("isv.INVALID_PARAMETERS", "the signature is under review")


async def AddSmsSign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    name = _name(values["SignName"])
    extra = _fields(values)
    draft = Draft(
        name=name,
        remark=_remark(values),
        proof_images=_images(values.get("SignFileList", [])),
        extra=extra,
    )
    change = await call.runtime.signatures.add(call.account, draft, dialect=DIALECT)
    return {"SignName": change.signature.name}


async def ModifySmsSign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    name = _name(values["SignName"])
    extra = _fields(values)
    remark = _remark(values)
    files = values.get("SignFileList")
    proof = _images(files) if files else None
    current = await _existing(call, name)
    _rejected_only(current, new=False)
    revision = Revision(remark=remark, proof_images=proof, extra=extra)
    change = await call.runtime.signatures.revise(
        call.account, current.id, revision, dialect=DIALECT
    )
    return {"SignName": change.signature.name}


async def QuerySmsSign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    signature = await _existing(call, values["SignName"])
    return {
        "SignName": signature.name,
        "SignStatus": views.SIGN_STATUS[signature.status],
        "CreateDate": views.date(signature.submitted_at),
        "Reason": signature.review_reply or views.NO_REMARK,
    }


async def DeleteSmsSign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    signature = await _existing(call, values["SignName"])
    if signature.status is Status.PENDING:
        raise AliyunError("isv.INVALID_PARAMETERS", "a signature under review cannot be deleted")
    await call.runtime.signatures.delete(call.account, [signature.id])
    return {"SignName": signature.name}


DEFAULT_PAGE_SIZE = 10
LARGEST_PAGE = 50


def page_window(values: dict[str, Any]) -> tuple[int, int]:
    """(PageIndex, PageSize): from 1, and 1 to 50."""
    index: int = values.get("PageIndex", 1)
    size: int = values.get("PageSize", DEFAULT_PAGE_SIZE)
    if index < 1 or not 1 <= size <= LARGEST_PAGE:
        raise AliyunError("isv.INVALID_PARAMETERS", "PageIndex from 1, PageSize 1 to 50")
    return index, size


def _reason(signature: Signature) -> dict[str, str]:
    rejected = signature.status is Status.REJECTED
    return {
        "RejectDate": views.date(signature.reviewed_at) if rejected else "",
        "RejectInfo": signature.review_reply if rejected else "",
        "RejectSubInfo": "",
    }


def _usage(signature: Signature) -> int:
    return int(signature.extra.get("sign_usage", 1))


async def QuerySmsSignList(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    index, size = page_window(values)
    listed, total = await call.runtime.signatures.page(
        call.account, offset=(index - 1) * size, limit=size
    )
    return {
        "CurrentPage": index,
        "PageSize": size,
        "TotalCount": total,
        "SmsSignList": [
            {
                "SignName": s.name,
                "AuditStatus": views.AUDIT_STATUS[s.status],
                "CreateDate": views.date(s.submitted_at),
                "Reason": _reason(s),
                "BusinessType": "验证码类型" if _usage(s) == 0 else "通用类型",
                "OrderId": str(s.application_id),
            }
            for s in listed
        ],
    }


URL_SOURCES = frozenset({1, 2})
"""SignSource 1 (a filed website) and 2 (an app) need ApplySceneContent, an http(s) link."""


def _check_scene(values: dict[str, Any]) -> None:
    """The new generation's own checks of a submission, before any core rule."""
    if values.get("ThirdParty") and "AuthorizationLetterId" not in values:
        raise AliyunError("ParameterMismatch.ThirdParty", "ThirdParty needs AuthorizationLetterId")
    scene = values.get("ApplySceneContent")
    if values["SignSource"] in URL_SOURCES:
        if scene is None:
            raise AliyunError("MissApplySceneContent")
        if not _LINK.fullmatch(scene.strip()):
            raise AliyunError("InvalidApplySceneContent")


def _new_draft(values: dict[str, Any], name: str) -> Draft:
    _check_scene(values)
    extra = _fields(values)
    return Draft(
        name=name,
        remark=_remark(values),
        purpose=int(values.get("ThirdParty", False)),
        qualification_id=values["QualificationId"],
        extra=extra,
    )


async def CreateSmsSign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    draft = _new_draft(values, _name(values["SignName"]))
    change = await call.runtime.signatures.add(call.account, draft, dialect=DIALECT)
    return {"SignName": change.signature.name, "OrderId": str(change.application.id)}


async def UpdateSmsSign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    name = _name(values["SignName"])
    draft = _new_draft(values, name)
    current = await _existing(call, name)
    _rejected_only(current, new=True)
    change = await call.runtime.signatures.modify(call.account, current.id, draft, dialect=DIALECT)
    return {"SignName": change.signature.name, "OrderId": str(change.application.id)}


async def GetSmsSign(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    s = await _existing(call, values["SignName"])
    extra = s.extra
    return {
        "SignName": s.name,
        "SignStatus": views.SIGN_STATUS[s.status],
        "CreateDate": views.date(s.submitted_at),
        "OrderId": str(s.application_id),
        "QualificationId": s.qualification_id or 0,
        "Remark": s.remark,
        "ApplyScene": str(extra.get("apply_scene", "")),
        "SignUsage": "验证码" if _usage(s) == 0 else "通用",
        "SignCode": f"SIGN_{s.account_id}_{s.id}",
        "SignTag": "2",
        "ThirdParty": s.purpose == 1,
        "AuditInfo": {
            "RejectInfo": s.review_reply if s.status is Status.REJECTED else "",
            "AuditDate": views.date(s.reviewed_at),
        },
        "FileUrlList": list(extra.get("more_data", [])),
        "AuthorizationLetterId": int(extra.get("authorization_letter_id", 0)),
        "TrademarkId": int(extra.get("trademark_id", 0)),
        "AppIcpRecordId": int(extra.get("app_icp_record_id", 0)),
        "AuthorizationLetterAuditPass": False,
        "RegisterResult": 1 if s.status is Status.APPROVED else -1,
    }


SIGN_HANDLERS: dict[str, Handler] = {
    "AddSmsSign": AddSmsSign,
    "ModifySmsSign": ModifySmsSign,
    "QuerySmsSign": QuerySmsSign,
    "DeleteSmsSign": DeleteSmsSign,
    "QuerySmsSignList": QuerySmsSignList,
    "CreateSmsSign": CreateSmsSign,
    "UpdateSmsSign": UpdateSmsSign,
    "GetSmsSign": GetSmsSign,
}
