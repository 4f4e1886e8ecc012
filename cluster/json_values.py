"""Values as JSON carries them: what the store, a DAG version and the task API hold."""
from __future__ import annotations

import json
from typing import Any


def json_safe(value: Any) -> Any:
    """`value` after a JSON round trip; what JSON has no type for becomes its `str`.

    Raises TypeError (keys JSON cannot have) or ValueError (a circular value).
    """
    return json.loads(json.dumps(value, default=str))
