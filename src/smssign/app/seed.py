"""Seed files: accounts, signatures and templates in given states, for a test server to start with.

`smssign serve --testing --seed FILE.yaml`, `POST /_smssign/seed`, `mock(seed=...)` and
the pytest option `--smssign-seed` read the same format::

    accounts:
      - name: acme                      # required; an existing account of that name is kept
        certification: enterprise       # or individual
        arrears: false
        ip_allow: [10.0.0.0/8]
        signature_quota: 100
        KIND: {KEY_FIELD: acme-key, SECRET_FIELD: acme-secret}   # fixed credentials, see below
        qualifications:
          - {name: 某某科技有限公司, status: approved}
        signatures:
          - name: 腾讯云
            status: approved            # pending (default), filing, approved or rejected
            reason: 证明材料不清晰        # the ReviewReply; required when rejected
            international: false
            sign_type: 0                # the core's numbering (rules.SIGN_TYPES); null for none
            document_type: 1
            purpose: 0
            remark: ""
            qualification: 某某科技有限公司   # one of this account's qualifications
            extra: {}                   # provider fields (industry, website, ...)
        templates:                      # the account must list a signature too
          - name: 登录验证码
            content: 您的验证码是{1}，{2}分钟内有效。   # variables {1}, {2}, ... or {name}
            type: verification          # normal, marketing, notification (default), verification
            status: approved            # pending (default), approved or rejected
            reason: ""                  # the ReviewReply; required when rejected
            international: false
            remark: ""
    outcomes:                           # simulated delivery's outcome rules
      - {pattern: "+86137*", status: failed, error_code: "MK:0005", account: acme}

Fixed credentials: one table per credential kind a dialect declares (`core/providers.py`),
named and shaped as in `smssign accounts create --json` without the secret's hash: the key
id and, unless the key id is itself the secret, the secret. A numeric key id is a positive
whole number. Each kind left out is generated; docs/testing.md shows every kind.

Signatures get ids in file order (1, 2, ... on a fresh database) and a small PNG as
proof; templates too, after the account's signatures, their content written in the core's
neutral form and checked by the same content rules as through any dialect. The whole
file is checked before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from smssign.app.runtime import Runtime, default_providers
from smssign.core import bounds, errors, rules, templates
from smssign.core.accounts import Issued
from smssign.core.model import (
    Account,
    Certification,
    Credential,
    Draft,
    Image,
    QualificationStatus,
    Status,
    TemplateType,
)
from smssign.core.providers import Providers, SequentialKey
from smssign.core.templates import TemplateDraft

REVIEWER = "seed"
DIALECT = "seed"
"""What the seeded applications record as the dialect they came through."""


class SeedError(ValueError):
    """The seed cannot be used; the message says where in the file and why."""


@dataclass(frozen=True, slots=True)
class SeedSignature:
    name: str
    status: Status = Status.PENDING
    reason: str = ""
    international: bool = False
    sign_type: int | None = 0
    document_type: int | None = 1
    purpose: int = 0
    remark: str = ""
    qualification: str | None = None
    extra: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SeedTemplate:
    name: str
    content: str
    type: TemplateType = TemplateType.NOTIFICATION
    status: Status = Status.PENDING
    reason: str = ""
    international: bool = False
    remark: str = ""


@dataclass(frozen=True, slots=True)
class SeedAccount:
    name: str
    certification: Certification = Certification.ENTERPRISE
    arrears: bool = False
    ip_allow: tuple[str, ...] = ()
    signature_quota: int | None = None
    credentials: Mapping[str, tuple[str, str]] | None = None
    """Fixed (key id, secret) per credential kind."""
    qualifications: tuple[tuple[str, QualificationStatus], ...] = ()
    signatures: tuple[SeedSignature, ...] = ()
    templates: tuple[SeedTemplate, ...] = ()


@dataclass(frozen=True, slots=True)
class SeedOutcome:
    """An outcome rule of simulated delivery (`outcomes:`); `account` by name, or all."""

    pattern: str
    status: str
    error_code: str | None
    account: str | None = None


@dataclass(frozen=True, slots=True)
class Seed:
    accounts: tuple[SeedAccount, ...] = ()
    outcomes: tuple[SeedOutcome, ...] = ()


# --- reading ----------------------------------------------------------------------------


def load(
    source: str | os.PathLike[str] | Mapping[str, Any], *, providers: Providers | None = None
) -> Seed:
    """A seed from a YAML (or JSON) file path, or from already parsed data."""
    if isinstance(source, Mapping):
        return parse(source, providers=providers)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(f"{path}: cannot read: {exc}") from exc
    return loads(text, source=str(path), providers=providers)


def loads(text: str | bytes, *, source: str = "seed", providers: Providers | None = None) -> Seed:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SeedError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        return Seed()
    return parse(data, source=source, providers=providers)


_ACCOUNT_KEYS = frozenset(
    {
        "name",
        "certification",
        "arrears",
        "ip_allow",
        "signature_quota",
        "qualifications",
        "signatures",
        "templates",
    }
)
_SIGNATURE_KEYS = frozenset(
    {
        "name",
        "status",
        "reason",
        "international",
        "sign_type",
        "document_type",
        "purpose",
        "remark",
        "qualification",
        "extra",
    }
)


_TEMPLATE_KEYS = frozenset(
    {"name", "content", "type", "status", "reason", "international", "remark"}
)
_TEMPLATE_STATUSES = (Status.PENDING, Status.APPROVED, Status.REJECTED)


def parse(data: Any, *, source: str = "seed", providers: Providers | None = None) -> Seed:
    """Check a whole seed; credential tables are those of `providers` (every dialect's)."""
    providers = providers or default_providers()
    table = _table(data, source, {"accounts", "outcomes"})
    raw_accounts = _list(table.get("accounts", []), f"{source}: accounts")
    accounts = tuple(
        _account(raw, f"{source}: accounts[{index}]", providers)
        for index, raw in enumerate(raw_accounts)
    )
    names = [a.name for a in accounts]
    for name in names:
        if names.count(name) > 1:
            raise SeedError(f"{source}: account {name!r} appears twice")
    keys = [(d, pair[0]) for a in accounts for d, pair in (a.credentials or {}).items()]
    for key in keys:
        if keys.count(key) > 1:
            raise SeedError(f"{source}: two accounts share the {key[0]} key {key[1]!r}")
    raw_outcomes = _list(table.get("outcomes", []), f"{source}: outcomes")
    outcomes = tuple(
        _outcome(raw, f"{source}: outcomes[{index}]", set(names))
        for index, raw in enumerate(raw_outcomes)
    )
    return Seed(accounts, outcomes)


def _outcome(raw: Any, where: str, accounts: set[str]) -> SeedOutcome:
    table = _table(raw, where, {"pattern", "status", "error_code", "account"})
    pattern = _text(table.get("pattern"), f"{where}: pattern", required=True)
    status = _text(table.get("status", "failed"), f"{where}: status")
    code = _text(table.get("error_code", ""), f"{where}: error_code") or None
    account = _text(table.get("account", ""), f"{where}: account") or None
    if not pattern.startswith("+") or len(pattern) > 40:
        raise SeedError(f"{where}: pattern: a glob over E.164 numbers, such as +86139*")
    if status not in ("failed", "delivered", "pending"):
        raise SeedError(f"{where}: status: failed, delivered or pending")
    if status == "failed" and code is None:
        raise SeedError(f"{where}: error_code: a failure needs its receipt code")
    if account is not None and account not in accounts:
        raise SeedError(f"{where}: account {account!r} is not in the seed")
    return SeedOutcome(pattern, status, code if status == "failed" else None, account)


def _account(raw: Any, where: str, providers: Providers) -> SeedAccount:
    table = _table(raw, where, _ACCOUNT_KEYS | set(providers.kind_names))
    name = _text(table.get("name"), f"{where}.name", required=True)
    try:
        certification = Certification(table.get("certification", "enterprise"))
    except ValueError as exc:
        raise SeedError(f"{where}.certification: enterprise or individual") from exc
    ip_allow = tuple(
        _text(n, f"{where}.ip_allow", required=True)
        for n in _list(table.get("ip_allow", []), f"{where}.ip_allow")
    )
    quota = table.get("signature_quota")
    try:
        name = bounds.account_name(name)
        ip_allow = bounds.ip_allow(ip_allow)
        if quota is not None:
            bounds.quota(quota)
    except errors.InvalidSubmission as exc:
        raise SeedError(f"{where}.{exc.field}: {exc.reason}") from exc
    credentials = _credentials(table, where, providers)
    qualifications: list[tuple[str, QualificationStatus]] = []
    for index, item in enumerate(_list(table.get("qualifications", []), f"{where}.qualifications")):
        at = f"{where}.qualifications[{index}]"
        q = _table(item, at, {"name", "status"})
        try:
            status = QualificationStatus(q.get("status", "approved"))
        except ValueError as exc:
            raise SeedError(f"{at}.status: approved, pending or rejected") from exc
        qualifications.append((_text(q.get("name"), f"{at}.name", required=True), status))
    known = {name for name, _ in qualifications}
    signatures = tuple(
        _signature(item, f"{where}.signatures[{index}]", known)
        for index, item in enumerate(_list(table.get("signatures", []), f"{where}.signatures"))
    )
    live = [(s.name, s.international) for s in signatures if s.status is not Status.REJECTED]
    for key in live:
        if live.count(key) > 1:
            raise SeedError(f"{where}.signatures: {key[0]!r} is held twice in one scope")
    if quota is not None and len(signatures) > quota:
        raise SeedError(f"{where}: {len(signatures)} signatures exceed signature_quota {quota}")
    seeded_templates = tuple(
        _template(item, f"{where}.templates[{index}]")
        for index, item in enumerate(_list(table.get("templates", []), f"{where}.templates"))
    )
    if seeded_templates and not signatures:
        # As through every dialect: no template before the account applied for a signature.
        raise SeedError(f"{where}.templates: the account needs a signature first")
    if len(seeded_templates) > templates.MOST_TEMPLATES:
        raise SeedError(f"{where}.templates: at most {templates.MOST_TEMPLATES}")
    return SeedAccount(
        name=name,
        certification=certification,
        arrears=_flag(table.get("arrears", False), f"{where}.arrears"),
        ip_allow=ip_allow,
        signature_quota=quota,
        credentials=credentials,
        qualifications=tuple(qualifications),
        signatures=signatures,
        templates=seeded_templates,
    )


def _template(raw: Any, where: str) -> SeedTemplate:
    table = _table(raw, where, _TEMPLATE_KEYS)
    status = {s.value: s for s in _TEMPLATE_STATUSES}.get(table.get("status", "pending"))
    if status is None:
        raise SeedError(f"{where}.status: pending, approved or rejected")
    try:
        kind = TemplateType(table.get("type", TemplateType.NOTIFICATION.value))
    except ValueError as exc:
        choices = ", ".join(t.value for t in TemplateType)
        raise SeedError(f"{where}.type: {choices}") from exc
    reason = _text(table.get("reason", ""), f"{where}.reason")
    if status is Status.REJECTED and not reason.strip():
        raise SeedError(f"{where}.reason: a rejected template needs a reason")
    name = _text(table.get("name"), f"{where}.name", required=True)
    content = _text(table.get("content"), f"{where}.content", required=True)
    remark = _text(table.get("remark", ""), f"{where}.remark")
    try:
        rules.check_length("name", name, rules.LONGEST_NAME)
        rules.check_length("remark", remark, rules.LONGEST_REMARK)
        templates.check_content(content, kind)
        bounds.reason(reason, required=False)
    except errors.SmssignError as exc:
        raise SeedError(f"{where}: {exc}") from exc
    return SeedTemplate(
        name=name,
        content=content,
        type=kind,
        status=status,
        reason=reason,
        international=_flag(table.get("international", False), f"{where}.international"),
        remark=remark,
    )


def _credentials(
    table: Mapping[str, Any], where: str, providers: Providers
) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for kind in providers.kinds:
        if kind.name not in table:
            continue
        at = f"{where}.{kind.name}"
        fields = (
            {kind.key_field} if kind.secret_field is None else {kind.key_field, kind.secret_field}
        )
        t = _table(table[kind.name], at, fields)
        if kind.numeric:
            number = t.get(kind.key_field)
            if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
                raise SeedError(f"{at}.{kind.key_field}: a positive whole number")
            key_id = str(number)
        else:
            key_id = _text(t.get(kind.key_field), f"{at}.{kind.key_field}", required=True)
        secret = ""
        if kind.secret_field is not None:
            secret = _text(t.get(kind.secret_field), f"{at}.{kind.secret_field}", required=True)
        out[kind.name] = (key_id, secret)
    return out


def _signature(raw: Any, where: str, qualifications: set[str]) -> SeedSignature:
    table = _table(raw, where, _SIGNATURE_KEYS)
    try:
        status = Status(table.get("status", "pending"))
    except ValueError as exc:
        raise SeedError(f"{where}.status: pending, filing, approved or rejected") from exc
    reason = _text(table.get("reason", ""), f"{where}.reason")
    if status is Status.REJECTED and not reason.strip():
        raise SeedError(f"{where}.reason: a rejected signature needs a reason")
    international = _flag(table.get("international", False), f"{where}.international")
    sign_type = _number(table.get("sign_type", 0), f"{where}.sign_type")
    document_type = _number(table.get("document_type", 1), f"{where}.document_type")
    purpose = _number(table.get("purpose", 0), f"{where}.purpose")
    try:
        rules.check_types(sign_type, document_type, international=international)
        rules.check_purpose(purpose if purpose is not None else -1)
    except errors.InvalidSubmission as exc:
        raise SeedError(f"{where}: {exc}") from exc
    qualification = table.get("qualification")
    if qualification is not None and qualification not in qualifications:
        raise SeedError(f"{where}.qualification: {qualification!r} is not among the account's")
    extra = table.get("extra", {})
    if not isinstance(extra, Mapping):
        raise SeedError(f"{where}.extra: a mapping")
    assert purpose is not None
    return SeedSignature(
        name=_text(table.get("name"), f"{where}.name", required=True),
        status=status,
        reason=reason,
        international=international,
        sign_type=sign_type,
        document_type=document_type,
        purpose=purpose,
        remark=_text(table.get("remark", ""), f"{where}.remark"),
        qualification=qualification,
        extra=dict(extra),
    )


def _table(raw: Any, where: str, allowed: frozenset[str] | set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise SeedError(f"{where}: a mapping (key: value lines)")
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise SeedError(f"{where}: unknown key(s) {', '.join(unknown)}")
    return raw


def _list(raw: Any, where: str) -> Sequence[Any]:
    if not isinstance(raw, list):
        raise SeedError(f"{where}: a list")
    return raw


def _text(raw: Any, where: str, *, required: bool = False) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise SeedError(f"{where}: text")
    text = str(raw)
    if required and not text.strip():
        raise SeedError(f"{where}: must not be empty")
    return text


def _flag(raw: Any, where: str) -> bool:
    if not isinstance(raw, bool):
        raise SeedError(f"{where}: true or false")
    return raw


def _number(raw: Any, where: str) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise SeedError(f"{where}: a whole number or null")
    return raw


# --- writing ----------------------------------------------------------------------------


async def apply(runtime: Runtime, seed: Seed) -> dict[str, Any]:
    """Create what the seed describes. Accounts whose name exists already are left as
    they are and listed under `kept`; created ones are listed with their credentials,
    as `smssign accounts create --json` prints them, plus their signatures."""
    from smssign.app.demo import sample_png
    from smssign.backoffice.accounts import issued_json

    png = sample_png()
    proof = Image(png, "PNG", 4, 4)
    created: list[dict[str, Any]] = []
    kept = [a.name for a in seed.accounts if await runtime.repository.account_named(a.name)]
    wanted_accounts = [a for a in seed.accounts if a.name not in kept]
    # Refuse before writing anything, rather than stop halfway through the file.
    for wanted in wanted_accounts:
        for dialect, (key_id, _) in (wanted.credentials or {}).items():
            if await runtime.repository.authenticate(dialect, key_id) is not None:
                raise SeedError(f"the {dialect} key {key_id!r} is held by another account")
    for wanted in wanted_accounts:
        try:
            issued = await runtime.accounts.create(
                wanted.name, individual=wanted.certification is Certification.INDIVIDUAL
            )
        except IntegrityError as exc:
            # A generated sequential key id (base + id) that the seed gave another account.
            raise SeedError(_collision(wanted.name, runtime.providers)) from exc
        account = await runtime.accounts.update(
            issued.account.id,
            arrears=wanted.arrears,
            ip_allow=wanted.ip_allow,
            signature_quota=wanted.signature_quota,
        )
        credentials = dict(issued.credentials)
        for dialect, (key_id, secret) in (wanted.credentials or {}).items():
            credentials[dialect] = await _install(runtime, account.id, dialect, key_id, secret)
        qualification_ids: dict[str, int] = {}
        for name, status in wanted.qualifications:
            made = await runtime.accounts.add_qualification(account.id, name, status)
            qualification_ids[name] = made.id
        signatures: list[dict[str, Any]] = []
        for s in wanted.signatures:
            draft = Draft(
                name=s.name,
                international=s.international,
                sign_type=s.sign_type,
                document_type=s.document_type,
                purpose=s.purpose,
                proof_images=(proof,),
                remark=s.remark,
                qualification_id=qualification_ids.get(s.qualification or ""),
                extra=dict(s.extra or {}),
            )
            change = await runtime.signatures.add(account, draft, dialect=DIALECT)
            signature = change.signature
            if s.status is not Status.PENDING:
                signature = await runtime.signatures.review(
                    signature.id, s.status, reason=s.reason, reviewer=REVIEWER
                )
            signatures.append(
                {"id": signature.id, "name": signature.name, "status": signature.status.value}
            )
        out = issued_json(Issued(account, credentials), runtime.providers)
        out["signatures"] = signatures
        out["templates"] = [await _add_template(runtime, account, t) for t in wanted.templates]
        created.append(out)
    await _add_outcomes(runtime, seed.outcomes)
    return {"accounts": created, "kept": kept}


async def _add_outcomes(runtime: Runtime, outcomes: Sequence[SeedOutcome]) -> None:
    """Add the seed's outcome rules that are not there yet (a restart applies it again)."""
    from smssign.core.messages import MessageStatus

    existing = {
        (r.pattern, r.status.value, r.error_code, r.account_id)
        for r in await runtime.repository.list_outcome_rules()
    }
    for wanted in outcomes:
        owner = await runtime.repository.account_named(wanted.account) if wanted.account else None
        key = (wanted.pattern, wanted.status, wanted.error_code, owner.id if owner else None)
        if key in existing:
            continue
        existing.add(key)
        await runtime.repository.add_outcome_rule(
            wanted.pattern, MessageStatus(wanted.status), wanted.error_code, key[3], "seed"
        )


async def _add_template(runtime: Runtime, account: Account, wanted: SeedTemplate) -> dict[str, Any]:
    draft = TemplateDraft(
        name=wanted.name,
        content=wanted.content,
        type=wanted.type,
        international=wanted.international,
        remark=wanted.remark,
    )
    template = (await runtime.templates.add(account, draft, dialect=DIALECT)).template
    if wanted.status is not Status.PENDING:
        template = await runtime.templates.review(
            template.id, wanted.status, reason=wanted.reason, reviewer=REVIEWER
        )
    return {"id": template.id, "name": template.name, "status": template.status.value}


def _collision(account: str, providers: Providers) -> str:
    kinds = [k for k in providers.kinds if isinstance(k.issue, SequentialKey)]
    generated = " or ".join(f"{k.name} {k.key_field}" for k in kinds)
    advice = "; ".join(
        f"give fixed {k.key_field}s outside {str(k.issue.base)[:-2]}xx or equal to "
        f"{k.issue.base} + the account's own id"
        for k in kinds
        if isinstance(k.issue, SequentialKey)
    )
    return (
        f"account {account!r}: its generated {generated} collides with one the seed gave "
        f"another account; {advice}"
    )


async def _install(
    runtime: Runtime, account_id: int, dialect: str, key_id: str, secret: str
) -> Credential:
    """Replace the generated credential of `dialect` with the one the seed fixes."""
    now = runtime.clock.now()
    try:
        async with runtime.repository.account_transaction() as tx:
            await tx.revoke_credentials(account_id, dialect, now)
            return await tx.insert_credential(account_id, dialect, key_id, secret, now)
    except IntegrityError as exc:
        raise SeedError(f"the {dialect} key {key_id!r} is held by another account") from exc
