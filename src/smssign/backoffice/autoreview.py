"""Auto-review for test setups: pending reviewables are decided by a policy, not a person.

Every reviewable kind (signatures and templates) goes through the same policy; a rule's
name pattern is searched in the signature text or the template's name, and rules on
content look at a template's content (a signature has none, so they never match one).

`smssign serve --auto-review approve|reject|off` sets the decision for every signature
that has waited `--auto-review-delay` seconds since it was submitted. A rules file
(`--auto-review-rules`, TOML) may decide otherwise for some: reject names matching a
pattern with a given reason, send a scope through carrier filing (报备中) before approval,
or leave a signature to humans. Rules are tried in order; the first that matches decides.

    reject_reason = "rejected by auto-review"   # used when --auto-review reject

    [[rule]]
    name = "测试"                # regular expression, searched in the signature text
    decision = "reject"
    reason = "测试签名不予通过"

    [[rule]]
    scope = "mainland"          # or "international"
    decision = "filing"         # filing now, approved one delay later

    [[rule]]
    kind = "template"           # or "signature"; without it, a rule is for both
    url = true                  # the content links somewhere (http://, www., a host)
    decision = "reject"
    reason = "模板内容不得包含链接"

    [[rule]]
    content = "贷款|博彩"        # regular expression, searched in the template content
    keywords = ["加微信"]        # or any of these words in it (either matches)
    decision = "reject"
    reason = "模板内容含违规词"

Every decision is an ordinary review by the system reviewer `auto-review`, so it shows in
the timeline, in the API's ReviewReply and in webhooks like a person's would.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from smssign.core import bounds, errors
from smssign.core.clock import Clock
from smssign.core.model import Status
from smssign.core.ports import Reviewable
from smssign.core.review import KINDS
from smssign.core.rules import contains_url
from smssign.core.service import SignatureService
from smssign.store.backoffice import BackofficeStore
from smssign.store.repository import SqlRepository

log = logging.getLogger(__name__)

REVIEWER = "auto-review"
DEFAULT_REJECT_REASON = "rejected by auto-review"
PAGE = 200


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    FILING = "filing"
    """Into carrier filing now, approved after another delay."""
    SKIP = "skip"
    """Leave it for a person."""


class Mode(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    OFF = "off"


class RulesError(ValueError):
    """The rules file cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Rule:
    decision: Decision
    name: re.Pattern[str] | None = None
    international: bool | None = None
    reason: str = ""
    kind: str | None = None
    """Only reviewables of this kind; None for every kind."""
    content: re.Pattern[str] | None = None
    keywords: tuple[str, ...] = ()
    url: bool | None = None
    """True: the content links somewhere; False: it does not."""

    def matches(self, item: Reviewable) -> bool:
        if self.kind is not None and item.subject.kind != self.kind:
            return False
        if self.name is not None and not self.name.search(item.name):
            return False
        if self.international is not None and self.international != item.international:
            return False
        return self._content_matches(item)

    def _content_matches(self, item: Reviewable) -> bool:
        if self.content is None and not self.keywords and self.url is None:
            return True
        text = getattr(item, "content", None)
        if not isinstance(text, str):
            return False  # a kind without content: rules on content never hold
        if self.url is not None and contains_url(text) is not self.url:
            return False
        if self.content is None and not self.keywords:
            return True
        found = self.content is not None and self.content.search(text) is not None
        return found or any(word in text for word in self.keywords)


@dataclass(frozen=True, slots=True)
class Policy:
    mode: Mode
    delay: float = 0.0
    rules: tuple[Rule, ...] = ()
    reject_reason: str = DEFAULT_REJECT_REASON

    def decide(self, item: Reviewable) -> tuple[Decision, str]:
        for rule in self.rules:
            if rule.matches(item):
                return rule.decision, rule.reason
        if self.mode is Mode.REJECT:
            return Decision.REJECT, self.reject_reason
        if self.mode is Mode.APPROVE:
            return Decision.APPROVE, ""
        return Decision.SKIP, ""


_RULE_KEYS = frozenset(
    {"name", "scope", "decision", "reason", "kind", "content", "keywords", "url"}
)
_TOP_KEYS = frozenset({"rule", "reject_reason"})


def parse_rules(text: str, *, source: str = "rules") -> tuple[tuple[Rule, ...], str]:
    """The rules and the default reject reason from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from exc
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise RulesError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    reject_reason = data.get("reject_reason", DEFAULT_REJECT_REASON)
    if not isinstance(reject_reason, str) or not reject_reason.strip():
        raise RulesError(f"{source}: reject_reason must be a non-empty string")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise RulesError(f"{source}: write rules as [[rule]] tables")
    rules = tuple(_rule(raw, f"{source}: rule {number}") for number, raw in enumerate(raw_rules, 1))
    return rules, _reason(reject_reason, f"{source}: reject_reason")


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise RulesError(f"{where}: must be a table")
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        decision = Decision(raw.get("decision", ""))
    except ValueError as exc:
        choices = ", ".join(d.value for d in Decision)
        raise RulesError(f"{where}: decision must be one of {choices}") from exc
    pattern = _pattern(raw, "name", where)
    content = _pattern(raw, "content", where)
    kind = raw.get("kind")
    if kind is not None and kind not in KINDS:
        raise RulesError(f"{where}: kind must be {' or '.join(KINDS)}")
    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(w, str) and w for w in keywords):
        raise RulesError(f"{where}: keywords must be a list of non-empty strings")
    url = raw.get("url")
    if url is not None and not isinstance(url, bool):
        raise RulesError(f"{where}: url must be true or false")
    international = None
    if "scope" in raw:
        if raw["scope"] not in ("mainland", "international"):
            raise RulesError(f"{where}: scope must be mainland or international")
        international = raw["scope"] == "international"
    reason = raw.get("reason", "")
    if not isinstance(reason, str):
        raise RulesError(f"{where}: reason must be a string")
    if decision is Decision.REJECT and not reason.strip():
        raise RulesError(f"{where}: a reject rule needs a reason")
    on_content = content is not None or bool(keywords) or url is not None
    if pattern is None and international is None and kind is None and not on_content:
        raise RulesError(f"{where}: give a name pattern, a scope, a kind or a rule on content")
    return Rule(
        decision,
        pattern,
        international,
        _reason(reason, f"{where}: reason"),
        kind=kind,
        content=content,
        keywords=tuple(keywords),
        url=url,
    )


def _pattern(raw: Mapping[str, Any], key: str, where: str) -> re.Pattern[str] | None:
    if key not in raw:
        return None
    if not isinstance(raw[key], str):
        raise RulesError(f"{where}: {key} must be a string (a regular expression)")
    try:
        return re.compile(raw[key])
    except re.error as exc:
        raise RulesError(f"{where}: {key} is not a regular expression: {exc}") from exc


def _reason(text: str, where: str) -> str:
    """A rule's reason under the same limits as an operator's (the applicant reads both)."""
    try:
        return bounds.reason(text, required=False)
    except errors.InvalidSubmission as exc:
        raise RulesError(f"{where}: {exc.reason}") from exc


def load_policy(mode: str, delay: float, rules_file: Path | None) -> Policy:
    """The policy from the serve flags; RulesError when any of them is unusable."""
    try:
        parsed_mode = Mode(mode)
    except ValueError as exc:
        raise RulesError(f"--auto-review must be approve, reject or off, not {mode!r}") from exc
    if not delay >= 0:
        raise RulesError("--auto-review-delay must be zero or more seconds")
    rules: tuple[Rule, ...] = ()
    reject_reason = DEFAULT_REJECT_REASON
    if rules_file is not None:
        try:
            text = rules_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"{rules_file}: cannot read: {exc}") from exc
        rules, reject_reason = parse_rules(text, source=str(rules_file))
    return Policy(parsed_mode, delay, rules, reject_reason)


_DECISIONS = {
    Decision.APPROVE: Status.APPROVED,
    Decision.REJECT: Status.REJECTED,
    Decision.FILING: Status.FILING,
}


class AutoReviewer:
    """Looks for signatures whose wait is over and reviews them by the policy."""

    def __init__(
        self,
        policy: Policy,
        signatures: SignatureService,
        repository: SqlRepository,
        store: BackofficeStore,
        clock: Clock,
        *,
        poll_interval: float = 0.5,
    ) -> None:
        self.policy = policy
        self.signatures = signatures
        self.repository = repository
        self.store = store
        self.clock = clock
        self.poll_interval = poll_interval

    async def run(self) -> None:
        while True:
            try:
                await self.step()
            except errors.Unavailable as exc:
                log.warning("auto-review: store unavailable: %s", exc)
            except Exception:
                # A bug must not stop auto-review for good; log it and try again later.
                log.exception("auto-review: unexpected error")
            await asyncio.sleep(self.poll_interval)

    async def step(self) -> int:
        """Review everything that is due now; returns how many reviews were made."""
        if self.policy.mode is Mode.OFF:
            return 0
        due = self.clock.now() - self.policy.delay
        return sum([await self._step_kind(kind, due) for kind in KINDS])

    async def _step_kind(self, kind: str, due: float) -> int:
        made = 0
        offset = 0
        while True:
            # Oldest first, a page at a time: what is left to people is stepped over.
            pending, _ = await self.store.reviewable_list(
                kind, statuses=[Status.PENDING], oldest_first=True, offset=offset, limit=PAGE
            )
            waiting = [s for s in pending if s.submitted_at <= due]
            for item in waiting:
                decision, reason = self.policy.decide(item)
                done = 0
                if decision is not Decision.SKIP:
                    done = await self._review(item, _DECISIONS[decision], reason)
                # What is still pending (left to people, or lost a race) stays in the list.
                offset += 1 - done
                made += done
            if len(waiting) < len(pending) or len(pending) < PAGE:
                break
        found, _ = await self.store.reviewable_list(
            kind, statuses=[Status.FILING], oldest_first=True, limit=500
        )
        filing = [s for s in found if s.reviewed_at is not None and s.reviewed_at <= due]
        reviewers = await self.store.latest_reviewers([s.id for s in filing], kind)
        for item in filing:
            # Only filings auto-review started; a person's filing waits for a person.
            if reviewers.get(item.id) == REVIEWER:
                made += await self._review(item, Status.APPROVED, "")
        return made

    async def _review(self, item: Reviewable, decision: Status, reason: str) -> int:
        try:
            await self.signatures.reviews.review(
                item.subject, decision, reason=reason, reviewer=REVIEWER
            )
        except (errors.NotFound, errors.InvalidTransition, errors.Conflict):
            # Someone else (a person, another process) got there first; nothing to do.
            return 0
        return 1


def describe_policy(policy: Policy) -> str:
    parts: Sequence[str] = [
        f"auto-review {policy.mode.value}",
        f"after {policy.delay:g} s",
        f"{len(policy.rules)} rule(s)",
    ]
    return ", ".join(parts)
