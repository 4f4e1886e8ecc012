"""Turn a compiled plan into Celery signatures (chain / group / chord); no SQL here."""
from __future__ import annotations

from typing import Any, Mapping

from celery import Celery, chain, group
from celery.canvas import Signature

from cluster.planning.compiler import Arrive, Chain, Group, Node, Run

RUN_TASK = "chordflow.run_task_instance"
ARRIVE_TASK = "chordflow.arrive"
DAG_CALLBACK_TASK = "chordflow.dag_callback"


def task_signature(app: Celery, run_pk: int, dag_id: str, task_id: str, try_number: int = 1,
                   queue: str | None = None, map_index: int = -1) -> Signature:
    """One task instance's message: ids only, shown in Flower as `dag_id.task_id` (with
    `[map_index]` for a mapped task's child)."""
    mapped = map_index >= 0
    shadow = f"{dag_id}.{task_id}" + (f"[{map_index}]" if mapped else "")
    options: dict[str, Any] = {"shadow": shadow}
    if queue:
        options["queue"] = queue
    args = (run_pk, task_id, try_number, map_index) if mapped else (run_pk, task_id, try_number)
    return app.signature(RUN_TASK, args=args, immutable=True, options=options)


def build(app: Celery, node: Node, run_pk: int, dag_id: str,
          tasks: Mapping[str, Mapping[str, Any]],
          tries: Mapping[str, int] | None = None) -> Signature:
    """The Celery canvas of a plan node; a chain whose group is followed by more is a chord.

    Every message carries try 1 unless `tries` says otherwise (a cleared run)."""
    if isinstance(node, Run):
        return task_signature(app, run_pk, dag_id, node.task_id,
                              (tries or {}).get(node.task_id, 1),
                              queue=tasks.get(node.task_id, {}).get("queue"))
    if isinstance(node, Arrive):
        return app.signature(ARRIVE_TASK, args=(run_pk, node.task_id), immutable=True,
                             options={"shadow": f"{dag_id}.{node.task_id}.join"})
    items = node.items
    if isinstance(node, Group):  # the most important branches are published first
        items = tuple(sorted(items, key=lambda n: -_weight(n, tasks)))
    parts = [build(app, item, run_pk, dag_id, tasks, tries) for item in items]
    if isinstance(node, Chain):
        return chain(*parts) if len(parts) != 1 else parts[0]
    if isinstance(node, Group):
        return group(*parts)
    raise TypeError(f"not a plan node: {node!r}")


def task_ids(node: Node) -> list[str]:
    """The tasks a plan node runs (not those of joins it only arrives at)."""
    if isinstance(node, Run):
        return [node.task_id]
    if isinstance(node, Arrive):
        return []
    return [t for item in node.items for t in task_ids(item)]


def announce_run_end(app: Celery, run_pk: int, dag_id: str, data: Mapping[str, Any],
                     state: Any) -> None:
    """A run ended: when its DAG has on_success/on_failure callbacks, a worker runs them
    (they live in the DAG file, which only workers load)."""
    wanted = "on_success_callback" if str(state) == "success" else "on_failure_callback"
    if wanted in data.get("dag_callbacks", ()):
        app.signature(DAG_CALLBACK_TASK, args=(run_pk, str(state)), immutable=True,
                      options={"shadow": f"{dag_id}.{wanted}"}).apply_async()


def _weight(node: Node, tasks: Mapping[str, Mapping[str, Any]]) -> int:
    """The effective priority weight (by weight_rule) of the first task(s) a node runs."""
    if isinstance(node, Run):
        spec = tasks.get(node.task_id, {})
        return int(spec.get("_weight") or spec.get("priority_weight") or 1)
    if isinstance(node, Arrive) or not node.items:
        return 0
    if isinstance(node, Chain):
        return _weight(node.items[0], tasks)
    return max(_weight(item, tasks) for item in node.items)
