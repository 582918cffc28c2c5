"""The signature actions, each named after its API action: typed parameters in, a response
object out. The template actions are in template_actions.py."""

from __future__ import annotations

from typing import Any

from smssign.core import rules
from smssign.core.model import Draft, Image, Signature, Status
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.tencent_v3.errors import TencentError
from smssign.dialects.tencent_v3.params import V2019, V2021, requested_ids, scope_of, window
from smssign.dialects.tencent_v3.provider import INTERNATIONAL_NAME, MAINLAND_NAME
from smssign.dialects.tencent_v3.send_actions import SEND_HANDLERS
from smssign.dialects.tencent_v3.template_actions import TEMPLATE_HANDLERS

DIALECT = "tencent_v3"

STATUS_CODES = {
    Status.APPROVED: 0,
    Status.PENDING: 1,
    Status.FILING: 2,
    Status.REJECTED: -1,
}
"""Our status -> DescribeSignListStatus.StatusCode."""

QUALIFICATION_CODES = {"pending": 0, "approved": 1, "rejected": 2}


def _image(params: dict[str, Any], name: str) -> Image | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw.lstrip().startswith("data:"):
        raise TencentError(
            "InvalidParameterValue.ImageInvalid", f"{name}: remove the data-URI prefix"
        )
    data = rules.decode_base64(raw, field=name)
    return rules.load_image(data, field=name)


def _draft(call: Call, params: dict[str, Any]) -> Draft:
    """Validate an Add/Modify submission in the order the mapping table lists the rules."""
    international = scope_of(params)
    name = params["SignName"].strip()
    rule = INTERNATIONAL_NAME if international else MAINLAND_NAME
    rule.check(name)
    purpose = params["UsedMethod" if call.version == V2019 else "SignPurpose"]
    proof = _image(params, "ProofImage")
    commission = _image(params, "CommissionImage")
    return Draft(
        name=name,
        international=international,
        sign_type=params["SignType"],
        document_type=params["DocumentType"],
        purpose=purpose,
        proof_images=(proof,) if proof else (),
        commission_image=commission,
        remark=params.get("Remark", ""),
        qualification_id=params.get("QualificationId") or None,
    )


async def AddSmsSign(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    draft = _draft(call, params)
    change = await call.runtime.signatures.add(call.account, draft, dialect=DIALECT)
    status: dict[str, Any] = {"SignId": change.signature.id}
    if call.version == V2019:
        status["SignApplyId"] = change.application.id
    return {"AddSignStatus": status}


async def ModifySmsSign(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    draft = _draft(call, params)
    change = await call.runtime.signatures.modify(
        call.account, params["SignId"], draft, dialect=DIALECT
    )
    status: dict[str, Any] = {"SignId": change.signature.id}
    if call.version == V2019:
        status["SignApplyId"] = str(change.application.id)
    return {"ModifySignStatus": status}


async def DeleteSmsSign(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    deleted_at = await call.runtime.signatures.delete(call.account, [params["SignId"]])
    return {
        "DeleteSignStatus": {"DeleteStatus": "return successfully!", "DeleteTime": int(deleted_at)}
    }


async def DescribeSmsSignList(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    scope = scope_of(params)
    ids = requested_ids(params, "SignIdSet")
    service = call.runtime.signatures
    if ids:
        found = await service.describe(call.account, ids)
        listed = [s for s in found if s.international == scope]
    else:
        offset, limit = window(params)
        # The reply carries no total, so the matches are not counted.
        listed, _ = await service.page(
            call.account, international=scope, offset=offset, limit=limit, count=False
        )
    qualifications: dict[int, tuple[str, int]] = {}
    if call.version == V2021 and any(s.qualification_id for s in listed):
        for q in await call.runtime.access.qualifications(call.account):
            qualifications[q.id] = (q.name, QUALIFICATION_CODES[q.status.value])
    return {
        "DescribeSignListStatusSet": [_describe(s, call.version, qualifications) for s in listed]
    }


def _describe(
    signature: Signature, version: str, qualifications: dict[int, tuple[str, int]]
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "SignId": signature.id,
        "International": int(signature.international),
        "StatusCode": STATUS_CODES[signature.status],
        "ReviewReply": signature.review_reply,
        "SignName": signature.name,
        "CreateTime": int(signature.submitted_at),
    }
    if version == V2021:
        qid = signature.qualification_id or 0
        name, code = qualifications.get(qid, ("", 0))
        entry["QualificationId"] = 0 if signature.international else qid
        entry["QualificationName"] = "" if signature.international else name
        entry["QualificationStatusCode"] = 0 if signature.international else code
    return entry


HANDLERS: dict[str, Handler] = {
    "AddSmsSign": AddSmsSign,
    "ModifySmsSign": ModifySmsSign,
    "DeleteSmsSign": DeleteSmsSign,
    "DescribeSmsSignList": DescribeSmsSignList,
    **TEMPLATE_HANDLERS,
}
REVIEW_ACTIONS = frozenset(HANDLERS)
"""The sign and template actions, which individually certified accounts may not call."""
HANDLERS.update(SEND_HANDLERS)
