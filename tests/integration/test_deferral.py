"""Deferrable operators through `chordflow run`: `self.defer(trigger=..., method_name=...)`
resumes in the named method with the trigger's event and the deferral's kwargs; deferrable
sensors wait for their trigger; a deferral's timeout fails the task (a soft-failing sensor
is skipped)."""
import shutil

from tests.integration.test_airflow_runtime import run_cli, runner  # noqa: F401 (fixture)

DAGS = __import__("pathlib").Path(__file__).resolve().parents[1] / "dags"


def test_deferred_tasks_resume_with_the_trigger_event(tmp_path, runner):
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(DAGS / "ft_deferral.py", dags)
    done = run_cli(tmp_path, dags, "run", str(dags / "ft_deferral.py"),
                   CHORDFLOW_RUNNER=runner)
    shown = run_cli(tmp_path, dags, "runs", "show", "1").stdout
    states = {line.split()[0]: line.split()[1] for line in shown.splitlines()[2:]
              if len(line.split()) > 2 and not line.startswith(("run", "task", "-"))}
    assert states == {"added": "success", "show": "success", "delta": "success",
                      "moment": "success", "file": "success",
                      "forever": "failed", "soft": "skipped", "other_dag": "skipped"},\
        done.stdout + shown
    assert done.returncode == 1  # `forever` failed the run

    def log(task):
        return run_cli(tmp_path, dags, "tasks", "logs", "1", task).stdout

    added = log("added")
    assert "deferred to TimeDeltaTrigger, resuming in resume" in added, added
    assert "and y=2" in added  # the deferral's kwargs reach the method
    assert "got 42" in log("show")  # the resumed method's value is the XCom
    assert "deferred to DateTimeTrigger" in log("moment")
    forever = log("forever")
    assert "TaskDeferralTimeout" in forever and "never here" not in forever, forever
    assert "(soft_fail)" in log("soft")
    other = log("other_dag")
    assert "deferred to PokeTrigger" in other and other.count("poking for DAG") >= 2, other
