"""Who is asking: JWT bearer tokens (Airflow 3's `POST /auth/token`), HTTP basic auth
(Airflow 2 scripts), or the UI's session cookie holding a token. No anonymous access."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from fastapi import HTTPException, Request

from cluster.web.passwords import check_password
from cluster.web.settings import WebSettings

COOKIE = "chordflow_token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Authenticator:
    """Checks passwords and signs and verifies tokens (HS256 JWTs).

    Parameters:
      settings: the users (name -> hash), the signing key and how long a token lives.
    """

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self._key = settings.secret_key.encode()
        # Basic auth checks a password on every request; a PBKDF2 check costs a fifth of a
        # second, so a verified (user, digest of password) pair is remembered.
        self._verified: set[tuple[str, str]] = set()

    def login(self, username: str, password: str) -> bool:
        hashed = self.settings.users.get(username)
        memo = (username, hashlib.sha256(f"{hashed}\0{password}".encode()).hexdigest())
        if hashed is None:
            return False
        if memo in self._verified:
            return True
        if check_password(password, hashed):
            self._verified.add(memo)
            return True
        return False

    def issue(self, username: str) -> str:
        now = int(time.time())
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps({"sub": username, "iat": now,
                                "exp": now + self.settings.token_seconds}).encode())
        sig = _b64(hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{sig}"

    def verify(self, token: str) -> str | None:
        """The user a valid, unexpired token names; None otherwise."""
        try:
            header, body, sig = token.split(".")
            good = _b64(hmac.new(self._key, f"{header}.{body}".encode(),
                                 hashlib.sha256).digest())
            if not hmac.compare_digest(good, sig):
                return None
            claims: dict[str, Any] = json.loads(_unb64(body))
        except (ValueError, TypeError):
            return None
        if not isinstance(claims, dict) or claims.get("exp", 0) < time.time():
            return None
        user = claims.get("sub")
        return user if user in self.settings.users else None

    def user_of(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return self.verify(value.strip())
        if scheme.lower() == "basic":
            try:
                name, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            return name if self.login(name, password) else None
        cookie = request.cookies.get(COOKIE)
        return self.verify(cookie) if cookie else None


def require_user(request: Request) -> str:
    """FastAPI dependency: the authenticated user, or 401."""
    user = request.app.state.auth.user_of(request)
    if user is None:
        raise HTTPException(status_code=401, detail="Not authenticated",
                            headers={"WWW-Authenticate": "Bearer"})
    return user
