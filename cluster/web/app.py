"""The ASGI application: `/api/v2` (authenticated), `/auth`, the UI's own endpoints, the
static UI and `/metrics`, with chordflow's errors turned into HTTP statuses."""
from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from cluster import __version__
from cluster.errors import (ChordflowError, ConfigError, InvalidInputError, NotFoundError,
                      ServiceUnavailableError)
from cluster.control.services import Cluster
from cluster.web.api import dag_runs, dags, logs, monitor, pools, secrets, sources, task_instances
from cluster.web.api.schemas import LoginBody, LoginResponse
from cluster.web.auth import COOKIE, Authenticator, require_user
from cluster.web.settings import WebSettings

UI = Path(__file__).parent / "ui"
log = logging.getLogger("chordflow.webserver")

_STATUS = ((NotFoundError, 404), (InvalidInputError, 400), (ConfigError, 400),
           (ServiceUnavailableError, 503))


def create_app(cluster: Cluster, settings: WebSettings) -> FastAPI:
    """The web server over `cluster`; `settings` says who may log in."""
    app = FastAPI(title="chordflow", version=__version__, docs_url="/docs", redoc_url=None,
                  description="Airflow's REST API (v2) for chordflow DAGs, runs and tasks.")
    app.state.cluster = cluster
    app.state.settings = settings
    app.state.auth = Authenticator(settings)

    @app.middleware("http")
    async def _no_nul_characters(request: Request, call_next):  # type: ignore[no-untyped-def]
        # PostgreSQL cannot store NUL in text: refuse it at the door, not with a 500.
        raw = request.url.path + "?" + request.url.query
        body = await request.body() if request.method in ("POST", "PATCH", "PUT") else b""
        if "%00" in raw or "\x00" in raw or b"\\u0000" in body or b"\x00" in body:
            return JSONResponse({"detail": "NUL characters are not accepted"}, status_code=400)
        return await call_next(request)

    @app.exception_handler(ChordflowError)
    def _chordflow_error(request: Request, exc: ChordflowError) -> JSONResponse:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Airflow's 422 body, without echoing the input (it may hold a password)
        return JSONResponse({"detail": [{k: v for k, v in e.items() if k != "input"}
                                        for e in exc.errors()]}, status_code=422)

    api = APIRouter(prefix="/api/v2")
    api.include_router(monitor.public)
    private = APIRouter(dependencies=[Depends(require_user)])
    for module in (dags, dag_runs, task_instances, logs, secrets, pools, monitor, sources):
        private.include_router(module.router)
    private.include_router(task_instances.mapped_router)
    api.include_router(private)
    app.include_router(api)
    app.include_router(_auth_routes(settings))

    from cluster.web import grid, live, metrics

    app.include_router(grid.router, prefix="/ui", dependencies=[Depends(require_user)])
    app.include_router(live.router, prefix="/ui", dependencies=[Depends(require_user)])
    app.include_router(metrics.router, dependencies=[Depends(require_user)])
    app.mount("/static", StaticFiles(directory=UI), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(UI / "index.html", headers={"Cache-Control": "no-store"})

    return app


def _auth_routes(settings: WebSettings) -> APIRouter:
    router = APIRouter(prefix="/auth", tags=["auth"])

    def _check(request: Request, body: LoginBody) -> str:
        if not request.app.state.auth.login(body.username, body.password):
            log.warning("failed login for user %r", body.username)
            raise HTTPException(status_code=401, detail="Invalid username or password")
        return request.app.state.auth.issue(body.username)

    @router.post("/token", response_model=LoginResponse, status_code=201)
    def token(request: Request, body: LoginBody) -> LoginResponse:
        """A bearer token for `Authorization: Bearer ...` (Airflow 3's `POST /auth/token`)."""
        return LoginResponse(access_token=_check(request, body),
                             expires_in=settings.token_seconds)

    @router.post("/login", status_code=204)
    def login(request: Request, body: LoginBody) -> Response:
        """The UI's login: the token in an HttpOnly, same-site cookie."""
        response = Response(status_code=204)
        response.set_cookie(COOKIE, _check(request, body), max_age=settings.token_seconds,
                            httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response

    @router.post("/logout", status_code=204)
    def logout() -> Response:
        response = Response(status_code=204)
        response.delete_cookie(COOKIE)
        return response

    @router.get("/me")
    def me(user: str = Depends(require_user)) -> dict[str, str]:
        return {"username": user}

    return router
