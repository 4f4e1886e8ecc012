"""Password hashes (PBKDF2-SHA256, salted) for the web server's users."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SCHEME = "pbkdf2_sha256"
_ITERATIONS = 240_000


def hash_password(password: str, iterations: int = _ITERATIONS) -> str:
    """`pbkdf2_sha256$ITERATIONS$SALT$HASH`, the form `CHORDFLOW_WEBSERVER_USERS` takes."""
    salt = secrets.token_urlsafe(12)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{_SCHEME}${iterations}${salt}${base64.b64encode(digest).decode()}"


def is_hash(text: str) -> bool:
    parts = text.split("$")
    return len(parts) == 4 and parts[0] == _SCHEME and parts[1].isdigit()


def check_password(password: str, hashed: str) -> bool:
    """True when `password` matches; compared in constant time."""
    if not is_hash(hashed):
        return False
    _, iterations, salt, expected = hashed.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(base64.b64encode(digest).decode(), expected)
