"""A retry policy through `chordflow run`: a matched rule's delay replaces the task's
retry_delay, and a FAIL rule fails the task with retries left."""
import shutil
from pathlib import Path

from tests.integration.test_airflow_runtime import run_cli, runner  # noqa: F401 (fixture)

DAGS = Path(__file__).resolve().parents[1] / "dags"


def test_the_exception_decides_the_retry(tmp_path, runner):
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(DAGS / "ft_retry_policy.py", dags)
    done = run_cli(tmp_path, dags, "run", str(dags / "ft_retry_policy.py"),
                   CHORDFLOW_RUNNER=runner)
    assert done.returncode == 1, done.stdout + done.stderr
    shown = run_cli(tmp_path, dags, "runs", "show", "1").stdout
    row = next(l.split() for l in shown.splitlines() if l.startswith("flaky"))
    assert row[1:3] == ["failed", "2"], shown  # two tries of four: the second failed for good
    log = run_cli(tmp_path, dags, "tasks", "logs", "1", "flaky").stdout
    assert "retry policy: retry after 0s (flaky network)" in log, log
    assert "retry policy: fail (bad input)" in log
