from pathlib import Path

from cluster.control.loader import DagBag

DAGS = Path(__file__).resolve().parent.parent / "dags"


def test_folder_loads_good_dags_and_records_each_broken_file():
    bag = DagBag.load(DAGS)
    assert {"t_chain", "t_nonsp", "t_failing", "t_xcom", "t_airflow_style"} <= set(bag.dags)
    errors = {Path(k).name: v for k, v in bag.import_errors.items()}
    assert errors["broken_syntax.py"].startswith("SyntaxError") and "line 2" in errors["broken_syntax.py"]
    assert "this DAG file fails at import" in errors["broken_exception.py"]
    assert "cycle" in errors["broken_cycle.py"] and "t_broken_cycle" in errors["broken_cycle.py"]
    assert "airflow.providers.snowflake" in errors["broken_unsupported.py"]


def test_airflow_dag_file_resolves_to_chordflow_classes():
    bag = DagBag.load(DAGS / "airflow_style.py")
    dag = bag.dags["t_airflow_style"]
    assert type(dag).__module__ == "cluster.sdk.dag"
    assert dag.upstream_map() == {"hello": [], "echo": ["hello"]}


def test_duplicate_dag_id_across_files_is_an_import_error(tmp_path):
    for name in ("one.py", "two.py"):
        (tmp_path / name).write_text("from cluster import DAG\ndag = DAG('same')\n")
    bag = DagBag.load(tmp_path)
    assert list(bag.dags) == ["same"]
    assert any("already defined" in e for e in bag.import_errors.values())
