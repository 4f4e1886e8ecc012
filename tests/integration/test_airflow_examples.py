"""Airflow's own example DAGs as a compatibility corpus.

The examples come from the released wheels, downloaded at test time into a cache
(CHORDFLOW_AIRFLOW_WHEELS, default ~/.cache/chordflow/airflow-wheels; never committed):
`airflow/example_dags` of apache-airflow-core and `airflow/providers/standard/example_dags`
of the standard provider. Every file loads, or is listed below with why it cannot here.
A summary table (loaded / refused with the reason) is printed. A representative set of
the files that need nothing outside this machine runs to its intended state through
`chordflow run`, under the process runner and the docker runner.
"""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cluster.control.parsing import parse_folder
from tests.conftest import RUNTIME_IMAGE
from tests.servers import docker_client, missing

ROOT = Path(__file__).resolve().parents[2]
WHEELS = {"apache-airflow-core": "3.3.2", "apache-airflow-providers-standard": "1.21.0"}
FOLDERS = ("airflow/example_dags/", "airflow/providers/standard/example_dags/")
CACHE = Path(os.environ.get("CHORDFLOW_AIRFLOW_WHEELS",
                            Path.home() / ".cache" / "chordflow" / "airflow-wheels"))

# Files that need something outside this machine, or an Airflow-internal plugin.
OUTSIDE = {
    "example_kubernetes_executor.py": "Airflow's Kubernetes executor (pod_override)",
    "example_local_kubernetes_executor.py": "Airflow's Kubernetes executor settings",
    "example_custom_weight.py": "a priority-weight strategy plugin of Airflow",
    "example_workday_timetable.py": "a timetable plugin registered with Airflow's plugin manager",
    "tutorial_objectstorage.py": "object storage in the cloud (s3://)",
    "example_hitl_operator.py": "a human answering in Airflow's web UI",
    "example_asset_with_watchers.py": "Airflow's triggerer watching a file",
    "example_task_state_store.py": "Airflow's task state store (execution API)",
    "example_task_state_store_async.py": "Airflow's task state store (execution API)",
    # example_dags/plugins/: Airflow plugins and listeners, not DAG files
    "business_day_window.py": "an Airflow plugin", "custom_partition_mapper.py": "an Airflow plugin",
    "custom_partition_timetable.py": "an Airflow plugin",
    "decreasing_priority_weight_strategy.py": "an Airflow plugin",
    "event_listener.py": "an Airflow listener plugin", "listener_plugin.py": "an Airflow plugin",
    "workday.py": "an Airflow plugin",
}
# What chordflow does not have yet: each of these files is refused at load, naming it.
# They count against the load figure (56 of 58 load); a file here that loads fails the
# test, so the list stays true.
GAPS = {
    # Airflow 3.3's multi-team mode filters asset events by team; chordflow has no teams
    "example_asset_allow_teams.py": "AssetAccessControl (teams of multi-team mode)",
    # partitioned asset events and partition-aware timetables (AllowedKeyMapper, ...)
    "example_asset_partition.py": "asset partitions",
}
# file (":dag_id" for one DAG of several) -> the run state it is written to reach
MAPPED_GROUP = "example_dynamic_task_mapping.py:example_task_group_mapping"
RUNS = {"process": {"example_simplest_dag.py": "success", "example_xcom.py": "success",
                    "example_branch_labels.py": "success",
                    "example_short_circuit_operator.py": "success",
                    "tutorial_taskflow_api.py": "success", "example_failed_dag.py": "failed",
                    "example_sensor_decorator.py": "success",
                    "example_setup_teardown.py": "success",
                    "example_setup_teardown_taskflow.py": "success",
                    "example_time_delta_sensor_async.py": "success",
                    "example_sensors.py": "success", MAPPED_GROUP: "success"},
        "docker": {"example_xcom.py": "success", "tutorial_taskflow_api.py": "success",
                   MAPPED_GROUP: "success"}}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The unpacked example folders under <root>/airflow/..., as in the wheels."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = []
    for name, version in WHEELS.items():
        pattern = f"{name.replace('-', '_')}-{version}-*.whl"
        if not list(CACHE.glob(pattern)):
            done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                                   f"{name}=={version}", "-d", str(CACHE)],
                                  capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                missing(f"cannot download {name}=={version}: {done.stderr.strip()[-300:]}")
        wheels.append(next(CACHE.glob(pattern)))
    root = tmp_path_factory.mktemp("airflow_examples")
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(root, [m for m in archive.namelist() if m.startswith(FOLDERS)])
    return root


def load_all(root: Path) -> dict[str, str | None]:
    """file name -> None if it loaded, else its one-line import error."""
    sys.path.insert(0, str(root))  # airflow.example_dags.libs, as an installed Airflow has
    try:
        outcome: dict[str, str | None] = {}
        for folder in FOLDERS:
            parsed = parse_folder(root / folder, timeout=120)
            for file in parsed.files:
                outcome[Path(file).name] = parsed.import_errors.get(file)
    finally:
        sys.path.remove(str(root))
    return outcome


def test_airflow_example_dags_load(corpus, capsys):
    outcome = load_all(corpus)
    assert len(outcome) >= 70, sorted(outcome)  # the corpus itself is there
    rows, counted, loaded = [], 0, 0
    for name, error in sorted(outcome.items()):
        if name in OUTSIDE:
            rows.append((name, "listed", OUTSIDE[name]))
            continue
        counted += 1
        loaded += error is None
        if name in GAPS:
            rows.append((name, "gap" if error else "LOADS", f"{GAPS[name]}: {error}" if error
                         else "loads now: take it off GAPS"))
            continue
        rows.append((name, "loaded" if error is None else "REFUSED", error or ""))
    width = max(len(r[0]) for r in rows)
    table = "\n".join(f"{n:<{width}}  {s:<8} {why[:150]}" for n, s, why in rows)
    summary = (f"Airflow example DAGs: {loaded}/{counted} load ({100 * loaded / counted:.0f}%; "
               f"{len(OUTSIDE)} more are listed as needing the outside; "
               f"{sum(r[1] == 'gap' for r in rows)} are refused for a feature chordflow lacks)")
    with capsys.disabled():
        print(f"\n{table}\n{summary}")
    wrong = [r for r in rows if r[1] in ("REFUSED", "LOADS")]
    assert not wrong, f"{summary}; not as listed: {wrong}"


@pytest.mark.parametrize("runner,file", [(r, f) for r, files in RUNS.items() for f in files])
def test_airflow_examples_run_to_their_intended_state(corpus, tmp_path, runner, file):
    if runner == "docker":
        docker_client([RUNTIME_IMAGE])
    want = RUNS[runner][file]
    file, _, dag_id = file.partition(":")
    folder = next(corpus / f for f in FOLDERS if (corpus / f / file).exists())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({"CHORDFLOW_HOME": str(tmp_path / "state"), "CHORDFLOW_RUNNER": runner,
                "CHORDFLOW_DAGS_FOLDER": str(corpus / "airflow"),
                "CHORDFLOW_RUNTIME_IMAGE": RUNTIME_IMAGE, "CHORDFLOW_QUEUED_TIMEOUT": "600",
                "PYTHONPATH": f"{ROOT}:{corpus}"})
    done = subprocess.run([sys.executable, "-m", "cluster.cli", "run", str(folder / file),
                           *(["--dag-id", dag_id] if dag_id else [])],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == (0 if want == "success" else 1), done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert f": {want} in " in last, done.stdout
