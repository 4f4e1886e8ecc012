"""Render a try's template fields and record them, masked, for `chordflow tasks render`."""
from __future__ import annotations

import json
from typing import Any

from cluster.security.masking import MASKER
from cluster.store import Store
from cluster.store import rendered as rendered_store
from cluster.sdk.templating import render_fields


def render_and_record(store: Store, task: Any, context: dict[str, Any], run_pk: int,
                      try_number: int, map_index: int = -1) -> dict[str, Any]:
    """Render `task`'s fields in place; store them when a template changed anything.

    Plain tasks (nothing templated) cost no extra write on the hot path; `tasks render`
    shows their fields as written.
    """
    before = {f: getattr(task, f, None) for f in task.template_fields}
    rendered = render_fields(task, context)
    if any(_differs(before[f], v) for f, v in rendered.items()):
        rendered_store.save(store, run_pk, task.task_id, map_index, try_number,
                            masked_fields(rendered))
    return rendered


def masked_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copies of the fields with every known secret replaced by `***`."""
    safe = json.loads(json.dumps(fields, default=repr))
    return {k: MASKER.redact(v) for k, v in safe.items()}


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except Exception:  # objects whose comparison fails: assume they changed
        return True
