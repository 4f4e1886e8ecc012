"""The Helm chart: lint, render, validate every manifest against the Kubernetes schemas
offline, and check what the values promise (autoscaling, Flower's exposure and
credentials, external services, RBAC, shutdown, security contexts).

Needs helm (`CHORDFLOW_HELM`, `.cache/tools/helm/helm` or PATH) and kubernetes-validate;
`bash .ci/helm.sh` installs both. Without them the tests skip, except in CI (`CI=true`),
where they fail.
"""
from __future__ import annotations

import base64
import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

try:
    import yaml
except ImportError:  # reported by the helm fixture, so that CI fails instead of skipping
    yaml = None

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "chordflow"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
RELEASE = "cf"
NAMESPACE = "chordflow-test"
FULLNAME = "cf-chordflow"
FLOWER_AUTH = ["--set", "flower.basicAuth.username=admin", "--set", "flower.basicAuth.password=pw",
               # the web server is refused without credentials too
               "--set", "webserver.auth.username=admin", "--set", "webserver.auth.password=pw"]
WEB_AUTH = FLOWER_AUTH[4:]
# Custom resources of KEDA: no schema in kubernetes-validate; their fields are checked below.
CRD_KINDS = {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication")}
POD_KINDS = {"Deployment", "StatefulSet", "Job"}
MIN_KUBERNETES = (1, 28)


def _unavailable(what: str) -> None:
    message = f"{what}; run `bash .ci/helm.sh` to install it"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the chart tests may not be skipped)", pytrace=False)
    pytest.skip(message)


def _find_helm() -> str | None:
    """CHORDFLOW_HELM when set (and then only it), else the cached helm, else PATH."""
    explicit = os.environ.get("CHORDFLOW_HELM")
    candidates = [explicit] if explicit else [str(ROOT / ".cache/tools/helm/helm"),
                                              shutil.which("helm")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def helm() -> str:
    path = _find_helm()
    if path is None:
        _unavailable("helm not found (CHORDFLOW_HELM, .cache/tools/helm/helm, PATH)")
    if yaml is None:
        _unavailable("PyYAML is not installed")
    return path


@pytest.fixture(scope="session")
def kube_validate() -> tuple[Any, str]:
    """kubernetes_validate.utils and the newest Kubernetes version it has schemas for."""
    try:
        from kubernetes_validate import utils
    except ImportError:
        _unavailable("kubernetes-validate is not installed")
    newest = max(utils.all_versions(), key=lambda v: tuple(int(p) for p in v.split(".")[:2]))
    if tuple(int(p) for p in newest.split(".")[:2]) < MIN_KUBERNETES:
        pytest.fail(f"kubernetes-validate knows Kubernetes up to {newest} only; need >= 1.28")
    return utils, newest


def run_helm(helm: str, command: str, *args: str,
             chart: Path = CHART) -> subprocess.CompletedProcess:
    """`helm lint CHART ARGS` or `helm template RELEASE CHART ARGS`, in NAMESPACE."""
    release = () if command == "lint" else (RELEASE,)
    cmd = [helm, command, *release, str(chart), "--namespace", NAMESPACE, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@functools.lru_cache(maxsize=None)
def _render(helm: str, args: tuple[str, ...]) -> tuple[dict, ...]:
    proc = run_helm(helm, "template", *args)
    assert proc.returncode == 0, f"helm template {' '.join(args)} failed:\n{proc.stderr}"
    return tuple(d for d in yaml.safe_load_all(proc.stdout) if d)


def render(helm: str, *args: str) -> list[dict]:
    """Rendered manifests for helm template ARGS (values files as `-f`, `--set`)."""
    return list(_render(helm, args))


def values_args(path: Path) -> tuple[str, ...]:
    return ("-f", str(path))


def find(docs: list[dict], kind: str, name: str | None = None) -> list[dict]:
    return [d for d in docs if d["kind"] == kind
            and (name is None or d["metadata"]["name"] == name)]


def one(docs: list[dict], kind: str, name: str) -> dict:
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind} {name}, got {len(found)}"
    return found[0]


def secret_data(secret: dict) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def pod_specs(docs: list[dict]) -> Iterator[tuple[str, dict]]:
    kinds = {d["kind"] for d in docs}
    assert not kinds & {"DaemonSet", "CronJob", "Pod", "ReplicaSet"}, "pod kinds not checked"
    for d in docs:
        if d["kind"] in POD_KINDS:
            spec = d["spec"]["template"]["spec"]
            yield f"{d['kind']}/{d['metadata']['name']}", spec


def containers(spec: dict) -> list[dict]:
    return list(spec.get("initContainers") or []) + list(spec["containers"])


def pod_spec(docs: list[dict], component: str) -> dict:
    """Pod spec of the Deployment of one component (scheduler, worker, flower)."""
    return one(docs, "Deployment", f"{FULLNAME}-{component}")["spec"]["template"]["spec"]


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env") or []}


def default_docs(helm: str, *extra: str) -> list[dict]:
    return render(helm, *values_args(CHART / "ci" / "default-values.yaml"), *extra)


def ci_ids() -> list[str]:
    return [p.name for p in CI_VALUES]


# ---------------------------------------------------------------- lint, render, validate


def test_ci_value_sets_exist():
    names = {p.name for p in CI_VALUES}
    assert {"default-values.yaml", "external-values.yaml", "keda-values.yaml",
            "nodeport-values.yaml"} <= names


def test_lint_with_chart_defaults(helm):
    proc = run_helm(helm, "lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("values", CI_VALUES, ids=ci_ids())
def test_lint_with_each_ci_value_set(helm, values):
    proc = run_helm(helm, "lint", "--strict", *values_args(values))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


@pytest.mark.parametrize("values", CI_VALUES, ids=ci_ids())
def test_every_manifest_validates_strictly(helm, kube_validate, values):
    utils, version = kube_validate
    docs = render(helm, *values_args(values))
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "ConfigMap", "Secret", "ServiceAccount"} <= kinds
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        assert doc["metadata"].get("namespace") == NAMESPACE, f"{name} has no namespace"
        if (doc["apiVersion"], doc["kind"]) in CRD_KINDS:
            continue
        try:
            utils.validate(doc, version, strict=True)
        except utils.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{values.name}: {name} is invalid for Kubernetes {version}: "
                        f"{path}: {exc.message}", pytrace=False)
        except utils.SchemaNotFoundError as exc:
            pytest.fail(f"{values.name}: {name}: {exc.message}", pytrace=False)


def test_values_schema_is_draft_07_and_accepts_the_defaults(kube_validate):
    import json

    import jsonschema  # a dependency of kubernetes-validate

    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    validator.validate(defaults)

    def merged(base: dict, override: dict) -> dict:  # as helm merges -f files
        out = dict(base)
        for key, value in override.items():
            both_maps = isinstance(value, dict) and isinstance(base.get(key), dict)
            out[key] = merged(base[key], value) if both_maps else value
        return out

    for values in CI_VALUES:
        validator.validate(merged(defaults, yaml.safe_load(values.read_text())))


def test_values_schema_rejects_a_misspelt_key(helm):
    proc = run_helm(helm, "template", *FLOWER_AUTH, "--set", "worker.concurency=8")
    assert proc.returncode != 0
    assert "concurency" in proc.stderr


def test_values_schema_rejects_an_unknown_runner(helm):
    proc = run_helm(helm, "template", *FLOWER_AUTH, "--set", "config.runner=docker")
    assert proc.returncode != 0
    assert "config.runner" in proc.stderr


# ---------------------------------------------------------------- autoscaling


def test_defaults_scale_workers_with_a_cpu_hpa(helm):
    docs = default_docs(helm)
    hpa = one(docs, "HorizontalPodAutoscaler", f"{FULLNAME}-worker")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": f"{FULLNAME}-worker"}
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert not find(docs, "ScaledObject")
    # The HPA owns the replica count: an upgrade must not reset it.
    assert "replicas" not in one(docs, "Deployment", f"{FULLNAME}-worker")["spec"]


def test_keda_replaces_the_hpa_with_a_scaled_object_on_the_celery_queue(helm):
    docs = render(helm, *values_args(CHART / "ci" / "keda-values.yaml"))
    assert not find(docs, "HorizontalPodAutoscaler")
    worker = one(docs, "Deployment", f"{FULLNAME}-worker")
    assert "replicas" not in worker["spec"]
    scaled = one(docs, "ScaledObject", f"{FULLNAME}-worker")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert spec["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (2, 30)
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "redis"
    meta = trigger["metadata"]
    assert meta["listName"] == "celery"
    assert meta["listLength"] == "3"
    assert meta["address"] == f"{FULLNAME}-redis:6379"
    assert all(isinstance(v, str) for v in meta.values()), "KEDA trigger metadata is strings"
    # The scaler authenticates with the bundled Redis password.
    auth = one(docs, "TriggerAuthentication", trigger["authenticationRef"]["name"])
    (ref,) = auth["spec"]["secretTargetRef"]
    assert ref["parameter"] == "password"
    redis_secret = one(docs, "Secret", ref["name"])
    assert ref["key"] in redis_secret["data"]


def test_keda_with_external_redis_reads_host_db_tls_and_password_from_the_url(helm):
    docs = render(helm, *values_args(CHART / "ci" / "keda-values.yaml"),
                  "--set", "redis.enabled=false",
                  "--set", "externalRedis.url=rediss://:s3cret@cache.internal:6380/4")
    meta = one(docs, "ScaledObject", f"{FULLNAME}-worker")["spec"]["triggers"][0]["metadata"]
    assert (meta["address"], meta["databaseIndex"], meta["enableTLS"]) == (
        "cache.internal:6380", "4", "true")
    auth = one(docs, "TriggerAuthentication", f"{FULLNAME}-worker")
    ref = auth["spec"]["secretTargetRef"][0]
    assert secret_data(one(docs, "Secret", ref["name"]))[ref["key"]] == "s3cret"


def test_keda_even_with_the_hpa_switched_on_renders_no_hpa(helm):
    docs = default_docs(helm, "--set", "keda.enabled=true",
                        "--set", "worker.autoscaling.enabled=true")
    assert not find(docs, "HorizontalPodAutoscaler")
    assert find(docs, "ScaledObject")


def test_fixed_worker_count_without_autoscaling(helm):
    docs = default_docs(helm, "--set", "worker.autoscaling.enabled=false",
                        "--set", "worker.replicas=5")
    assert not find(docs, "HorizontalPodAutoscaler")
    assert one(docs, "Deployment", f"{FULLNAME}-worker")["spec"]["replicas"] == 5


def test_worker_pod_disruption_budget_selects_the_workers(helm):
    docs = default_docs(helm)
    pdb = one(docs, "PodDisruptionBudget", f"{FULLNAME}-worker")
    worker = one(docs, "Deployment", f"{FULLNAME}-worker")
    assert pdb["spec"]["selector"]["matchLabels"] == worker["spec"]["selector"]["matchLabels"]
    assert pdb["spec"]["maxUnavailable"] == 1


# ---------------------------------------------------------------- workers and scheduler


def test_worker_grace_period_is_what_values_say(helm):
    grace = lambda docs: one(docs, "Deployment", f"{FULLNAME}-worker")[  # noqa: E731
        "spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace(default_docs(helm)) == 3600
    assert grace(render(helm, *values_args(CHART / "ci" / "keda-values.yaml"))) == 7200
    assert grace(default_docs(helm, "--set", "worker.terminationGracePeriodSeconds=123")) == 123


def test_worker_command_line_follows_values(helm):
    args = lambda docs: one(docs, "Deployment", f"{FULLNAME}-worker")[  # noqa: E731
        "spec"]["template"]["spec"]["containers"][0]["args"]
    assert args(default_docs(helm)) == ["worker", "--concurrency", "4"]
    assert args(render(helm, *values_args(CHART / "ci" / "keda-values.yaml"))) == [
        "worker", "--autoscale", "8,2", "--queues", "celery,heavy"]


def test_scheduler_replicas_and_command(helm):
    docs = render(helm, *values_args(CHART / "ci" / "nodeport-values.yaml"))
    scheduler = one(docs, "Deployment", f"{FULLNAME}-scheduler")
    assert scheduler["spec"]["replicas"] == 2
    assert scheduler["spec"]["template"]["spec"]["containers"][0]["args"] == ["scheduler"]
    assert one(default_docs(helm), "Deployment", f"{FULLNAME}-scheduler")["spec"]["replicas"] == 1


def test_a_dag_processor_parses_and_the_schedulers_do_not(helm):
    """Airflow's standalone DAG processor: its own Deployment, and the schedulers told to
    leave parsing to it; disabled, the schedulers parse (in a thread of their own)."""
    docs = default_docs(helm)
    spec = pod_spec(docs, "dag-processor")
    assert spec["containers"][0]["args"] == ["dag-processor"]
    assert "initContainers" not in spec  # the scheduler migrates
    # it reads the DAGs folder the scheduler and the workers read
    assert spec["volumes"] == pod_spec(docs, "scheduler")["volumes"]
    scheduler = env_of(pod_spec(docs, "scheduler")["containers"][0])
    assert scheduler["CHORDFLOW_STANDALONE_DAG_PROCESSOR"]["value"] == "true"
    docs = default_docs(helm, "--set", "dagProcessor.enabled=false")
    assert not [d for d in find(docs, "Deployment")
                if d["metadata"]["name"] == f"{FULLNAME}-dag-processor"]
    assert "CHORDFLOW_STANDALONE_DAG_PROCESSOR" not in env_of(
        pod_spec(docs, "scheduler")["containers"][0])


def test_scheduler_and_worker_have_liveness_probes(helm):
    docs = default_docs(helm)
    for name in ("scheduler", "dag-processor", "worker"):
        c = pod_spec(docs, name)["containers"][0]
        assert "exec" in c["livenessProbe"], name
    worker = pod_spec(docs, "worker")
    assert "inspect ping" in " ".join(worker["containers"][0]["livenessProbe"]["exec"]["command"])


def test_configuration_reaches_every_component(helm):
    docs = default_docs(helm)
    config = one(docs, "ConfigMap", FULLNAME)["data"]
    assert config["CHORDFLOW_RUNNER"] == "kubernetes"
    assert config["CHORDFLOW_KUBERNETES_NAMESPACE"] == NAMESPACE
    assert config["CHORDFLOW_RUNTIME_IMAGE"] == "chordflow/runtime:latest"
    assert config["CHORDFLOW_DAGS_FOLDER"] == "/opt/chordflow/dags"
    for name in ("scheduler", "dag-processor", "worker"):
        c = pod_spec(docs, name)["containers"][0]
        assert c["image"] == "chordflow/cluster:latest"
        assert {"configMapRef": {"name": FULLNAME}} in c["envFrom"]
        env = env_of(c)
        for var in ("CHORDFLOW_DATABASE_URL", "CHORDFLOW_BROKER_URL",
                    "CHORDFLOW_RESULT_BACKEND", "CHORDFLOW_FERNET_KEY"):
            assert env[var]["valueFrom"]["secretKeyRef"]["name"] == FULLNAME, (name, var)


def test_images_are_configurable(helm):
    docs = default_docs(helm, "--set", "image.repository=reg.example/cf", "--set", "image.tag=1.2",
                        "--set", "image.pullPolicy=Always",
                        "--set", "runtimeImage.repository=reg.example/rt",
                        "--set", "runtimeImage.tag=3")
    own = [d for kind in ("Deployment", "Job") for d in find(docs, kind)]
    assert len(own) == 6  # scheduler, DAG processor, worker, Flower, web server, migrations
    for d in own:
        for c in containers(d["spec"]["template"]["spec"]):
            assert (c["image"], c["imagePullPolicy"]) == ("reg.example/cf:1.2", "Always")
    assert one(docs, "ConfigMap", FULLNAME)["data"]["CHORDFLOW_RUNTIME_IMAGE"] == "reg.example/rt:3"


# ---------------------------------------------------------------- migrations


def test_migration_job_is_a_hook_that_waits_for_the_database(helm):
    external = render(helm, *values_args(CHART / "ci" / "external-values.yaml"))
    job = one(external, "Job", f"{FULLNAME}-migrations")
    ann = job["metadata"]["annotations"]
    assert ann["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "helm.sh/hook-weight" in ann
    assert "before-hook-creation" in ann["helm.sh/hook-delete-policy"]
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["db", "upgrade"] and "--wait" in args
    # Its URL comes from the user's configuration, not from the release's own Secret,
    # which does not exist yet when pre-install hooks run.
    env = env_of(job["spec"]["template"]["spec"]["containers"][0])
    ref = env["CHORDFLOW_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    hook_secret = one(external, "Secret", ref["name"])
    assert hook_secret["metadata"]["annotations"]["helm.sh/hook"] == ann["helm.sh/hook"]
    assert int(hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        ann["helm.sh/hook-weight"])
    assert secret_data(hook_secret)[ref["key"]].startswith("postgresql://chordflow:ci-db-password@")


def test_bundled_database_migrates_after_install_and_in_the_scheduler(helm):
    docs = default_docs(helm)
    job = one(docs, "Job", f"{FULLNAME}-migrations")
    # The bundled PostgreSQL does not exist when pre-install hooks run.
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"
    init = pod_spec(docs, "scheduler")["initContainers"]
    assert init[0]["args"][:2] == ["db", "upgrade"]


# ---------------------------------------------------------------- Flower


def test_flower_without_credentials_refuses_to_render(helm):
    proc = run_helm(helm, "template")
    assert proc.returncode != 0
    assert "Flower is never served without authentication" in proc.stderr
    proc = run_helm(helm, "template", "--set", "flower.basicAuth.username=admin")
    assert proc.returncode != 0, "a user without a password is no credential"


def test_flower_with_an_existing_secret_or_disabled_renders(helm):
    docs = render(helm, "--set", "flower.basicAuth.existingSecret=mine", *WEB_AUTH)
    flower = one(docs, "Deployment", f"{FULLNAME}-flower")
    env = env_of(flower["spec"]["template"]["spec"]["containers"][0])
    assert env["FLOWER_BASIC_AUTH"]["valueFrom"]["secretKeyRef"] == {
        "name": "mine", "key": "basic-auth"}
    docs = render(helm, "--set", "flower.enabled=false", *WEB_AUTH)
    assert not find(docs, "Deployment", f"{FULLNAME}-flower")
    assert not find(docs, "Service", f"{FULLNAME}-flower")


def test_flower_runs_celery_flower_with_basic_auth_and_a_health_probe(helm):
    docs = default_docs(helm)
    c = pod_spec(docs, "flower")["containers"][0]
    assert c["command"] == ["celery"]
    assert c["args"][:4] == ["--app", "cluster.celery_app:app", "flower", "--port=5555"]
    ref = env_of(c)["FLOWER_BASIC_AUTH"]["valueFrom"]["secretKeyRef"]
    assert secret_data(one(docs, "Secret", ref["name"]))[ref["key"]] == "admin:ci-flower-password"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthcheck"
    assert c["readinessProbe"]["httpGet"]["path"] == "/healthcheck"
    # Flower needs the broker, not the database.
    assert "CHORDFLOW_DATABASE_URL" not in env_of(c)


def test_flower_service_is_cluster_ip_by_default(helm):
    svc = one(default_docs(helm), "Service", f"{FULLNAME}-flower")
    assert svc["spec"]["type"] == "ClusterIP"
    assert "nodePort" not in svc["spec"]["ports"][0]


def test_flower_node_port_is_what_values_say(helm):
    docs = render(helm, *values_args(CHART / "ci" / "nodeport-values.yaml"))
    svc = one(docs, "Service", f"{FULLNAME}-flower")
    assert svc["spec"]["type"] == "NodePort"
    (port,) = svc["spec"]["ports"]
    assert port["nodePort"] == 30555
    flower = one(docs, "Deployment", f"{FULLNAME}-flower")
    assert svc["spec"]["selector"].items() <= flower["spec"]["template"]["metadata"][
        "labels"].items()


def test_node_port_without_node_port_type_is_refused(helm):
    proc = run_helm(helm, "template", *FLOWER_AUTH, "--set", "flower.service.nodePort=30555")
    assert proc.returncode != 0
    assert "nodePort" in proc.stderr


def test_webserver_without_credentials_refuses_to_render(helm):
    proc = run_helm(helm, "template", *FLOWER_AUTH[:4])
    assert proc.returncode != 0
    assert "the web server is never served without a login" in proc.stderr
    proc = run_helm(helm, "template", *FLOWER_AUTH[:4], "--set", "webserver.auth.username=admin")
    assert proc.returncode != 0, "a user without a password is no credential"
    docs = render(helm, *FLOWER_AUTH[:4], "--set", "webserver.enabled=false")
    assert not find(docs, "Deployment", f"{FULLNAME}-webserver")


def test_webserver_serves_with_credentials_from_its_secret_and_a_health_probe(helm):
    docs = default_docs(helm)
    web = one(docs, "Deployment", f"{FULLNAME}-webserver")
    c = web["spec"]["template"]["spec"]["containers"][0]
    assert c["args"] == ["webserver", "--port", "8080"]
    env = env_of(c)
    secret = secret_data(one(docs, "Secret", f"{FULLNAME}-webserver"))
    for name, key in (("CHORDFLOW_WEBSERVER_ADMIN_USER", "username"),
                      ("CHORDFLOW_WEBSERVER_ADMIN_PASSWORD", "password"),
                      ("CHORDFLOW_WEBSERVER_SECRET_KEY", "secret-key")):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": f"{FULLNAME}-webserver",
                                                          "key": key}
    assert secret["username"] == "admin" and secret["password"] == "ci-webserver-password"
    assert len(secret["secret-key"]) >= 32
    assert "CHORDFLOW_DATABASE_URL" in env  # it reads the store
    assert c["readinessProbe"]["httpGet"]["path"] == "/api/v2/monitor/health"
    svc = one(docs, "Service", f"{FULLNAME}-webserver")
    assert svc["spec"]["type"] == "ClusterIP" and "nodePort" not in svc["spec"]["ports"][0]
    assert svc["spec"]["selector"].items() <= web["spec"]["template"]["metadata"]["labels"].items()


def test_webserver_node_port_defaults_to_31380_and_an_existing_secret_is_used(helm):
    docs = render(helm, *values_args(CHART / "ci" / "nodeport-values.yaml"))
    svc = one(docs, "Service", f"{FULLNAME}-webserver")
    assert svc["spec"]["type"] == "NodePort" and svc["spec"]["ports"][0]["nodePort"] == 31380
    docs = render(helm, *values_args(CHART / "ci" / "external-values.yaml"))
    assert not find(docs, "Secret", f"{FULLNAME}-webserver")
    c = one(docs, "Deployment", f"{FULLNAME}-webserver")["spec"]["template"]["spec"]["containers"][0]
    assert env_of(c)["CHORDFLOW_WEBSERVER_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] \
        == "chordflow-webserver"


# ---------------------------------------------------------------- PostgreSQL and Redis


def test_external_services_replace_the_bundled_ones(helm):
    docs = render(helm, *values_args(CHART / "ci" / "external-values.yaml"))
    assert not find(docs, "StatefulSet"), "no bundled PostgreSQL or Redis"
    assert not [s for s in find(docs, "Service") if "postgresql" in s["metadata"]["name"]]
    data = secret_data(one(docs, "Secret", FULLNAME))
    assert data["CHORDFLOW_DATABASE_URL"] == (
        "postgresql://chordflow:ci-db-password@db.example.internal:5432/chordflow")
    assert data["CHORDFLOW_BROKER_URL"] == (
        "rediss://:ci-redis-password@cache.example.internal:6380/2")
    assert data["CHORDFLOW_RESULT_BACKEND"] == (
        "rediss://:ci-redis-password@cache.example.internal:6380/3")
    assert "CHORDFLOW_FERNET_KEY" not in data  # from fernetKey.existingSecret
    worker = pod_spec(docs, "worker")
    env = env_of(worker["containers"][0])
    assert env["CHORDFLOW_FERNET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "chordflow-fernet"


def test_external_urls_from_existing_secrets(helm):
    docs = render(helm, *FLOWER_AUTH, "--set", "postgresql.enabled=false",
                  "--set", "redis.enabled=false",
                  "--set", "externalDatabase.existingSecret=db",
                  "--set", "externalRedis.existingSecret=broker")
    data = secret_data(one(docs, "Secret", FULLNAME))
    assert not {"CHORDFLOW_DATABASE_URL", "CHORDFLOW_BROKER_URL"} & data.keys()
    env = env_of(pod_spec(docs, "worker")["containers"][0])
    assert env["CHORDFLOW_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "db", "key": "database-url"}
    assert env["CHORDFLOW_BROKER_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "broker", "key": "broker-url"}
    assert env["CHORDFLOW_RESULT_BACKEND"]["valueFrom"]["secretKeyRef"] == {
        "name": "broker", "key": "broker-url"}


def test_no_database_at_all_is_refused(helm):
    proc = run_helm(helm, "template", *FLOWER_AUTH, "--set", "postgresql.enabled=false")
    assert proc.returncode != 0
    assert "externalDatabase" in proc.stderr


def test_bundled_passwords_are_generated_and_match_the_urls(helm):
    docs = default_docs(helm)
    pg_password = secret_data(one(docs, "Secret", f"{FULLNAME}-postgresql"))["password"]
    redis_password = secret_data(one(docs, "Secret", f"{FULLNAME}-redis"))["password"]
    assert len(pg_password) >= 16 and len(redis_password) >= 16
    assert pg_password != redis_password
    data = secret_data(one(docs, "Secret", FULLNAME))
    assert data["CHORDFLOW_DATABASE_URL"] == (
        f"postgresql://chordflow:{pg_password}@{FULLNAME}-postgresql:5432/chordflow")
    assert data["CHORDFLOW_BROKER_URL"] == f"redis://:{redis_password}@{FULLNAME}-redis:6379/0"
    assert data["CHORDFLOW_RESULT_BACKEND"] == f"redis://:{redis_password}@{FULLNAME}-redis:6379/1"
    hook = one(docs, "Secret", f"{FULLNAME}-migrations")
    assert secret_data(hook)["CHORDFLOW_DATABASE_URL"] == data["CHORDFLOW_DATABASE_URL"]
    fernet = base64.urlsafe_b64decode(data["CHORDFLOW_FERNET_KEY"])
    assert len(fernet) == 32, "a Fernet key is 32 bytes, URL-safe base64"


def test_given_passwords_are_used_and_escaped_in_urls(helm):
    docs = default_docs(helm, "--set", "postgresql.auth.password=p@ss/word",
                        "--set", "redis.auth.password=r3dis")
    assert secret_data(one(docs, "Secret", f"{FULLNAME}-postgresql"))["password"] == "p@ss/word"
    data = secret_data(one(docs, "Secret", FULLNAME))
    assert data["CHORDFLOW_DATABASE_URL"].startswith("postgresql://chordflow:p%40ss%2Fword@")
    assert data["CHORDFLOW_BROKER_URL"].startswith("redis://:r3dis@")


def test_bundled_redis_requires_a_password_and_keeps_an_append_only_file(helm):
    docs = default_docs(helm)
    redis = one(docs, "StatefulSet", f"{FULLNAME}-redis")
    c = redis["spec"]["template"]["spec"]["containers"][0]
    argv = c.get("command", []) + c.get("args", [])
    assert argv[argv.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    assert argv[argv.index("--appendonly") + 1] == "yes"
    assert env_of(c)["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == f"{FULLNAME}-redis"
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    pg = one(docs, "StatefulSet", f"{FULLNAME}-postgresql")
    claim = pg["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == "8Gi"


def test_urls_with_passwords_never_reach_a_config_map(helm):
    for values in CI_VALUES:
        docs = render(helm, *values_args(values))
        for cm in find(docs, "ConfigMap"):
            for key, value in (cm.get("data") or {}).items():
                assert "://" not in str(value) or "@" not in str(value), (values.name, key)
        for _, spec in pod_specs(docs):
            for c in containers(spec):
                for e in c.get("env") or []:
                    value = e.get("value", "")
                    if "@" in value and "://" in value:
                        assert "$(" in value, f"{values.name}: {e['name']} holds a literal URL"


# ---------------------------------------------------------------- DAG files


def test_dags_from_a_claim_are_mounted_read_only(helm):
    docs = render(helm, *values_args(CHART / "ci" / "nodeport-values.yaml"))
    pvc = one(docs, "PersistentVolumeClaim", f"{FULLNAME}-dags")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert pvc["spec"]["storageClassName"] == "nfs"
    for name in ("scheduler", "dag-processor", "worker"):
        spec = one(docs, "Deployment", f"{FULLNAME}-{name}")["spec"]["template"]["spec"]
        vols = {v["name"]: v for v in spec["volumes"]}
        assert vols["dags"]["persistentVolumeClaim"]["claimName"] == f"{FULLNAME}-dags"
        mount = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}["dags"]
        assert mount["mountPath"] == "/opt/chordflow/dags" and mount["readOnly"] is True
    docs = render(helm, *values_args(CHART / "ci" / "external-values.yaml"))
    assert not find(docs, "PersistentVolumeClaim")
    spec = pod_spec(docs, "worker")
    assert {v["name"]: v for v in spec["volumes"]}["dags"]["persistentVolumeClaim"][
        "claimName"] == "chordflow-dags"


def test_dags_come_from_the_image_by_default(helm):
    docs = default_docs(helm)
    assert not find(docs, "PersistentVolumeClaim")
    spec = pod_spec(docs, "worker")
    assert "dags" not in {v["name"] for v in spec["volumes"]}


# ---------------------------------------------------------------- RBAC and security


def test_pod_runner_role_is_namespaced_and_limited_to_pods_logs_and_events(helm):
    for values in CI_VALUES:
        docs = render(helm, *values_args(values))
        assert not find(docs, "ClusterRole") and not find(docs, "ClusterRoleBinding")
        role = one(docs, "Role", f"{FULLNAME}-pod-runner")
        assert role["metadata"]["namespace"] == NAMESPACE
        granted = {}
        for rule in role["rules"]:
            assert rule["apiGroups"] == [""], rule
            assert "resourceNames" not in rule
            for resource in rule["resources"]:
                granted.setdefault(resource, set()).update(rule["verbs"])
        # No Secrets: tries reach chordflow through the worker's task API.
        assert granted == {"pods": {"create", "get", "list", "watch", "delete"},
                           "pods/log": {"get"}, "events": {"list"}}
        binding = one(docs, "RoleBinding", f"{FULLNAME}-pod-runner")
        assert binding["metadata"]["namespace"] == NAMESPACE
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                      "name": role["metadata"]["name"]}
        worker = pod_spec(docs, "worker")
        subject = {"kind": "ServiceAccount", "name": worker["serviceAccountName"],
                   "namespace": NAMESPACE}
        assert binding["subjects"] == [subject]
        assert worker["automountServiceAccountToken"] is True


def test_only_workers_carry_a_kubernetes_token(helm):
    docs = default_docs(helm)
    for where, spec in pod_specs(docs):
        if where != f"Deployment/{FULLNAME}-worker":
            assert spec.get("automountServiceAccountToken") is False, where


def test_services_give_no_pod_chordflow_variables(helm):
    # Kubernetes gives every pod <SERVICE>_PORT=tcp://..., <SERVICE>_SERVICE_HOST and more
    # for each Service of its namespace unless enableServiceLinks is false. A release named
    # chordflow has Services chordflow-webserver, chordflow-redis, ...: the web server read
    # CHORDFLOW_WEBSERVER_PORT=tcp://10.0.0.86:8080 as its port and would not start.
    docs = default_docs(helm, "--set", "fullnameOverride=chordflow")
    links = {s["metadata"]["name"].upper().replace("-", "_") + "_PORT"
             for s in find(docs, "Service")}
    assert "CHORDFLOW_WEBSERVER_PORT" in links
    for where, spec in pod_specs(docs):
        assert spec.get("enableServiceLinks") is False, where


def test_process_runner_gets_no_rbac_and_no_token(helm):
    docs = default_docs(helm, "--set", "config.runner=process")
    assert not find(docs, "Role") and not find(docs, "RoleBinding")
    worker = pod_spec(docs, "worker")
    assert worker["automountServiceAccountToken"] is False
    assert one(docs, "ConfigMap", FULLNAME)["data"]["CHORDFLOW_RUNNER"] == "process"


def test_task_pods_run_under_their_own_account_without_api_access(helm):
    docs = default_docs(helm, "--set", "config.kubernetesNamespace=tasks",
                        "--set", "taskPods.namespace.create=true")
    account = one(docs, "ServiceAccount", f"{FULLNAME}-task")
    assert account["metadata"]["namespace"] == "tasks"
    assert account["automountServiceAccountToken"] is False
    assert not [b for b in find(docs, "RoleBinding")
                if any(s["name"] == f"{FULLNAME}-task" for s in b["subjects"])]
    config = one(docs, "ConfigMap", FULLNAME)["data"]
    assert config["CHORDFLOW_KUBERNETES_TASK_SERVICE_ACCOUNT"] == f"{FULLNAME}-task"
    labels = one(docs, "Namespace", "tasks")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    env = {e["name"]: e for e in pod_spec(docs, "worker")["containers"][0]["env"]}
    assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert not find(default_docs(helm), "Namespace")  # only when asked for


def test_task_pods_in_another_namespace_get_the_role_there(helm):
    docs = default_docs(helm, "--set", "config.kubernetesNamespace=tasks")
    assert one(docs, "Role", f"{FULLNAME}-pod-runner")["metadata"]["namespace"] == "tasks"
    binding = one(docs, "RoleBinding", f"{FULLNAME}-pod-runner")
    assert binding["metadata"]["namespace"] == "tasks"
    assert binding["subjects"][0]["namespace"] == NAMESPACE


@pytest.mark.parametrize("values", CI_VALUES, ids=ci_ids())
def test_no_container_runs_privileged_or_as_root(helm, values):
    docs = render(helm, *values_args(values))
    checked = 0
    for where, spec in pod_specs(docs):
        pod_ctx = spec.get("securityContext") or {}
        for c in containers(spec):
            ctx = c.get("securityContext") or {}
            name = f"{values.name}: {where}/{c['name']}"
            assert ctx.get("privileged") is not True, name
            assert ctx.get("allowPrivilegeEscalation") is False, name
            assert "ALL" in (ctx.get("capabilities") or {}).get("drop", []), name
            assert not (ctx.get("capabilities") or {}).get("add"), name
            run_as_non_root = ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot"))
            run_as_user = ctx.get("runAsUser", pod_ctx.get("runAsUser"))
            assert run_as_non_root is True, name
            # The cluster image sets no USER: a numeric non-root uid must be given.
            assert isinstance(run_as_user, int) and run_as_user > 0, name
            checked += 1
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), where
    assert checked >= 4


def test_every_container_has_resources(helm):
    for _, spec in pod_specs(default_docs(helm)):
        for c in containers(spec):
            assert c["resources"].get("requests") and c["resources"].get("limits"), c["name"]


def test_pods_roll_when_their_configuration_changes(helm):
    def checksums(docs):
        meta = one(docs, "Deployment", f"{FULLNAME}-worker")["spec"]["template"]["metadata"]
        return meta["annotations"]["checksum/config"]

    assert checksums(default_docs(helm)) != checksums(
        default_docs(helm, "--set", "config.logLevel=DEBUG"))


# ---------------------------------------------------------------- NOTES.txt


def _notes(helm: str, tmp_path: Path, *args: str) -> str:
    """NOTES.txt rendered: helm template does not print it, so render a copy of the chart
    in which a ConfigMap carries it."""
    chart = tmp_path / "chordflow"
    shutil.copytree(CHART, chart)
    notes = (chart / "templates" / "NOTES.txt").read_text()
    (chart / "templates" / "NOTES.txt").unlink()
    (chart / "templates" / "_notes.tpl").write_text(
        '{{- define "test.notes" -}}\n' + notes + "\n{{- end -}}\n")
    (chart / "templates" / "notes-check.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"
        'data:\n  notes: {{ include "test.notes" . | quote }}\n')
    proc = run_helm(helm, "template", *args, "--show-only", "templates/notes-check.yaml",
                    chart=chart)
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(proc.stdout)["data"]["notes"]


def test_notes_say_how_to_reach_flower_and_trigger_a_dag(helm, tmp_path):
    notes = _notes(helm, tmp_path, *values_args(CHART / "ci" / "default-values.yaml"))
    forward = f"kubectl port-forward --namespace {NAMESPACE} service/{FULLNAME}-flower 5555:5555"
    assert forward in notes
    assert f"deploy/{FULLNAME}-scheduler -- chordflow trigger" in notes
    notes = _notes(helm, tmp_path / "np", *values_args(CHART / "ci" / "nodeport-values.yaml"))
    assert "nodePort" in notes and "port-forward" not in notes


# ---------------------------------------------------------------- documentation


def _leaf_keys(values: dict, prefix: str = "") -> Iterator[str]:
    opaque = {"resources", "podSecurityContext", "securityContext"}
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and key not in opaque:
            yield from _leaf_keys(value, path)
        else:
            yield path


def test_readme_documents_every_value_and_the_install_command(helm):
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    missing = [k for k in _leaf_keys(values) if f"| `{k}` |" not in readme]
    assert not missing, f"README.md values table lacks {missing}"
    assert ("helm upgrade --install chordflow ./helm/chordflow --namespace chordflow "
            "--create-namespace") in readme
