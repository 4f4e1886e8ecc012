"""The secrets masker: connection passwords and sensitive variables become `***` in output.

Shared by task logs (workers/logs.py), rendered template fields and the CLI. A value is
registered when chordflow hands it out (a connection's password, a variable whose name
looks sensitive), so it is masked wherever it is printed afterwards, as Airflow's
`secrets_masker` does.
"""
from __future__ import annotations

import threading
from typing import Any

# Airflow's DEFAULT_SENSITIVE_FIELDS: a variable or extra key containing one of these
# (case-insensitive) has its value masked.
SENSITIVE_FIELDS = frozenset({
    "access_token", "api_key", "apikey", "authorization", "passphrase", "passwd",
    "password", "private_key", "secret", "token", "keyfile_dict", "service_account",
    "key",
})
MASK = "***"


def should_hide_value_for_key(name: Any) -> bool:
    """True when a key's name says its value is secret (Airflow's rule, plus `key`)."""
    if not isinstance(name, str):
        return False
    lowered = name.lower()
    return any(field in lowered for field in SENSITIVE_FIELDS)


class Masker:
    """Replaces registered secret values with `***` in text and in nested structures."""

    def __init__(self, limit: int = 10000) -> None:
        # Registered secrets, the most recently registered last. A long-lived worker meets
        # ever new values (rotated tokens): past `limit` the longest unused go first.
        self._secrets: dict[str, None] = {}
        self.limit = limit
        self._sorted: list[str] | None = None
        self._lock = threading.Lock()

    @property
    def secrets(self) -> set[str]:
        with self._lock:
            return set(self._secrets)

    def _register(self, text: str) -> None:
        with self._lock:
            self._secrets.pop(text, None)
            self._secrets[text] = None
            while len(self._secrets) > self.limit:
                del self._secrets[next(iter(self._secrets))]
            self._sorted = None

    def add(self, value: object) -> None:
        """Register a secret; short values (under 3 characters) would mask too much."""
        if isinstance(value, dict):
            for v in value.values():
                self.add(v)
            return
        if isinstance(value, (list, tuple)):
            for v in value:
                self.add(v)
            return
        text = str(value) if value is not None else ""
        if len(text) >= 3:
            self._register(text)
            for line in text.splitlines():  # multi-line secrets are printed line by line
                if len(line.strip()) >= 3 and line != text:
                    self._register(line)

    def add_for_key(self, key: str, value: object) -> None:
        """Register `value` when `key` names something sensitive (or nested keys do)."""
        if should_hide_value_for_key(key):
            self.add(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                self.add_for_key(str(k), v)

    def __call__(self, text: str) -> str:
        with self._lock:
            if self._sorted is None:  # longest first: a secret inside another is masked too
                self._sorted = sorted(self._secrets, key=len, reverse=True)
            secrets = self._sorted
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def redact(self, value: Any, key: str | None = None) -> Any:
        """A copy of `value` with secrets masked: strings masked, sensitive keys hidden."""
        if key is not None and should_hide_value_for_key(key) and value not in (None, ""):
            return MASK
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.redact(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.redact(v) for v in value)
        return value


MASKER = Masker()
