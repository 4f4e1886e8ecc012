"""Task pods: how they are built, run, read, ended and cleaned up.

Pods are real `kubernetes.client` models, validated against the Kubernetes schema. The
API server is `FakeCoreV1Api` (tests/unit/fake_kubernetes.py): no cluster can run here,
so the end-to-end suite (tests/e2e_kubernetes) was not run with these tests.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

k8s = pytest.importorskip("kubernetes.client").models

from cluster.compat.namespace import airflow_names  # noqa: E402
from cluster.config import Settings  # noqa: E402
from cluster.errors import AirflowException, AirflowSkipException, UnsupportedFeatureError  # noqa: E402
from cluster.control.loader import DagBag  # noqa: E402
from cluster.sdk.operators.kubernetes import KubernetesPodOperator, Secret  # noqa: E402
from cluster.control.scheduler import sync_dags  # noqa: E402
from cluster.states import TaskState  # noqa: E402
from cluster.store import Store  # noqa: E402
from cluster.store import dags as dag_store  # noqa: E402
from cluster.store import runs as run_store  # noqa: E402
from cluster.store import tasks as ti_store  # noqa: E402
from cluster.store import xcoms as xcom_store
from cluster.store.models import utcnow  # noqa: E402
from cluster.sdk.templating import render_fields  # noqa: E402
from tests.servers import missing  # noqa: E402
from tests.unit.fake_kubernetes import Clock, FakeCoreV1Api, Script  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402
from workers.containers import RESULT_MARK, cluster_label  # noqa: E402
from workers.context import build_context  # noqa: E402
from workers.logs import TaskLogWriter  # noqa: E402
from workers.runners.docker import DAGS_MOUNT  # noqa: E402
from workers.runners.kubernetes import (KubernetesRunner, PodFailed, memory_quantity,  # noqa: E402
                                        sweep_namespaces, sweep_orphan_pods_in,
                                        with_task_api, sweep_orphan_pods, task_pod_request)
from workers.task_api.client import TaskApiClient, TaskApiError  # noqa: E402
from workers.task_api.protocol import Call  # noqa: E402
from workers.runners.pod_launcher import (PodCancelled, PodLauncher, PodStartupTimeout,  # noqa: E402
                                          PodTimeout)
from workers.runners.pods import (ON_FINISH_ANNOTATION, XCOM_DIR, PodIdentity, build_pod,  # noqa: E402
                                  key_of, label_value, to_dict)
from workers.runtime import WorkerRuntime, install  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
IDENTITY = PodIdentity(dag_id="movielens", run_pk=7, run_id="scheduled__2019-01-01T00:00:00+00:00",
                       task_id="fetch_ratings", try_number=2, cluster="c0ffee")


def validate(pod: k8s.V1Pod) -> dict:
    """The pod as the client sends it, checked against the Kubernetes 1.30 schema."""
    try:
        import kubernetes_validate
    except ImportError:
        missing("kubernetes-validate is not installed (pip install kubernetes-validate)")
    data = to_dict(pod)
    kubernetes_validate.validate(data, "1.30", strict=True)
    return data


# -- building pods -------------------------------------------------------------------------
def full_operator(**overrides) -> KubernetesPodOperator:
    args = dict(
        task_id="fetch_ratings", image="registry.local/fetch:1.2", cmds=["fetch-ratings"],
        arguments=["--day", "2019-01-01"], namespace="movies", name="fetch",
        cluster_context="kind-dev", config_file="/etc/kube/config", in_cluster=False,
        volumes=[k8s.V1Volume(name="data-volume", persistent_volume_claim=(
            k8s.V1PersistentVolumeClaimVolumeSource(claim_name="data-volume")))],
        volume_mounts=[k8s.V1VolumeMount(name="data-volume", mount_path="/data")],
        env_vars=[k8s.V1EnvVar(name="MODE", value="full"),
                  k8s.V1EnvVar(name="NODE", value_from=k8s.V1EnvVarSource(
                      field_ref=k8s.V1ObjectFieldSelector(field_path="spec.nodeName")))],
        secrets=[Secret("env", "api_password", "movielens-api", "password"),
                 Secret("env", None, "movielens-env"),
                 Secret("volume", "/etc/certs", "certs", items=[k8s.V1KeyToPath(
                     key="ca.crt", path="ca.crt")])],
        image_pull_policy="Always", is_delete_operator_pod=False, get_logs=False,
        do_xcom_push=True,
        container_resources=k8s.V1ResourceRequirements(
            limits={"memory": "512Mi", "cpu": "500m"}, requests={"memory": "256Mi"}),
        node_selector={"disk": "ssd"},
        tolerations=[k8s.V1Toleration(key="dedicated", operator="Equal", value="etl",
                                      effect="NoSchedule")],
        affinity=k8s.V1Affinity(node_affinity=k8s.V1NodeAffinity(
            required_during_scheduling_ignored_during_execution=k8s.V1NodeSelector(
                node_selector_terms=[k8s.V1NodeSelectorTerm(match_expressions=[
                    k8s.V1NodeSelectorRequirement(key="zone", operator="In",
                                                  values=["a"])])]))),
        service_account_name="etl-runner", labels={"team": "data"},
        annotations={"owner": "data@example.com"}, startup_timeout_seconds=45,
        image_pull_secrets="regcred", hostnetwork=False, priority_class_name="batch",
    )
    args.update(overrides)
    return KubernetesPodOperator(**args)


def test_every_operator_argument_lands_in_the_pod():
    op = full_operator()
    pod = op.build_pod(IDENTITY, suffix="abc123")
    meta, spec = pod.metadata, pod.spec
    base = spec.containers[0]
    assert (meta.name, meta.namespace) == ("fetch-abc123", "movies")
    assert meta.labels["team"] == "data" and meta.labels["kubernetes_pod_operator"] == "True"
    assert meta.labels["dag_id"] == "movielens" and meta.labels["try_number"] == "2"
    assert meta.annotations["owner"] == "data@example.com"
    assert meta.annotations[ON_FINISH_ANNOTATION] == "keep_pod"   # is_delete_operator_pod=False
    assert base.name == "base" and base.image == "registry.local/fetch:1.2"
    assert base.image_pull_policy == "Always"
    # do_xcom_push wraps the command; the user's command and arguments are its arguments
    assert base.command[:2] == ["/bin/sh", "-c"] and base.args == ["fetch-ratings", "--day",
                                                                   "2019-01-01"]
    env = {e.name: e for e in base.env}
    assert env["MODE"].value == "full"
    assert env["NODE"].value_from.field_ref.field_path == "spec.nodeName"
    assert env["API_PASSWORD"].value_from.secret_key_ref.name == "movielens-api"
    assert env["API_PASSWORD"].value_from.secret_key_ref.key == "password"
    assert base.env_from[0].secret_ref.name == "movielens-env"
    volumes = {v.name: v for v in spec.volumes}
    assert volumes["data-volume"].persistent_volume_claim.claim_name == "data-volume"
    assert volumes["secretvol2"].secret.secret_name == "certs"
    assert volumes["secretvol2"].secret.items[0].key == "ca.crt"
    assert "emptyDir" in to_dict(volumes["xcom"])
    mounts = {m.mount_path: m for m in base.volume_mounts}
    assert mounts["/data"].name == "data-volume"
    assert mounts["/etc/certs"].read_only and mounts[XCOM_DIR].name == "xcom"
    assert base.resources.limits == {"memory": "512Mi", "cpu": "500m"}
    assert base.resources.requests == {"memory": "256Mi"}
    assert spec.node_selector == {"disk": "ssd"}
    assert spec.tolerations[0].value == "etl" and spec.tolerations[0].effect == "NoSchedule"
    term = spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution
    assert term.node_selector_terms[0].match_expressions[0].values == ["a"]
    assert spec.service_account_name == "etl-runner"
    assert spec.image_pull_secrets[0].name == "regcred"
    assert spec.priority_class_name == "batch" and spec.restart_policy == "Never"
    # what the operator keeps for running the pod rather than building it
    assert (op.cluster_context, op.config_file, op.in_cluster) == (
        "kind-dev", "/etc/kube/config", False)
    assert (op.startup_timeout_seconds, op.get_logs, op.on_finish_action) == (45, False,
                                                                            "keep_pod")
    validate(pod)


def test_pod_is_pure_given_its_suffix_and_random_otherwise():
    op = full_operator()
    assert to_dict(op.build_pod(IDENTITY, suffix="x")) == to_dict(op.build_pod(IDENTITY, suffix="x"))
    assert op.build_pod(IDENTITY).metadata.name != op.build_pod(IDENTITY).metadata.name
    fixed = full_operator(random_name_suffix=False).build_pod(IDENTITY)
    assert fixed.metadata.name == "fetch"


def test_pod_template_file_is_the_base_the_arguments_are_merged_into(tmp_path):
    (tmp_path / "pod.yaml").write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata:
          namespace: from-template
          labels: {tier: batch}
        spec:
          nodeSelector: {pool: spot}
          securityContext: {runAsUser: 1000}
          containers:
            - name: base
              image: template/image:1
              env: [{name: FROM_TEMPLATE, value: "1"}]
              volumeMounts: [{name: scratch, mountPath: /scratch}]
          volumes: [{name: scratch, emptyDir: {}}]
        """))
    op = KubernetesPodOperator(task_id="t", pod_template_file=str(tmp_path / "pod.yaml"),
                               cmds=["run"], env_vars={"FROM_OPERATOR": "2"},
                               node_selector={"disk": "ssd"}, labels={"team": "data"})
    pod = op.build_pod(IDENTITY, namespace="settings-default", suffix="s")
    base = pod.spec.containers[0]
    assert pod.metadata.namespace == "from-template"
    assert base.image == "template/image:1" and base.command == ["run"]
    assert [e.name for e in base.env] == ["FROM_TEMPLATE", "FROM_OPERATOR"]
    assert pod.spec.node_selector == {"pool": "spot", "disk": "ssd"}
    assert pod.metadata.labels["tier"] == "batch" and pod.metadata.labels["team"] == "data"
    assert pod.spec.security_context.run_as_user == 1000
    assert [v.name for v in pod.spec.volumes] == ["scratch"]
    assert KubernetesPodOperator(task_id="u", image="i").build_pod(
        IDENTITY, namespace="settings-default").metadata.namespace == "settings-default"
    validate(pod)


def test_label_values_are_valid_and_distinct():
    long_id = "x" * 80
    values = {label_value(long_id), label_value(long_id + "y"),
              label_value("manual__2024-01-01T00:00:00+00:00"), label_value("ok.value-1")}
    assert len(values) == 4 and "ok.value-1" in values
    assert all(len(v) <= 63 and v[0].isalnum() and v[-1].isalnum() for v in values)
    pod = build_pod(KubernetesPodOperator(task_id="t", image="i").pod_request(),
                    PodIdentity("d" * 100, 1, "manual__2024-01-01T00:00:00+00:00",
                                "group.task with spaces", 1))
    assert key_of(pod) == (1, "group.task with spaces", -1, 1)
    assert len(pod.metadata.name) <= 63
    validate(pod)


def test_templated_fields_render_with_the_run_dates():
    from cluster.sdk.dag import DAG
    from cluster.sdk.templating import date_context

    with DAG("d", schedule="@daily", start_date=dt.datetime(2019, 1, 1)) as dag:
        op = KubernetesPodOperator(
            task_id="t", image="img:{{ ds_nodash }}", cmds=["run"],
            arguments=["--start", "{{ds}}", "--end", "{{next_ds}}", "--user", "$(USER)"],
            env_vars=[k8s.V1EnvVar(name="DAY", value="{{ ds }}")], labels={"day": "{{ ds }}"})
    context = {**date_context(dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc), dag.schedule),
               "params": {}}
    render_fields(op, context)
    base = op.build_pod(IDENTITY).spec.containers[0]
    assert base.image == "img:20190101"
    assert base.args == ["--start", "2019-01-01", "--end", "2019-01-02", "--user", "$(USER)"]
    assert base.env[0].value == "2019-01-01"


def test_argument_checks_fail_loudly():
    assert KubernetesPodOperator(task_id="a", image="i", is_delete_operator_pod=True
                                 ).on_finish_action == "delete_pod"
    with pytest.raises(AirflowException, match="on_finish_action"):
        KubernetesPodOperator(task_id="b", image="i", on_finish_action="sometimes")
    with pytest.raises(UnsupportedFeatureError, match="deferrable"):
        KubernetesPodOperator(task_id="c", image="i", deferrable=True)
    with pytest.raises(UnsupportedFeatureError, match="connections"):
        KubernetesPodOperator(task_id="d", image="i", kubernetes_conn_id="other")
    with pytest.raises(ValueError, match="do_xcom_push needs cmds"):
        KubernetesPodOperator(task_id="e", image="i", do_xcom_push=True).build_pod(IDENTITY)
    with pytest.raises(AirflowException, match="deploy_target"):
        Secret("env", None, "s", key="k")


def test_airflow_import_paths_resolve():
    with airflow_names():
        from airflow.kubernetes.secret import Secret as OldSecret
        from airflow.providers.cncf.kubernetes.operators.kubernetes_pod import \
            KubernetesPodOperator as Old
        from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator as New
        from airflow.providers.cncf.kubernetes.secret import Secret as NewSecret
        from airflow.providers.cncf.kubernetes.utils.pod_manager import OnFinishAction
    assert Old is New is KubernetesPodOperator and OldSecret is NewSecret is Secret
    assert OnFinishAction("keep_pod").deletes(succeeded=True) is False


def test_runner_pod_is_unprivileged_and_mounts_the_dags_claim(monkeypatch):
    monkeypatch.setenv("CHORDFLOW_TASK_MEMORY", "512m")
    monkeypatch.setenv("CHORDFLOW_KUBERNETES_TASK_SERVICE_ACCOUNT", "cf-task")
    settings = Settings.from_env({"CHORDFLOW_KUBERNETES_NAMESPACE": "tasks",
                                  "CHORDFLOW_KUBERNETES_DAGS_CLAIM": "dags-claim",
                                  "CHORDFLOW_RUNTIME_IMAGE": "registry.local/runtime:7"})
    pod = with_task_api(build_pod(task_pod_request(settings, timeout=60), IDENTITY),
                        "http://10.1.2.3:41234", "tok-abc")
    base, spec = pod.spec.containers[0], pod.spec
    assert pod.metadata.namespace == "tasks" and base.image == "registry.local/runtime:7"
    assert base.command == ["python", "-m", "workers.container_entry"]
    # The task API's address and the try's token: no payload, conf, XCom or secret.
    assert {e.name: e.value for e in base.env} == {
        "CHORDFLOW_TASK_API": "http://10.1.2.3:41234", "CHORDFLOW_TASK_TOKEN": "tok-abc",
        "CHORDFLOW_DAGS_FOLDER": DAGS_MOUNT}
    assert [v.name for v in spec.volumes] == ["dags"] and not base.env_from
    assert spec.volumes[0].persistent_volume_claim.claim_name == "dags-claim"
    assert base.volume_mounts[0].mount_path == DAGS_MOUNT and base.volume_mounts[0].read_only
    assert spec.automount_service_account_token is False
    assert spec.enable_service_links is False  # no CHORDFLOW_*_PORT of the chart's Services
    assert spec.service_account_name == "cf-task"
    assert spec.security_context.run_as_non_root and spec.security_context.run_as_user == 1000
    assert spec.security_context.fs_group == 1000  # else uid 1000 cannot read the payload
    assert base.security_context.allow_privilege_escalation is False
    assert base.security_context.capabilities.drop == ["ALL"]
    assert base.resources.limits == {"memory": "512Mi", "cpu": "1"}
    assert spec.active_deadline_seconds == 60 + 120 + 300
    validate(pod)
    image_baked = build_pod(task_pod_request(Settings.from_env({}), None), IDENTITY)
    assert not image_baked.spec.volumes and image_baked.spec.active_deadline_seconds is None
    assert memory_quantity("2g") == "2Gi" and memory_quantity("1Gi") == "1Gi"


def test_movielens_dag_file_loads_with_its_two_pods():
    bag = DagBag.load(ROOT / "dagdefs" / "movielens_kubernetes.py")
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags["movielens_kubernetes"]
    assert dag.upstream_map() == {"fetch_ratings": [], "rank_movies": ["fetch_ratings"]}
    from cluster.sdk.templating import date_context

    pods = {}
    for task_id in ("fetch_ratings", "rank_movies"):
        task = dag.get_task(task_id)
        assert type(task) is KubernetesPodOperator and task.on_finish_action == "delete_pod"
        render_fields(task, {**date_context(dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc),
                                            dag.schedule), "params": {}})
        pods[task_id] = task.build_pod(PodIdentity(dag.dag_id, 1, "scheduled__2019-01-01",
                                                   task_id, 1))
        validate(pods[task_id])
    fetch = pods["fetch_ratings"].spec.containers[0]
    assert fetch.image == "chordflow/movielens-fetch:latest" and fetch.command == ["fetch-ratings"]
    assert fetch.args == [
        "--start_date", "2019-01-01", "--end_date", "2019-01-02",
        "--output_path", "/data/ratings/2019-01-01.json",
        "--user", "$(MOVIELENS_USER)", "--password", "$(MOVIELENS_PASSWORD)",
        "--host", "http://movielens-api:5000"]
    env = {e.name: e.value_from.secret_key_ref for e in fetch.env}
    assert (env["MOVIELENS_PASSWORD"].name, env["MOVIELENS_PASSWORD"].key) == (
        "movielens-api", "password")
    assert all(e.value is None for e in fetch.env)   # no literal credentials in the pod
    rank = pods["rank_movies"].spec.containers[0]
    assert rank.command == ["rank-movies"] and rank.args == [
        "--input_path", "/data/ratings/2019-01-01.json",
        "--output_path", "/data/rankings/2019-01-01.csv"]
    for pod in pods.values():
        assert pod.spec.volumes[0].persistent_volume_claim.claim_name == "data-volume"
        assert pod.spec.containers[0].volume_mounts[0].mount_path == "/data"


# -- running pods against the fake API ------------------------------------------------------
class Log:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def line(self, text: str) -> None:
        self.write(f"[chordflow] {text}\n")


def launch(fake: FakeCoreV1Api, script: Script, *, timeout=None, startup=60.0, **options):
    fake.scripts.append(script)
    log = Log()
    launcher = PodLauncher(fake, log, clock=fake.clock.monotonic, wall=fake.clock.wall,
                           sleep=fake.clock.sleep, should_stop=options.pop("should_stop", None))
    pod = build_pod(KubernetesPodOperator(task_id="t", image="img", cmds=["run"]).pod_request(),
                    IDENTITY)
    try:
        return launcher.run(pod, startup_timeout=startup, timeout=timeout, **options), log
    finally:
        fake.last_log = log


def test_success_reads_exit_code_and_result_line_and_deletes_the_pod():
    fake = FakeCoreV1Api(Clock())
    outcome, log = launch(fake, Script(lines=["working", "done", f"{RESULT_MARK}{{\"rows\": 3}}"]))
    assert outcome.succeeded and outcome.exit_code == 0
    assert outcome.result == {"rows": 3} and outcome.has_result
    assert "working\ndone\n" in log.text and RESULT_MARK not in log.text
    assert fake.deleted == [outcome.name]


def test_failing_exit_code_is_a_failure_and_names_the_code():
    fake = FakeCoreV1Api(Clock())
    outcome, log = launch(fake, Script(lines=["boom"], exit_code=2))
    assert not outcome.succeeded and "exit code 2" in outcome.describe()
    assert "boom" in log.text and fake.deleted == [outcome.name]


@pytest.mark.parametrize("exit_code,reason,pod_reason,words", [
    (0, None, "Evicted", "Evicted"),
    (None, None, "Evicted", "Evicted"),
    (137, "OOMKilled", None, "OOMKilled"),
    (143, None, None, "SIGTERM"),
    (137, None, None, "SIGKILL"),
    (0, None, "DeadlineExceeded", "DeadlineExceeded"),
])
def test_pods_stopped_by_kubernetes_or_signals_are_failures(exit_code, reason, pod_reason, words):
    fake = FakeCoreV1Api(Clock())
    outcome, _ = launch(fake, Script(lines=["partial work"], exit_code=exit_code, reason=reason,
                                     pod_reason=pod_reason, pod_message="the node was low on memory"
                                     if pod_reason == "Evicted" else None))
    assert not outcome.succeeded
    assert words in outcome.describe()


def test_dropped_log_stream_resumes_without_repeating_or_losing_lines():
    fake = FakeCoreV1Api(Clock())
    lines = [f"line {i}" for i in range(12)]
    outcome, log = launch(fake, Script(lines=lines, drops=[3, 4, 1]))
    written = [x for x in log.text.splitlines() if x.startswith("line ")]
    assert written == lines
    follows = [r for r in fake.log_requests if r["follow"]]
    assert len(follows) == 4 and follows[0]["since_seconds"] is None
    assert all(r["since_seconds"] for r in follows[1:])  # resumed from the last timestamp
    assert outcome.succeeded


def test_startup_timeout_fails_with_the_waiting_reason_and_deletes_the_pod():
    fake = FakeCoreV1Api(Clock())
    with pytest.raises(PodStartupTimeout, match="ImagePullBackOff") as info:
        launch(fake, Script(pending=None, waiting_reason="ImagePullBackOff",
                            events=[("Warning", "Failed", "Back-off pulling image \"img\"")]),
               startup=90.0)
    assert "90s" in str(info.value)
    assert fake.clock.t == pytest.approx(90.0, abs=1)
    assert fake.watches <= 4          # a few long watches, not a polling loop
    assert len(fake.deleted) == 1
    assert "Back-off pulling image" in fake.last_log.text


def test_execution_timeout_deletes_the_running_pod():
    fake = FakeCoreV1Api(Clock())
    with pytest.raises(PodTimeout, match="execution_timeout"):
        launch(fake, Script(lines=["tick"] * 5, duration=10_000.0), timeout=100.0)
    assert len(fake.deleted) == 1 and fake.clock.t < 200


def test_a_try_ended_elsewhere_cancels_and_deletes_the_pod():
    fake = FakeCoreV1Api(Clock())
    asked = []

    def should_stop():
        asked.append(fake.clock.t)
        return "marked failed" if len(asked) > 1 else None

    with pytest.raises(PodCancelled, match="marked failed"):
        launch(fake, Script(lines=["tick"] * 5, duration=10_000.0), should_stop=should_stop)
    assert len(fake.deleted) == 1


@pytest.mark.parametrize("action,exit_code,deleted", [
    ("delete_pod", 0, True), ("delete_pod", 1, True),
    ("delete_succeeded_pod", 0, True), ("delete_succeeded_pod", 1, False),
    ("keep_pod", 0, False), ("keep_pod", 1, False),
])
def test_pod_deletion_follows_on_finish_action(action, exit_code, deleted):
    fake = FakeCoreV1Api(Clock())
    outcome, log = launch(fake, Script(exit_code=exit_code), on_finish_action=action)
    assert bool(fake.deleted) is deleted
    assert ("kept" in log.text) is (not deleted)


def test_sigterm_deletes_the_pod_then_the_process_dies_of_it(tmp_path):
    marks = tmp_path / "marks"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(f"""\
        import sys, time
        sys.path[:0] = [{str(ROOT)!r}]
        from tests.unit.fake_kubernetes import Clock, FakeCoreV1Api, Response, Script
        from cluster.sdk.operators.kubernetes import KubernetesPodOperator
        from workers.runners.pod_launcher import PodLauncher
        from workers.runners.pods import PodIdentity, build_pod

        class Api(FakeCoreV1Api):
            def create_namespaced_pod(self, namespace, body, **kw):
                pod = super().create_namespaced_pod(namespace, body, **kw)
                open({str(marks)!r}, "a").write("created\\n")
                return pod

            def read_namespaced_pod_log(self, *a, **kw):
                def quiet():  # a container that prints nothing, in real time
                    while True:
                        time.sleep(0.05)
                        yield from ()
                return Response(quiet())

            def delete_namespaced_pod(self, name, namespace, **kw):
                open({str(marks)!r}, "a").write("deleted\\n")
                return super().delete_namespaced_pod(name, namespace, **kw)

        api = Api(Clock(), workdir={str(tmp_path)!r})
        api.scripts.append(Script(duration=10**9))
        pod = build_pod(KubernetesPodOperator(task_id="t", image="i").pod_request(),
                        PodIdentity("d", 1, "r", "t", 1))
        PodLauncher(api, sys.stdout).run(pod, startup_timeout=60)
        open({str(marks)!r}, "a").write("not killed\\n")
        """))
    child = subprocess.Popen([sys.executable, str(script)], cwd=ROOT)
    from tests.servers import wait_for

    wait_for(lambda: marks.exists() and "created" in marks.read_text(), 30,
             what="the child's pod")
    child.send_signal(signal.SIGTERM)
    assert child.wait(30) == -signal.SIGTERM
    assert marks.read_text().splitlines() == ["created", "deleted"]


# -- with a store: the runner, the operator, the sweep ---------------------------------------
DAG_FILE = '''
import datetime as dt
from cluster import DAG, task
from cluster.sdk.operators.kubernetes import KubernetesPodOperator

with DAG("t_pods", start_date=dt.datetime(2024, 1, 1), schedule=None) as dag:

    @task
    def answer(ti=None):
        ti.xcom_push(key="note", value="from the pod")
        print("computing in the pod")
        return {"answer": 42}

    @task
    def nothing():
        from cluster.errors import AirflowSkipException
        raise AirflowSkipException("nothing to do today")

    @task
    def forge():
        from cluster.sdk.variable import Variable
        from cluster.sdk.hooks import BaseHook
        for mark in ("result", "skip", "fail", "xcom", "reschedule"):
            print(f"::chordflow-{mark}:: 666")
        conn = BaseHook.get_connection("pod_db")
        print(f"var={Variable.get('pod_var')} pw={conn.password}")
        return "real"

    @task
    def hard_fail():
        from cluster.errors import AirflowFailException
        raise AirflowFailException("no retries for this")

    answer()
    nothing()
    forge()
    hard_fail()
    KubernetesPodOperator(
        task_id="sh", image="busybox", do_xcom_push=True, env_vars={"WHO": "{{ ds }}"},
        cmds=["sh", "-c", "echo hello $WHO; echo '{\\"rows\\": 3}' > /airflow/xcom/return.json"])
    KubernetesPodOperator(task_id="sh_fails", image="busybox", cmds=["sh", "-c", "exit 3"])
    KubernetesPodOperator(task_id="sh_skips", image="busybox", cmds=["sh", "-c", "exit 99"],
                          skip_on_exit_code=99)
'''


@pytest.fixture
def store_run(tmp_path, monkeypatch):
    """A real (SQLite) store with a started run of t_pods, installed as the worker's."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "pods.py").write_text(DAG_FILE)
    url = f"sqlite:///{tmp_path / 'cf.db'}"
    store = Store(url)
    store.ensure_schema()
    settings = Settings.from_env({"CHORDFLOW_HOME": str(tmp_path),
                                  "CHORDFLOW_DAGS_FOLDER": str(dags),
                                  "CHORDFLOW_KUBERNETES_DAGS_CLAIM": "dags"}, database_url=url)
    install(WorkerRuntime(settings, store))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))   # the pod's `python -m workers...`
    sync_dags(store, dags)
    run = run_store.create_run(store, "t_pods", logical_date=dt.datetime(
        2024, 1, 1, tzinfo=dt.timezone.utc))
    data = dag_store.version_data(store, run.dag_version_id)
    run_store.start_run(store, run.id, data["tasks"])
    dag = DagBag.load(dags).dags["t_pods"]

    def claim(task_id: str, try_number: int = 1):
        assert ti_store.claim(store, run.id, task_id, try_number, "host", os.getpid()) is not None
        delivery = ti_store.load_delivery(store, run.id, task_id, [], -1)
        task = dag.get_task(task_id)
        context = build_context(store, dag, task, delivery, try_number, [])
        render_fields(task, context)
        return task, context, TaskLogWriter(store, run.id, task_id, try_number)

    yield type("StoreRun", (), {"store": store, "settings": settings, "run": run,
                                "claim": staticmethod(claim), "dags": dags})
    store.dispose()


def test_runner_runs_a_python_task_in_the_runtime_pod_through_the_task_api(store_run):
    fake = FakeCoreV1Api(Clock())
    fake.mount_sources["dags"] = str(store_run.dags)
    fake.scripts.append(Script(run=True))
    runner = KubernetesRunner(store_run.settings, api=fake)
    task, context, writer = store_run.claim("answer")
    assert runner.execute(task, context, writer, timeout=600) == {"answer": 42}
    pod = fake.created[0]
    env = {e.name: e.value for e in pod.spec.containers[0].env}
    assert sorted(env) == ["CHORDFLOW_DAGS_FOLDER", "CHORDFLOW_TASK_API", "CHORDFLOW_TASK_TOKEN"]
    assert env["CHORDFLOW_TASK_API"].startswith("http://")
    # No payload Secret any more, and the try's token died with the try.
    assert not fake.created_secrets and not fake.secrets
    with pytest.raises(TaskApiError, match="unknown, revoked or expired"):
        TaskApiClient(env["CHORDFLOW_TASK_API"], env["CHORDFLOW_TASK_TOKEN"]).call(Call.CONTEXT)
    assert pod.metadata.labels["chordflow.io/cluster"] == cluster_label(str(store_run.store.url))
    assert xcom_store.pull_xcoms(store_run.store, store_run.run.id, ["answer"], "note") == {
        "answer": "from the pod"}
    assert "computing in the pod" in writer.take()
    assert fake.deleted == [pod.metadata.name]


def test_runner_reports_skip_and_failure_from_the_pod(store_run):
    fake = FakeCoreV1Api(Clock())
    fake.mount_sources["dags"] = str(store_run.dags)
    fake.scripts.extend([Script(run=True), Script(exit_code=137, reason="OOMKilled")])
    runner = KubernetesRunner(store_run.settings, api=fake)
    task, context, writer = store_run.claim("nothing")
    with pytest.raises(AirflowSkipException, match="nothing to do today"):
        runner.execute(task, context, writer, timeout=None)
    task, context, writer = store_run.claim("answer")
    with pytest.raises(PodFailed, match="OOMKilled"):
        runner.execute(task, context, writer, timeout=None)
    assert len(fake.deleted) == 2


def test_runner_pod_output_is_log_text_and_secrets_come_masked_through_the_api(store_run):
    from cluster.sdk import secrets
    from cluster.sdk.connection import Connection
    from workers.task_api.tries import TryFailed

    backend = secrets.backend()
    backend.set_variable("pod_var", "var-value-1")
    backend.add_connection(Connection(conn_id="pod_db", uri="postgres://u:pw-pod-77@h:5432/d"))
    fake = FakeCoreV1Api(Clock())
    fake.mount_sources["dags"] = str(store_run.dags)
    fake.scripts.extend([Script(run=True), Script(run=True)])
    runner = KubernetesRunner(store_run.settings, api=fake)
    task, context, writer = store_run.claim("forge")
    assert runner.execute(task, context, writer, timeout=None) == "real"
    text = writer.take()
    for mark in ("result", "skip", "fail", "xcom", "reschedule"):
        assert f"::chordflow-{mark}:: 666" in text
    assert "var=var-value-1 pw=***" in text and "pw-pod-77" not in text
    task, context, writer = store_run.claim("hard_fail")
    with pytest.raises(TryFailed, match="AirflowFailException: no retries for this") as failed:
        runner.execute(task, context, writer, timeout=None)
    assert failed.value.final  # no retries follow


def test_operator_returns_the_xcom_file_through_the_wrapper_without_a_sidecar(store_run,
                                                                             monkeypatch):
    fake = FakeCoreV1Api(Clock())
    fake.scripts.append(Script(run=True))
    task, context, writer = store_run.claim("sh")
    monkeypatch.setattr(task, "core_api", lambda: fake)
    runner = KubernetesRunner(store_run.settings, api=fake)
    assert runner.execute(task, context, writer, timeout=None) == {"rows": 3}
    pod = fake.created[0]
    assert [c.name for c in pod.spec.containers] == ["base"]   # no sidecar
    assert "hello 2024-01-01" in writer.take()
    assert fake.deleted == [pod.metadata.name]


def test_operator_failure_and_skip_on_exit_code(store_run, monkeypatch):
    fake = FakeCoreV1Api(Clock())
    fake.scripts.extend([Script(run=True), Script(run=True)])
    for task_id in ("sh_fails", "sh_skips"):
        task, context, writer = store_run.claim(task_id)
        monkeypatch.setattr(task, "core_api", lambda: fake)
        expected = AirflowSkipException if task_id == "sh_skips" else AirflowException
        with pytest.raises(expected, match="exit code 3|code 99"):
            KubernetesRunner(store_run.settings, api=fake).execute(task, context, writer, None)
    assert len(fake.deleted) == 2


def test_orphan_sweep_deletes_only_pods_whose_try_is_over(store_run):
    store, run = store_run.store, store_run.run
    mine = cluster_label(str(store.url))
    for task_id in ("answer", "nothing", "sh", "sh_fails"):
        ti_store.claim(store, run.id, task_id, 1, "host", 1)
    for task_id, state in (("nothing", TaskState.SUCCESS), ("sh", TaskState.UP_FOR_RETRY),
                           ("sh_fails", TaskState.FAILED)):
        ti_store.finish(store, run.id, task_id, 1, state, utcnow())
    ti_store.claim(store, run.id, "sh", 2, "host", 1)          # sh: try 2 running

    fake = FakeCoreV1Api(Clock())

    def pod(name, task_id, try_number, phase, action="delete_pod", cluster=mine):
        request = KubernetesPodOperator(task_id=name, image="i", on_finish_action=action,
                                        random_name_suffix=False).pod_request()
        fake.add_pod(build_pod(request, PodIdentity("t_pods", run.id, run.run_id, task_id,
                                                    try_number, cluster=cluster)), phase)

    pod("answer-running", "answer", 1, "Running")               # its try runs: kept
    pod("nothing-orphan", "nothing", 1, "Running")              # try over, still running
    pod("sh-old-try", "sh", 1, "Running")                       # superseded by try 2
    pod("sh-current", "sh", 2, "Pending")                       # kept
    pod("fails-kept", "sh_fails", 1, "Failed", action="keep_pod")
    pod("fails-kept-2", "sh_fails", 1, "Failed", action="delete_succeeded_pod")
    pod("fails-ended", "sh_fails", 1, "Failed")                 # delete_pod: goes
    pod("other-install", "nothing", 1, "Running", cluster="another")
    fake.add_pod(k8s.V1Pod(metadata=k8s.V1ObjectMeta(name="unrelated", namespace="default",
                                                     labels={"app": "x"})), "Running")

    # A runner pod of a killed worker.
    runner_pod = with_task_api(build_pod(task_pod_request(Settings.from_env({}), None),
                                         PodIdentity("t_pods", run.id, run.run_id,
                                                     "nothing", 1, cluster=mine)),
                               "http://10.1.2.3:41234", "tok-abc")
    fake.add_pod(runner_pod, "Running")

    removed = sweep_orphan_pods(fake, "default", store)
    assert sorted(removed) == sorted(["fails-ended", "nothing-orphan", "sh-old-try",
                                      runner_pod.metadata.name])
    assert sorted(fake.deleted) == sorted(removed)
    assert sweep_orphan_pods(fake, "default", store) == []      # nothing left to sweep


def test_the_sweep_covers_the_operator_namespaces_and_survives_a_forbidden_one(store_run):
    store, run = store_run.store, store_run.run
    ti_store.claim(store, run.id, "nothing", 1, "host", 1)
    ti_store.finish(store, run.id, "nothing", 1, TaskState.SUCCESS, utcnow())
    fake = FakeCoreV1Api(Clock())
    for namespace in ("tasks", "etl"):
        request = KubernetesPodOperator(task_id=f"kpo-{namespace}", image="i",
                                        namespace=namespace).pod_request()
        fake.add_pod(build_pod(request, PodIdentity("t_pods", run.id, run.run_id, "nothing", 1,
                                                    cluster=cluster_label(str(store.url)))),
                     "Running")
    listed = fake.list_namespaced_pod

    def list_pods(namespace, **kwargs):
        if namespace == "forbidden":
            raise ApiException(status=403, reason="Forbidden")
        return listed(namespace, **kwargs)

    fake.list_namespaced_pod = list_pods
    settings = Settings.from_env({"CHORDFLOW_KUBERNETES_NAMESPACE": "tasks",
                                  "CHORDFLOW_KUBERNETES_SWEEP_NAMESPACES": "forbidden,etl,tasks"})
    assert sweep_namespaces(settings) == ["tasks", "forbidden", "etl"]
    removed = sweep_orphan_pods_in(fake, sweep_namespaces(settings), store)
    assert sorted(r.split("/")[0] for r in removed) == ["etl", "tasks"]


def test_unusable_client_configuration_is_a_config_error_naming_the_settings(tmp_path):
    from cluster.errors import ConfigError
    from workers.runners import get_runner

    settings = Settings.from_env({
        "CHORDFLOW_RUNNER": "kubernetes", "CHORDFLOW_KUBERNETES_IN_CLUSTER": "false",
        "CHORDFLOW_KUBERNETES_CONFIG_FILE": str(tmp_path / "no-such-kubeconfig")})
    with pytest.raises(ConfigError, match="CHORDFLOW_KUBERNETES_CONFIG_FILE"):
        get_runner(settings)


def test_without_get_logs_the_output_stays_out_but_the_result_comes_back():
    fake = FakeCoreV1Api(Clock())
    outcome, log = launch(fake, Script(lines=["noisy output", f"{RESULT_MARK}[1, 2]"]),
                          get_logs=False, read_result=True)
    assert outcome.succeeded and outcome.result == [1, 2]
    assert "noisy output" not in log.text
    assert [r["tail_lines"] for r in fake.log_requests] == [1]


def test_operator_reaches_the_cluster_its_kubeconfig_and_context_name(tmp_path, monkeypatch):
    import yaml

    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "one",
        "clusters": [{"name": c, "cluster": {"server": f"https://{c}.example:6443"}}
                     for c in ("one", "two")],
        "users": [{"name": "u", "user": {"token": "t0ken-value"}}],
        "contexts": [{"name": c, "context": {"cluster": c, "user": "u"}} for c in ("one", "two")],
    }))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")   # as inside a cluster
    op = KubernetesPodOperator(task_id="t", image="i", config_file=str(kubeconfig),
                               cluster_context="two")
    assert op.core_api().api_client.configuration.host == "https://two.example:6443"
    monkeypatch.setenv("CHORDFLOW_KUBERNETES_CONFIG_FILE", str(kubeconfig))
    default = KubernetesPodOperator(task_id="u", image="i")
    assert default.core_api().api_client.configuration.host == "https://one.example:6443"


def test_the_runner_cancels_a_pod_once_the_store_says_its_try_ended(store_run):
    from workers.runners.kubernetes import _try_ended

    store, run = store_run.store, store_run.run
    _, context, _ = store_run.claim("answer")
    check = _try_ended(PodIdentity.from_context(context))
    assert check() is None                                        # running: carry on
    ti_store.finish(store, run.id, "answer", 1, TaskState.FAILED, utcnow(), "marked failed")
    assert "ended elsewhere" in check()
