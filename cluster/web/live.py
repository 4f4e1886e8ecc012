"""Live updates for the UI: a server-sent event each time a state in view changes.

The stream polls a cheap summary of the states in scope (`browse.live_signature`) every
`live_interval` seconds and sends `change` only when it differs, so a page redraws a few
hundred milliseconds after a task ends, without reloading.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from cluster.store import browse
from cluster.web.api.views import cluster_of, run_or_404

router = APIRouter()
_KEEPALIVE = 15.0


@router.get("/events")
async def events(request: Request, dag_id: str | None = None,
                 dag_run_id: str | None = None) -> StreamingResponse:
    cluster = cluster_of(request)
    run_pk = None
    if dag_id and dag_run_id:
        run_pk = (await run_in_threadpool(run_or_404, cluster, dag_id, dag_run_id)).id
    interval = request.app.state.settings.live_interval

    async def stream() -> AsyncIterator[str]:
        last, quiet_since = None, time.monotonic()
        yield "retry: 1000\n\n"
        while not await request.is_disconnected():
            now = await run_in_threadpool(browse.live_signature, cluster.store, dag_id, run_pk)
            if now != last:
                yield f"event: change\ndata: {json.dumps({'dag_id': dag_id})}\n\n"
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since > _KEEPALIVE:
                yield ": keepalive\n\n"
                quiet_since = time.monotonic()
            await asyncio.sleep(interval)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
