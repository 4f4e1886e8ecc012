"""`/monitor/health` (the one anonymous route) and `/version`."""
from __future__ import annotations

from fastapi import APIRouter, Request

from cluster import __version__
from cluster.errors import ChordflowError
from cluster.web.api import schemas
from cluster.web.api.views import cluster_of

public = APIRouter()
router = APIRouter()


@public.get("/monitor/health", response_model=schemas.HealthInfoResponse)
def health(request: Request):
    """Whether the metadata database answers; the scheduler's health is not recorded in the
    store yet, so it is reported as unknown (null) rather than guessed."""
    try:
        cluster_of(request).store.check()
        db = "healthy"
    except ChordflowError:
        db = "unhealthy"
    return schemas.HealthInfoResponse(metadatabase=schemas.BaseInfoResponse(status=db),
                                      scheduler=schemas.BaseInfoResponse(status=None))


@router.get("/version", response_model=schemas.VersionInfo)
def version():
    return schemas.VersionInfo(version=__version__, git_version=None)
