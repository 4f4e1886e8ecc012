"""Keep a chord's counters in the result backend alive while its members run.

Celery's Redis backend counts a chord's finished members in keys that expire
(`result_chord_expires`), refreshed only when a member ends: members that run longer
than that would find the count gone and the chord would never fire. Each heartbeat
renews the keys of the chords whose members run in this worker process.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

log = logging.getLogger("chordflow.worker")
_SUFFIXES = (".j", ".t", ".s", ".d")


def group_of(request: Any) -> str | None:
    """The chord's group id when this delivery is a member of a chord's header."""
    return getattr(request, "group", None) if getattr(request, "chord", None) else None


def refresh(app: Any, group_ids: Iterable[str], seconds: float) -> int:
    """Renew the expiry of the chords' keys that exist; returns how many were renewed
    (0 when the backend is not Redis or cannot be reached: the next beat tries again)."""
    groups = sorted(set(g for g in group_ids if g))
    backend = getattr(app, "backend", None)
    if not groups or not hasattr(backend, "get_key_for_group") or \
            not hasattr(backend, "client"):
        return 0
    try:
        pipe = backend.client.pipeline(transaction=False)
        for gid in groups:
            for suffix in _SUFFIXES:
                pipe.expire(backend.get_key_for_group(gid, suffix), int(seconds))
        return sum(bool(done) for done in pipe.execute())
    except Exception:
        log.warning("cannot renew the counters of chords %s", ", ".join(groups),
                    exc_info=True)
        return 0
