"""`.../taskInstances/{task_id}/logs/{try_number}`: a try's log, whole or from a
continuation token (what a reader following a running try passes back)."""
from __future__ import annotations

import base64
import json

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from cluster.errors import InvalidInputError
from cluster.security.masking import MASKER
from cluster.store import browse
from cluster.web.api import schemas
from cluster.web.api.task_instances import BASE, _ti

router = APIRouter()


def _token(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def _after(token: str | None) -> int:
    if not token:
        return 0
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
        if not isinstance(after, int) or after < 0:
            raise ValueError
        return after
    except (ValueError, KeyError, TypeError):
        raise InvalidInputError("token is not a continuation token this server gave") from None


@router.get(BASE + "/{task_id}/logs/{try_number}",
            response_model=schemas.TaskInstancesLogResponse,
            responses={200: {"content": {"text/plain": {}}}})
def get_log(request: Request, dag_id: str, dag_run_id: str, task_id: str, try_number: int,
            full_content: bool = False, map_index: int = -1, token: str | None = None):
    """The log text of try `try_number` after `token` (from the start without one), with
    the token to pass next time; `Accept: text/plain` gives the whole text."""
    cluster, run, ti = _ti(request, dag_id, dag_run_id, task_id, map_index)
    if try_number < 0 or try_number > max(ti.try_number, 0):
        raise InvalidInputError(f"task {task_id!r} has had {ti.try_number} tries; "
                                f"try_number {try_number} does not exist")
    after = 0 if full_content else _after(token)
    chunks = browse.log_chunks(cluster.store, run.id, task_id, try_number, map_index, after)
    text = MASKER("".join(t for _, t in chunks))
    if "text/plain" in request.headers.get("accept", "") and \
            "application/json" not in request.headers.get("accept", ""):
        return PlainTextResponse(text)
    last = chunks[-1][0] if chunks else after
    return schemas.TaskInstancesLogResponse(content=text.splitlines(), continuation_token=_token(last))
