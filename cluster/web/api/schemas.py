"""Request and response bodies, with Airflow 3's v2 field names (`DAGResponse`,
`DAGRunResponse`, `TaskInstanceResponse`, ...), so a script written for Airflow reads them."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """A request body: unknown fields are refused, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class DagTag(BaseModel):
    name: str
    dag_id: str


class DAGResponse(BaseModel):
    dag_id: str
    dag_display_name: str
    is_paused: bool
    is_stale: bool
    last_parsed_time: dt.datetime | None
    fileloc: str
    relative_fileloc: str | None
    description: str | None
    timetable_summary: str | None
    tags: list[DagTag]
    max_active_runs: int | None
    has_import_errors: bool
    next_dagrun_logical_date: dt.datetime | None
    next_dagrun_run_after: dt.datetime | None
    owners: list[str]


class DAGDetailsResponse(DAGResponse):
    catchup: bool
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    params: dict[str, Any]
    dag_run_timeout: float | None
    latest_dag_version: int | None


class DAGCollectionResponse(BaseModel):
    dags: list[DAGResponse]
    total_entries: int


class DAGPatchBody(Body):
    is_paused: bool


class DAGRunResponse(BaseModel):
    dag_run_id: str
    dag_id: str
    logical_date: dt.datetime | None
    queued_at: dt.datetime | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    data_interval_start: dt.datetime | None
    data_interval_end: dt.datetime | None
    run_after: dt.datetime
    run_type: str
    state: str
    triggered_by: str | None
    conf: dict[str, Any]
    note: str | None
    dag_display_name: str


class DAGRunCollectionResponse(BaseModel):
    dag_runs: list[DAGRunResponse]
    total_entries: int


class TriggerDAGRunPostBody(Body):
    dag_run_id: str | None = Field(None, min_length=1, max_length=250)
    logical_date: dt.datetime | None = None
    conf: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None


class DAGRunPatchBody(Body):
    state: Literal["queued", "success", "failed"]


class DAGRunClearBody(Body):
    dry_run: bool = True
    only_failed: bool = False


class TaskInstanceResponse(BaseModel):
    id: str
    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int
    logical_date: dt.datetime | None
    run_after: dt.datetime
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None
    state: str | None
    try_number: int
    max_tries: int
    task_display_name: str
    dag_display_name: str
    hostname: str | None
    pool: str
    pool_slots: int
    queue: str | None
    operator: str | None
    queued_when: dt.datetime | None
    pid: int | None
    executor: str | None
    note: str | None
    rendered_map_index: str | None
    rendered_fields: dict[str, Any]
    error: str | None = None


class TaskInstanceCollectionResponse(BaseModel):
    task_instances: list[TaskInstanceResponse]
    total_entries: int


class PatchTaskInstanceBody(Body):
    new_state: Literal["success", "failed"]
    note: str | None = None
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False


class ClearTaskInstancesBody(Body):
    dry_run: bool = True
    task_ids: list[str] | None = None
    dag_run_id: str | None = None
    only_failed: bool = True
    only_running: bool = False
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False
    reset_dag_runs: bool = True


class TaskInstancesLogResponse(BaseModel):
    content: list[str]
    continuation_token: str | None


class XComResponse(BaseModel):
    key: str
    timestamp: dt.datetime
    logical_date: dt.datetime | None
    map_index: int
    task_id: str
    dag_id: str
    run_id: str
    dag_display_name: str


class XComResponseNative(XComResponse):
    value: Any


class XComCollectionResponse(BaseModel):
    xcom_entries: list[XComResponse]
    total_entries: int


class ImportErrorResponse(BaseModel):
    import_error_id: int
    timestamp: dt.datetime
    filename: str
    bundle_name: str | None
    stack_trace: str


class ImportErrorCollectionResponse(BaseModel):
    import_errors: list[ImportErrorResponse]
    total_entries: int


class VariableResponse(BaseModel):
    key: str
    value: str | None
    description: str | None
    is_encrypted: bool


class VariableCollectionResponse(BaseModel):
    variables: list[VariableResponse]
    total_entries: int


class VariableBody(Body):
    key: str = Field(min_length=1, max_length=250)
    value: str
    description: str | None = None


class ConnectionResponse(BaseModel):
    connection_id: str
    conn_type: str
    description: str | None
    host: str | None
    login: str | None
    schema_: str | None = Field(alias="schema", serialization_alias="schema")
    port: int | None
    password: str | None
    extra: str | None

    model_config = ConfigDict(populate_by_name=True)


class ConnectionCollectionResponse(BaseModel):
    connections: list[ConnectionResponse]
    total_entries: int


class PoolResponse(BaseModel):
    name: str
    slots: int
    description: str | None
    include_deferred: bool
    occupied_slots: int
    running_slots: int
    queued_slots: int
    scheduled_slots: int
    open_slots: int
    deferred_slots: int


class PoolCollectionResponse(BaseModel):
    pools: list[PoolResponse]
    total_entries: int


class PoolBody(Body):
    name: str = Field(min_length=1, max_length=256)
    slots: int = Field(ge=0, le=1_000_000)
    description: str | None = None
    include_deferred: bool = False


class BaseInfoResponse(BaseModel):
    status: str | None


class HealthInfoResponse(BaseModel):
    metadatabase: BaseInfoResponse
    scheduler: BaseInfoResponse


class VersionInfo(BaseModel):
    version: str
    git_version: str | None


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=4096)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
