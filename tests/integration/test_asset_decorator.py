"""`@asset` through `chordflow run`: the function's DAG produces its asset, and a later
@asset that names it as a parameter reads it as an inlet."""
import shutil
from pathlib import Path

from tests.integration.test_airflow_runtime import run_cli, runner  # noqa: F401 (fixture)

DAGS = Path(__file__).resolve().parents[1] / "dags"


def test_an_asset_function_is_a_dag_whose_task_updates_it(tmp_path, runner):
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(DAGS / "ft_asset_decorator.py", dags)
    file = str(dags / "ft_asset_decorator.py")
    first = run_cli(tmp_path, dags, "run", file, "--dag-id", "raw_orders",
                    CHORDFLOW_RUNNER=runner)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_cli(tmp_path, dags, "run", file, "--dag-id", "clean_orders",
                     CHORDFLOW_RUNNER=runner)
    assert second.returncode == 0, second.stdout + second.stderr
    log = run_cli(tmp_path, dags, "tasks", "logs", "1", "raw_orders").stdout
    assert "producing s3://bucket/raw_orders in run manual__" in log, log
    log = run_cli(tmp_path, dags, "tasks", "logs", "2", "clean_orders").stdout
    assert "cleaning s3://bucket/raw_orders: 1 event(s), first by raw_orders.raw_orders" in log
    listed = run_cli(tmp_path, dags, "assets", "list").stdout
    row = next(l for l in listed.splitlines() if l.startswith("s3://bucket/raw_orders"))
    assert "raw_orders.raw_orders" in row and "clean_orders" in row, listed
