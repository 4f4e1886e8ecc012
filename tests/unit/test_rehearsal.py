"""A process runner's spare child rehearses the previous try's context while it waits
(workers/task_api/task_side.py `rehearse`): it builds and drops a context, and nothing of
the task runs, whatever the data it is given."""
from workers.task_api.task_side import rehearse
from cluster.control.loader import load_dags_from_file

DAG_FILE = '''
import datetime as dt
from pathlib import Path
from cluster import DAG, PythonOperator

CALLED = Path({called!r})


def record(**context):
    CALLED.write_text("called")


with DAG("rehearsed", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         schedule=None, params={{"who": "world"}}):
    PythonOperator(task_id="t", python_callable=record,
                   op_kwargs={{"day": "{{{{ ds }}}} {{{{ params.who }}}}"}})
'''


def _data(**overrides):
    data = {"dag_file": "rehearsed.py", "dag_id": "rehearsed", "task_id": "t",
            "try_number": 1, "run_pk": 7, "run_id": "manual__1", "start_date": None,
            "logical_date": "2024-01-02T00:00:00+00:00",
            "data_interval": ["2024-01-02T00:00:00+00:00", "2024-01-02T00:00:00+00:00"],
            "run_type": "manual", "conf": {}, "upstream": [], "asset_events": {},
            "inlet_alias_events": {}, "map_index": -1, "mapped_values": None,
            "rendered": None}
    data.update(overrides)
    return data


def test_a_rehearsal_runs_nothing_of_the_task(tmp_path):
    called = tmp_path / "called"
    (tmp_path / "rehearsed.py").write_text(DAG_FILE.format(called=str(called)))
    loaded = load_dags_from_file(tmp_path / "rehearsed.py")
    rehearse(loaded, _data())
    task = loaded[0].get_task("t")
    assert not called.exists()  # the callable was not called
    assert task.op_kwargs == {"day": "{{ ds }} {{ params.who }}"}  # nor a field rendered


def test_a_rehearsal_of_data_it_cannot_use_is_no_error(tmp_path):
    called = tmp_path / "called"
    (tmp_path / "rehearsed.py").write_text(DAG_FILE.format(called=str(called)))
    loaded = load_dags_from_file(tmp_path / "rehearsed.py")
    for data in (_data(task_id="gone"), _data(dag_id="other"), _data(logical_date="never"),
                 {"dag_id": "rehearsed"}, None, _data(mapped_values={"x": 1})):
        rehearse(loaded, data)
    rehearse(None, _data())
    rehearse([], _data())
    assert not called.exists()
