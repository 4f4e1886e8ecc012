"""The README's "Reliability" table, made from a test run.

`CHORDFLOW_RELIABILITY_REPORT=FILE python -m pytest -q` records, for every test that
belongs to a row below, whether it passed (tests/conftest.py); then
`python -m tests.reliability FILE` prints the Markdown table. Every passing fault test
has asserted that its runs completed, that no task was lost and that no task instance
succeeded (or had its side effect) twice; a failing one counts in the last column.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# (row, what a passing case shows, the test node ids that make it up: prefixes)
ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Worker SIGKILLed mid-task", "run completes, try 2, side effect once",
     ("tests/integration/test_worker_crash.py::test_sigkilled_worker_loses_no_task",
      "tests/integration/test_faults_at_defaults.py::test_worker_sigkilled_at_defaults")),
    ("Task that SIGKILLs its own worker (out of memory), retries=1",
     "two tries, then failed; the run goes on by trigger rules",
     ("tests/integration/test_worker_crash.py::test_a_task_killed_by_a_signal_uses_up_its_retries",)),
    ("Output or outcome the store refuses (NUL bytes, a too long XCom key); a failing "
     "log flush", "stored escaped, or the try failed with the reason in its log; the "
     "heartbeat goes on", ("tests/integration/test_recording.py::",)),
    ("Queue backlog older than the queued timeout", "not resent: the queue does not grow; "
     "a message really lost is resent once", ("tests/integration/test_backlog.py::",)),
    ("Chord members outliving the chord counters' expiry", "the join fires, no resend",
     ("tests/integration/test_chords.py::",)),
    ("600 queued runs of one DAG (max_active_runs=1)", "another DAG's run starts at once; "
     "no locking transaction per held-back run", ("tests/integration/test_run_starts.py::",)),
    ("Worker SIGKILLed mid-chord-header", "run completes, cut-off header tasks run again once",
     ("tests/integration/test_faults.py::test_worker_sigkilled_mid_chord_header",)),
    ("Worker SIGKILLed mid-container", "run completes, the orphaned container is removed",
     ("tests/integration/test_docker_runner.py::test_orphan_container_of_a_killed_worker",)),
    ("Worker SIGTERM during a long task", "warm shutdown: the try finishes first",
     ("tests/integration/test_worker_crash.py::test_sigterm_lets_the_running_task_finish",)),
    ("Redis crashed and restarted mid-run (AOF)", "workers reconnect, run completes, once each",
     ("tests/integration/test_faults.py::test_redis_crashes_and_restarts_mid_run",
      "tests/integration/test_faults_at_defaults.py::test_redis_restart_at_defaults")),
    ("Redis unreachable for 10 s", "workers and scheduler reconnect, run completes",
     ("tests/integration/test_faults.py::test_redis_unreachable_for_ten_seconds",)),
    ("PostgreSQL crashed and restarted mid-run", "writes retried, run completes, once each",
     ("tests/integration/test_faults.py::test_postgres_crashes_and_restarts_mid_run",
      "tests/integration/test_faults_at_defaults.py::test_postgres_restart_at_defaults")),
    ("Scheduler SIGKILLed and restarted; two schedulers", "no duplicate runs or launches",
     ("tests/integration/test_faults.py::test_scheduler_sigkilled",
      "tests/integration/test_recovery.py::test_two_schedulers_start_each_run_once")),
    ("Task longer than the visibility timeout; duplicate delivery",
     "second delivery is a no-op, side effect once",
     ("tests/integration/test_faults.py::test_a_task_longer_than_the_visibility_timeout",
      "tests/integration/test_worker_crash.py::test_second_delivery_of_a_running_task")),
    ("Message deleted from the Redis queue", "resent after the queued timeout, run completes",
     ("tests/integration/test_recovery.py::test_lost_message_is_resent",
      "tests/integration/test_faults_at_defaults.py::test_lost_message_at_defaults")),
    ("Failing task in a 500-task chord header", "callback side runs per its trigger rules",
     ("tests/integration/test_faults.py::test_a_500_task_chord",)),
    ("Bad DAG files (syntax, exceptions, imports, cycles, ids, schedules, hangs, "
     "memory, 20k tasks)", "one-line import error each, the good DAG loads",
     ("tests/unit/test_parsing.py::",)),
    ("Bad files beside a running DAG; DAGs folder vanishes", "good DAG keeps running",
     ("tests/integration/test_faults.py::test_bad_files_and_a_vanishing_folder",
      "tests/integration/test_cluster.py::test_import_errors_are_listed")),
    ("Bad CLI arguments (conf, flags, dates, ids)", "exit 2, one line, nothing written",
     ("tests/integration/test_cli_errors.py::test_bad_arguments",
      "tests/integration/test_cli_errors.py::test_nothing_was_written")),
    ("Garbage in CHORDFLOW_* settings; servers unreachable", "exit 2, one line naming it",
     ("tests/integration/test_cli_errors.py::test_garbage",
      "tests/integration/test_cli_errors.py::test_unreachable")),
    ("Messages: ids only, JSON only", "no conf values in Redis; a pickle is never unpickled",
     ("tests/integration/test_cluster.py::test_messages_carry_ids_only",
      "tests/integration/test_messages.py::",
      "tests/integration/test_security.py::")),
    ("Secrets masked", "connection passwords, secret variables, private_environment and the "
     "API password shown as *** in logs, renders and CLI output",
     ("tests/integration/test_cluster.py::test_messages_carry_ids_only",
      "tests/integration/test_compose.py::test_movielens_pipeline_on_the_compose_cluster",
      "tests/integration/test_cli_errors.py::test_config_show_masks_passwords",
      "tests/integration/test_secrets.py::")),
    ("Task containers confined", "no socket, caps dropped, no-new-privileges, uid 1000, limits",
     ("tests/integration/test_docker_runner.py::test_task_containers_are_confined",)),
    ("Flower without credentials", "refused (401); it does not start without them",
     ("tests/integration/test_flower.py::test_flower_shows_tasks_by_dag_and_task_id",
      "tests/integration/test_compose.py::test_compose_cluster_runs_a_dag",
      "tests/integration/test_flower_credentials.py::",
      "tests/unit/test_helm_chart.py::test_flower_without_credentials")),
    ("A DAG file that hangs while it loads; a standalone DAG processor",
     "runs start and finish while it loads; the processor parses for the schedulers",
     ("tests/integration/test_dag_processor.py::",)),
    ("Old runs, logs and XComs; a try printing without end",
     "db clean and the retention setting delete only what is over and old; a try's log is "
     "cut at the cap with a line saying so", ("tests/integration/test_db_clean.py::",
                                              "tests/unit/test_retention.py::",
                                              "tests/integration/test_embedded.py::test_a_try_log_is_cut")),
]


def recovery_path() -> Path | None:
    report = os.environ.get("CHORDFLOW_RELIABILITY_REPORT")
    return Path(report + ".recovery.json") if report else None


def record_recovery(row: str, seconds: float) -> None:
    """Note a row's recovery time at the default timeouts (tests/integration/
    test_faults_at_defaults.py) beside the report, when one is being made."""
    assert row in {r for r, _, _ in ROWS}, row
    path = recovery_path()
    if path is None:
        return
    times = json.loads(path.read_text()) if path.exists() else {}
    times[row] = round(seconds, 1)
    path.write_text(json.dumps(times, indent=1, sort_keys=True))


def row_of(nodeid: str) -> list[str]:
    return [row for row, _, prefixes in ROWS if nodeid.startswith(prefixes)]


def table(results: dict[str, str], recovery: dict[str, float] | None = None) -> str:
    recovery = recovery or {}
    lines = ["| fault or input | cases | passed | failed | recovery time at defaults | "
             "a passing case shows |", "|---|---|---|---|---|---|"]
    for row, shows, prefixes in ROWS:
        outcomes = [o for nodeid, o in results.items() if nodeid.startswith(prefixes)]
        passed = outcomes.count("passed")
        took = f"{recovery[row]:g} s" if row in recovery else "—"
        lines.append(f"| {row} | {len(outcomes)} | {passed} | {len(outcomes) - passed} | "
                     f"{took} | {shows} |")
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        found = json.load(fh)
    beside = Path(sys.argv[1] + ".recovery.json")
    print(table(found, json.loads(beside.read_text()) if beside.exists() else None))
