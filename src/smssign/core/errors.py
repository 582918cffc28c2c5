"""The neutral error hierarchy of the core.

Dialects map each of these classes to their own wire error code; the core never knows
which provider a caller speaks.
"""

from __future__ import annotations


class SmssignError(Exception):
    """Base of every error the core raises on purpose."""


class NotFound(SmssignError):
    """The signature does not exist, was deleted, or belongs to another account.

    All three look the same on purpose: a caller must not learn which ids exist elsewhere.
    """


class AccountNotFound(SmssignError):
    """No account has that id (operator tools only)."""


class CredentialNotFound(SmssignError):
    """No active credential matches what the caller presented."""


class PolicyDenied(SmssignError):
    """The account may not use the API right now."""


class NotEnterprise(PolicyDenied):
    """Individually certified accounts may not manage signatures through the API."""


class InArrears(PolicyDenied):
    """The account is suspended for unpaid bills."""


class IpNotAllowed(PolicyDenied):
    """The caller's address is outside the account's allow-list."""


class InvalidSubmission(SmssignError):
    """What was submitted breaks a rule; `field` names the offending part."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class TextTooLong(InvalidSubmission):
    """A free-text field is longer than its documented limit (see rules.TEXT_LIMITS)."""

    def __init__(self, field: str, longest: int) -> None:
        super().__init__(field, f"at most {longest} characters")
        self.longest = longest


class InvalidName(InvalidSubmission):
    """The signature text has characters the rules do not allow or is too short."""

    def __init__(self, reason: str) -> None:
        super().__init__("name", reason)


class NameTooLong(InvalidName):
    """The signature text exceeds the length its scope allows."""


class InvalidSignType(InvalidSubmission):
    def __init__(self, reason: str) -> None:
        super().__init__("sign_type", reason)


class InvalidDocumentType(InvalidSubmission):
    def __init__(self, reason: str) -> None:
        super().__init__("document_type", reason)


class InvalidPurpose(InvalidSubmission):
    def __init__(self, reason: str) -> None:
        super().__init__("purpose", reason)


class InvalidScope(InvalidSubmission):
    """International must be 0 or 1, and a signature can never change scope."""

    def __init__(self, reason: str) -> None:
        super().__init__("international", reason)


class InvalidImage(InvalidSubmission):
    """A proof or commission image is not a decodable image within the size limit."""


class QualificationNotFound(SmssignError):
    """The qualification id is unknown to this account."""


class QualificationNotApproved(SmssignError):
    """The qualification exists but has not been approved."""


class Duplicate(SmssignError):
    """The account already has a live signature with this name in this scope."""

    def __init__(self, existing_id: int) -> None:
        super().__init__(f"signature {existing_id} already has this name")
        self.existing_id = existing_id


class DuplicatePending(Duplicate):
    """The existing signature with this name is still under review."""


class DuplicateApproved(Duplicate):
    """The existing signature with this name is approved or being filed."""


class QuotaExceeded(SmssignError):
    """The account holds as many signatures as it may."""


class NotModifiable(SmssignError):
    """Only pending and rejected signatures may be modified."""

    def __init__(self, status: str) -> None:
        super().__init__(f"a {status} signature cannot be modified")
        self.status = status


class InvalidTransition(SmssignError):
    """A review decision that the signature's current status does not allow."""

    def __init__(self, status: str, target: str) -> None:
        super().__init__(f"cannot move a signature from {status} to {target}")
        self.status = status
        self.target = target


class Conflict(SmssignError):
    """Another writer changed the signature first; the caller may retry."""


class Unavailable(SmssignError):
    """The store could not be reached; nothing was changed."""


# --- templates ------------------------------------------------------------------------


class InvalidTemplateContent(InvalidSubmission):
    """The template's content breaks a format rule: 【】 inside, malformed or badly
    numbered variables, two variables touching, or nothing but variables."""

    def __init__(self, reason: str) -> None:
        super().__init__("content", reason)


class TemplateContentTooLong(InvalidTemplateContent):
    """The content is longer than rules.LONGEST_TEMPLATE characters."""


class UrlInVerificationTemplate(InvalidTemplateContent):
    """A verification-code template may not carry a link."""


class InvalidTemplateType(InvalidSubmission):
    def __init__(self, reason: str) -> None:
        super().__init__("type", reason)


class ScopeImmutable(InvalidSubmission):
    """A modification may not move a template between mainland and international."""

    def __init__(self) -> None:
        super().__init__("international", "cannot change the scope of a template")


class MissingSignature(SmssignError):
    """The account has applied for no signature yet, so it may not apply for a template."""


# --- sending --------------------------------------------------------------------------


class SendRefused(SmssignError):
    """One number of a send was refused; the others of the request may still go out.

    Dialects whose protocol answers these per number (a status set, a `detail` list)
    render each; the others answer the request with the first.
    """


class SignatureNotApproved(SendRefused):
    """The signature is unknown, foreign, not approved, or of the other scope."""


class TemplateNotFound(SendRefused):
    """No live template of the caller has that id."""


class TemplateNotApproved(SendRefused):
    """The template exists but is pending or rejected."""


class NoTemplateMatch(SendRefused):
    """Free text matched no approved template of the account (text-sending dialects)."""


class ParameterMismatch(SendRefused):
    """The parameters do not fill the template's variables (count, names, empty values)."""


class ParameterRejected(SendRefused):
    """A parameter value breaks the dialect's declared rule `rule` (sending.ParameterRules):
    `digits` (a verification code that is not 0 to N digits), `length`, or `url`."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule


class ContentTooLong(SendRefused):
    """The rendered message is longer than messages.LONGEST_MESSAGE characters."""


class InvalidNumber(SendRefused):
    """The mobile number is malformed."""


class ScopeMismatch(SendRefused):
    """A mainland template to a number abroad, or an international one to a mainland number.

    `template_international` says which of the two.
    """

    def __init__(self, template_international: bool) -> None:
        super().__init__(
            "an international template to a mainland number"
            if template_international
            else "a mainland template to a number abroad"
        )
        self.template_international = template_international


class NumberBlocked(SendRefused):
    """The number is on the do-not-disturb list (a magic test number, or a rule)."""


class FrequencyLimited(SendRefused):
    """A per-number frequency limit was hit; `limit` is the name the provider declares."""

    def __init__(self, limit: str) -> None:
        super().__init__(f"frequency limit {limit}")
        self.limit = limit


class InsufficientBalance(SendRefused):
    """The account's balance is below the message's fee."""


class MarketingNotAllowed(SendRefused):
    """An individually certified account may not send marketing messages."""


class SendRequestInvalid(SmssignError):
    """The send request as a whole is refused; nothing was sent."""


class NoNumbers(SendRequestInvalid):
    """The request names no mobile number."""


class TooManyNumbers(SendRequestInvalid):
    """More numbers than the dialect allows in one request."""

    def __init__(self, most: int) -> None:
        super().__init__(f"at most {most} numbers")
        self.most = most


class MixedScope(SendRequestInvalid):
    """Mainland and international numbers in one request where the dialect forbids it."""
