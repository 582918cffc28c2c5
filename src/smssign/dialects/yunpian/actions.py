"""The three actions, each named after its path: typed form values in, reply members out.

Yunpian-only fields ride in the signature's `extra` under their wire names (`website`,
`industry_type`, `apply_vip`, `is_only_global`, `prove_type`, `license_urls`, `id_card_*`);
`sign_use` is the core's purpose (0 own use, 1 for another party) and `notify` asks the
core for a notification event. `prove_type` is kept as sent rather than mapped onto
Tencent's SignType/DocumentType: the catalogues do not line up one to one.
"""

from __future__ import annotations

from typing import Any

from smssign.core import errors as core
from smssign.core import rules
from smssign.core.model import Draft, Image, Revision, Signature, Status
from smssign.core.service import NameFilter
from smssign.dialects.protocol import Call, Handler
from smssign.dialects.yunpian.errors import BAD_FORMAT, LOCKED, MISSING, YunpianError
from smssign.dialects.yunpian.params import DEFAULT_INDUSTRY
from smssign.dialects.yunpian.provider import NAME
from smssign.dialects.yunpian.template_actions import TEMPLATE_HANDLERS

DIALECT = "yunpian"

ENTERPRISE_ACTIONS: frozenset[str] = frozenset()
"""None: Yunpian documents no enterprise-only rule for signatures, and its ID-card fields exist
for applicants who are natural persons; individually certified accounts may call."""

RESERVED_NAMES = frozenset({"云片网"})
"""Yunpian refuses its own brand as a customer's signature."""

APPLY_STATES = {
    Status.PENDING: "CHECKING",
    Status.FILING: "CHECKING",
    Status.APPROVED: "SUCCESS",
    Status.REJECTED: "FAIL",
}
"""Our status -> `apply_state`/`check_status`. Yunpian's clients know no word for carrier
filing (报备中); a signature being filed cannot send yet, so it reads as CHECKING."""

LOCKED_FIELDS = ("sign", "website", "apply_vip")
"""What an approved or filing signature refuses to change (`old_sign` only selects)."""

_EXTRA_FIELDS = (
    "website",
    "prove_type",
    "id_card_name",
    "id_card_number",
    "id_card_front_url",
    "id_card_back_url",
)
_PHOTO_FIELDS = ("id_card_front", "id_card_back")


def _name(raw: str) -> str:
    name = raw.strip()
    NAME.check(name)
    if name in RESERVED_NAMES:
        raise YunpianError(BAD_FORMAT, f"sign 不能为 {name}")
    return name


def _channel(values: dict[str, Any]) -> tuple[bool, bool]:
    """(apply_vip, is_only_global), absent meaning false; an international-only signature
    cannot ask for a dedicated domestic channel."""
    only_global = bool(values.get("is_only_global", False))
    apply_vip = bool(values.get("apply_vip", False)) and not only_global
    return apply_vip, only_global


def _provider_fields(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Image]]:
    """The Yunpian fields that were sent, ready for `extra`, and the ID-card photos, which
    the core stores (under the same keys) once the submission passed its checks."""
    fields = {name: values[name] for name in _EXTRA_FIELDS if name in values}
    photos: dict[str, Image] = {name: values[name] for name in _PHOTO_FIELDS if name in values}
    return fields, photos


def _industry(signature: Signature) -> str:
    return str(signature.extra.get("industry_type") or DEFAULT_INDUSTRY)


def _only_global(signature: Signature) -> bool:
    return bool(signature.extra.get("is_only_global")) or signature.international


def _applied(signature: Signature) -> dict[str, Any]:
    """The `sign` object of add and update replies (text without brackets)."""
    return {
        "apply_state": APPLY_STATES[signature.status],
        "sign": signature.name,
        "is_apply_vip": bool(signature.extra.get("apply_vip")),
        "is_only_global": _only_global(signature),
        "industry_type": _industry(signature),
    }


def _listed(signature: Signature) -> dict[str, Any]:
    """One entry of get's `sign` array (text with brackets)."""
    approved = signature.status is Status.APPROVED
    vip = approved and bool(signature.extra.get("apply_vip"))
    if not approved:
        chan = "NONE"
    elif vip:
        chan = "VIP"
    elif _only_global(signature):
        chan = "GLOBAL"
    else:
        chan = "NORMAL"
    return {
        "chan": chan,
        "check_status": APPLY_STATES[signature.status],
        "enabled": approved,
        "extend": "",
        "industry_type": _industry(signature),
        "only_global": _only_global(signature),
        "remark": signature.review_reply,
        "sign": f"【{signature.name}】",
        "vip": vip,
    }


async def add(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    name = _name(values["sign"])
    apply_vip, only_global = _channel(values)
    fields, photos = _provider_fields(values)
    extra: dict[str, Any] = {
        **fields,
        "industry_type": values.get("industry_type", DEFAULT_INDUSTRY),
        "apply_vip": apply_vip,
        "is_only_global": only_global,
    }
    proof: tuple[Any, ...] = ()
    if "license_url" in values:
        extra["license_urls"] = values["license_url"]
    else:
        proof = tuple(values.get("license_base64", ()))
    draft = Draft(
        name=name,
        purpose=values.get("sign_use", 0),
        proof_images=proof,
        extra=extra,
        notify=values.get("notify", True),
        extra_images=photos,
    )
    change = await call.runtime.signatures.add(call.account, draft, dialect=DIALECT)
    return {"sign": _applied(change.signature)}


async def _named(call: Call, name: str) -> Signature | None:
    """The caller's signature with this text. Another dialect may have made two (one per
    scope, or a rejected one beside its successor): Yunpian is a mainland API, so prefer
    mainland, then live over rejected, then the newest."""
    found, _ = await call.runtime.signatures.page(
        call.account, name=NameFilter(name, exact=True), offset=0, limit=None
    )
    if not found:
        return None
    return min(found, key=lambda s: (s.international, s.status is Status.REJECTED, -s.id))


async def _target(call: Call, values: dict[str, Any]) -> Signature:
    old: str | None = values.get("old_sign")
    selector: int | None = values.get("sign_id", values.get("id"))
    if selector is None:
        if old is None:
            raise YunpianError(MISSING, "参数 old_sign 必须传入")
        current = await _named(call, rules.strip_brackets(old))
    else:
        found = await call.runtime.signatures.describe(call.account, [selector])
        current = found[0] if found else None
        if current is not None and old is not None and rules.strip_brackets(old) != current.name:
            raise YunpianError(BAD_FORMAT, "old_sign 与 sign_id 指向不同的签名")
    if current is None:
        raise core.NotFound()
    return current


async def update(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    name = _name(values["sign"]) if "sign" in values else None
    current = await _target(call, values)
    # notify, apply_vip and is_only_global fall back to their defaults when absent.
    apply_vip, only_global = _channel(values)
    if current.status not in rules.MODIFIABLE:
        changed = {
            "sign": name is not None and name != current.name,
            "website": "website" in values and values["website"] != current.extra.get("website"),
            "apply_vip": apply_vip != bool(current.extra.get("apply_vip")),
        }
        locked = [field for field in LOCKED_FIELDS if changed[field]]
        detail = f"{LOCKED}（{'、'.join(locked)} 不可修改）" if locked else LOCKED
        raise YunpianError(BAD_FORMAT, detail)

    fields, photos = _provider_fields(values)
    extra = {**fields, "apply_vip": apply_vip, "is_only_global": only_global}
    if "industry_type" in values:  # absent: unchanged
        extra["industry_type"] = values["industry_type"]
    proof: tuple[Image, ...] | None = None  # unchanged
    removed: tuple[str, ...] = ()
    if "license_url" in values:
        extra["license_urls"] = values["license_url"]
        proof = ()
    elif "license_base64" in values:
        removed = ("license_urls",)
        proof = tuple(values["license_base64"])
    revision = Revision(
        name=name,
        purpose=values.get("sign_use"),
        proof_images=proof,
        extra=extra,
        extra_removed=removed,
        extra_images=photos,
        notify=values.get("notify", True),
    )
    change = await call.runtime.signatures.revise(
        call.account, current.id, revision, dialect=DIALECT
    )
    return {"sign": _applied(change.signature)}


async def get(call: Call, values: dict[str, Any]) -> dict[str, Any]:
    text: str | None = values.get("sign")
    name: NameFilter | None = None
    if text is not None and text.strip():
        text = text.strip()
        exact = text.startswith("【") and text.endswith("】")
        name = NameFilter(rules.strip_brackets(text), exact=exact)
    service = call.runtime.signatures
    if "id" in values:
        found = await service.describe(call.account, [values["id"]])
        listed = [s for s in found if name is None or _matches(s, name)]
        return {"total": len(listed), "sign": [_listed(s) for s in listed]}
    page_num, page_size = values.get("page_num"), values.get("page_size")
    offset, limit = 0, None
    if page_num is not None and page_size is not None:
        offset, limit = (page_num - 1) * page_size, page_size
    listed, total = await service.page(call.account, name=name, offset=offset, limit=limit)
    return {"total": total, "sign": [_listed(s) for s in listed]}


def _matches(signature: Signature, name: NameFilter) -> bool:
    return signature.name == name.text if name.exact else name.text in signature.name


HANDLERS: dict[str, Handler] = {"add": add, "update": update, "get": get, **TEMPLATE_HANDLERS}
