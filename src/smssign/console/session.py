"""Console cookies and CSRF tokens.

The session cookie carries a random session token, signed with the server's key
(itsdangerous) so a forged or edited cookie is refused before any lookup; the token
itself is checked against the sessions table, so logout ends it for good. Before login a
separate signed cookie holds a random nonce. Every form carries a CSRF token: an HMAC of
the session token (or of the pre-login nonce) under the server key, which a page on
another site can neither read nor compute.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "smssign_session"
LOGIN_COOKIE = "smssign_login"
COOKIE_PATH = "/console"
LOGIN_COOKIE_AGE = 2 * 3600


@dataclass(frozen=True, slots=True)
class CookieSeal:
    """Signs and opens the console's cookies with the server key."""

    secret_key: str

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=f"smssign-console-{purpose}")

    def seal(self, purpose: str, value: str) -> str:
        return self._serializer(purpose).dumps(value)

    def open(self, purpose: str, cookie: str | None, max_age: float) -> str | None:
        """The value, or None when the cookie is absent, forged, edited or too old."""
        if not cookie or len(cookie) > 4096:
            return None
        try:
            value = self._serializer(purpose).loads(cookie, max_age=int(max_age))
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def csrf(self, basis: str) -> str:
        return hmac.new(
            self.secret_key.encode(), b"csrf:" + basis.encode(), hashlib.sha256
        ).hexdigest()

    def csrf_ok(self, basis: str | None, presented: str) -> bool:
        if not basis or not presented:
            return False
        return hmac.compare_digest(self.csrf(basis), presented)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
