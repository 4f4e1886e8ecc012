"""`/dagSources/{dag_id}`: the code of the file a DAG was loaded from."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from pydantic import BaseModel

from cluster.web.api.views import cluster_of, dag_or_404, not_found

router = APIRouter()


class DAGSourceResponse(BaseModel):
    content: str | None
    dag_id: str
    version_number: int | None


@router.get("/dagSources/{dag_id}", response_model=DAGSourceResponse)
def get_dag_source(request: Request, dag_id: str):
    """Only files inside the DAGs folder are read."""
    cluster = cluster_of(request)
    dag = dag_or_404(cluster, dag_id)
    folder = cluster.settings.dags_folder.resolve()
    path = Path(dag.fileloc).resolve()
    if folder not in path.parents or not path.is_file():
        raise not_found(f"the code of DAG {dag_id!r} is not readable here")
    return DAGSourceResponse(content=path.read_text(errors="replace"), dag_id=dag_id,
                             version_number=dag.latest_version_id)
