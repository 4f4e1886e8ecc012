"""The web server's settings, from `CHORDFLOW_WEBSERVER_*` variables.

Users come from `CHORDFLOW_WEBSERVER_USERS` (`name:HASH` pairs separated by commas, each
hash made by `chordflow hash-password`) and/or one administrator given in plain text by
`CHORDFLOW_WEBSERVER_ADMIN_USER` / `CHORDFLOW_WEBSERVER_ADMIN_PASSWORD` (for a Secret or
an .env file; hashed in memory at start). Without any user the server refuses to start.
"""
from __future__ import annotations

import dataclasses
import os
import secrets
from typing import Mapping

from cluster.errors import ConfigError
from cluster.web.passwords import hash_password, is_hash

PREFIX = "CHORDFLOW_WEBSERVER_"


@dataclasses.dataclass(frozen=True)
class WebSettings:
    """Where the server listens, who may log in, and how its tokens are signed."""

    host: str
    port: int
    users: dict[str, str]  # name -> password hash
    secret_key: str
    token_seconds: int = 12 * 3600
    flower_url: str = ""
    live_interval: float = 0.2

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "WebSettings":
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(PREFIX + name, "").strip() or default

        users: dict[str, str] = {}
        for entry in filter(None, (e.strip() for e in get("USERS").split(","))):
            name, sep, hashed = entry.partition(":")
            if not sep or not name or not is_hash(hashed):
                raise ConfigError(
                    f"{PREFIX}USERS: expected NAME:HASH entries separated by commas, with "
                    f"hashes from `chordflow hash-password`; bad entry for {name or '?'!r}")
            users[name] = hashed
        admin, password = get("ADMIN_USER"), env.get(PREFIX + "ADMIN_PASSWORD", "")
        if bool(admin) != bool(password):
            raise ConfigError(f"{PREFIX}ADMIN_USER and {PREFIX}ADMIN_PASSWORD go together: "
                              "set both or neither")
        if admin:
            users[admin] = hash_password(password)
        if not users:
            raise ConfigError(
                "the web server has no users: set CHORDFLOW_WEBSERVER_ADMIN_USER and "
                "CHORDFLOW_WEBSERVER_ADMIN_PASSWORD, or CHORDFLOW_WEBSERVER_USERS "
                "(anonymous access is not offered)")
        return cls(
            host=get("HOST", "0.0.0.0"),
            port=_int("PORT", get("PORT", "8080"), 1, 65535),
            users=users,
            # Without a configured key, tokens are valid for this process only.
            secret_key=get("SECRET_KEY") or secrets.token_urlsafe(32),
            token_seconds=_int("TOKEN_SECONDS", get("TOKEN_SECONDS", str(cls.token_seconds)),
                               60, 366 * 86400),
            flower_url=get("FLOWER_URL").rstrip("/"),
        )


def _int(name: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{PREFIX}{name} must be between {low} and {high}, got {value}")
    return value
