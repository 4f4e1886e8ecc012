"""Airflow providers installed without Airflow (`pip install --no-deps`) run through
chordflow's `airflow` namespace, each DAG run through the CLI as a user would: the http
provider's HttpSensor and HttpOperator against a local HTTP server, common-sql's
SQLExecuteQueryOperator and the postgres provider's PostgresHook against PostgreSQL, with
chordflow connections (under the docker runner too), and the standard provider's operators and sensors in place of
chordflow's stand-ins, with the process runner and, on a cluster, the docker runner in a
runtime image built with the providers (`REQUIREMENTS=... bash images/build.sh runtime`,
which .ci/images.sh runs). Each provider goes into a target folder of its own, on the
PYTHONPATH of the run only, so nothing else on the machine sees it."""
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Iterable

import pytest

from tests.servers import SSHServer, docker_client, missing

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("CHORDFLOW_PROVIDERS_CACHE",
                            Path.home() / ".cache" / "chordflow" / "providers"))
PINNED = {line.split("==")[0]: line for line in
          (ROOT / "tests" / "providers" / "requirements.txt").read_text().split()
          if line.startswith("apache-airflow-providers-")}
COMPAT = PINNED["apache-airflow-providers-common-compat"]
HTTP = [PINNED["apache-airflow-providers-http"], COMPAT]
# the http provider's own requirements, and tenacity, which Airflow itself would bring
HTTP_REQUIREMENTS = ["requests-toolbelt>=1.0", "aiohttp>=3.9", "asgiref>=3.5", "tenacity>=8",
                     "pydantic>=2.6"]

DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor

with DAG("http_provider", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None):
    ready = HttpSensor(task_id="ready", http_conn_id="local_http", endpoint="health",
                       poke_interval=1, timeout=60)
    get = HttpOperator(task_id="get", http_conn_id="local_http", endpoint="items/{{ ds }}",
                       method="GET", response_filter=lambda r: r.json()["path"])
    ready >> get
'''


SQL = [PINNED["apache-airflow-providers-common-sql"], PINNED["apache-airflow-providers-postgres"],
       COMPAT]
# common-sql's own requirements and deprecated, which Airflow itself would bring; the
# postgres provider's driver, psycopg2, is chordflow's too
SQL_REQUIREMENTS = ["sqlparse>=0.5.1", "more-itertools>=9.0.0", "methodtools>=0.4.7",
                    "deprecated>=1.2.13"]


SSH = [PINNED["apache-airflow-providers-ssh"], PINNED["apache-airflow-providers-sftp"], COMPAT]
# the ssh and sftp providers' own requirements
SSH_REQUIREMENTS = ["paramiko>=4.0.0", "asyncssh>=2.12.0", "tenacity>=8", "deprecated>=1.2.13"]


STANDARD = [PINNED["apache-airflow-providers-standard"], COMPAT]
# what Airflow itself would bring and the standard provider imports
STANDARD_REQUIREMENTS = ["lazy-object-proxy>=1.2.0", "deprecated>=1.2.13"]
PROVIDERS_IMAGE = "chordflow/runtime:" + os.environ.get("CHORDFLOW_TEST_IMAGE_TAG",
                                                        "latest") + "-providers"


def install(target: Path, *requirements: str, no_deps: bool) -> None:
    if (target / ".done").exists():
        return
    args = [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), *requirements]
    if no_deps:
        args.insert(4, "--no-deps")
    done = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        missing(f"cannot install {requirements}: {done.stderr.strip()[-300:]}")


def provider_folder(name: str, providers: list[str], requirements: list[str]) -> Path:
    """A folder of `providers` (without their dependencies) and their `requirements`."""
    target = CACHE / name
    install(target, *providers, no_deps=True)
    install(target, *requirements, no_deps=False)
    (target / ".done").touch()
    return target


@pytest.fixture(scope="module")
def http_provider() -> Path:
    return provider_folder("http", HTTP, HTTP_REQUIREMENTS)


@pytest.fixture(scope="module")
def sql_providers() -> Path:
    return provider_folder("sql", SQL, SQL_REQUIREMENTS)


@pytest.fixture(scope="module")
def standard_provider() -> Path:
    return provider_folder("standard", STANDARD, STANDARD_REQUIREMENTS)


@pytest.fixture(scope="module")
def ssh_providers() -> Path:
    return provider_folder("ssh", SSH, SSH_REQUIREMENTS)


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory):
    server = SSHServer(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


def cli_for(tmp_path: Path, dags: Path, *folders: Path, **extra: str):
    """The chordflow CLI as a user runs it, with the providers' folders on its path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({"CHORDFLOW_HOME": str(tmp_path / "state"), "CHORDFLOW_RUNNER": "process",
                "CHORDFLOW_DAGS_FOLDER": str(dags),
                "PYTHONPATH": ":".join([str(ROOT), *map(str, folders)]), **extra})

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "cluster.cli", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)
    return cli


@pytest.fixture
def http_server():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.path)
            body = json.dumps({"path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def test_http_provider_operator_and_sensor_run(http_provider, http_server, tmp_path):
    url, seen = http_server
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "http_dag.py").write_text(DAG)
    cli = cli_for(tmp_path, dags, http_provider, CHORDFLOW_CONN_LOCAL_HTTP=url)
    done = cli("run", str(dags / "http_dag.py"))
    assert done.returncode == 0, done.stdout + done.stderr + cli("tasks", "logs", "1", "get").stdout
    assert "/health" in seen and any(p.startswith("/items/20") for p in seen), seen
    logs = cli("tasks", "logs", "1", "get").stdout
    assert "airflow.providers.http.operators.http.HttpOperator" in logs, logs


SQL_DAG = '''
import pendulum
from airflow.sdk import DAG, task
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook

with DAG("sql_provider", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None):
    create = SQLExecuteQueryOperator(
        task_id="create", conn_id="warehouse",
        sql=["DROP TABLE IF EXISTS sales", "CREATE TABLE sales (n int, day text)"])
    load = SQLExecuteQueryOperator(
        task_id="load", conn_id="warehouse",
        sql="INSERT INTO sales VALUES (%(n)s, '{{ ds }}'), (%(n)s * 2, '{{ ds }}')",
        parameters={"n": 21})
    total = SQLExecuteQueryOperator(task_id="total", conn_id="warehouse",
                                    sql="SELECT sum(n), count(*) FROM sales")

    @task
    def report(rows):
        hook = PostgresHook(postgres_conn_id="warehouse")
        hook.insert_rows("sales", [(100, "hook")], target_fields=["n", "day"])
        print("hook", type(hook).__module__ + "." + type(hook).__name__,
              hook.get_first("SELECT sum(n) FROM sales")[0], "pushed", rows)
        return hook.get_records("SELECT n, day FROM sales ORDER BY n")

    create >> load >> total
    report(total.output)
'''


def check_sql_run(url: str, logs: dict[str, str]) -> None:
    # the provider's own classes ran, not chordflow's stand-ins
    assert "airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator" in logs["load"]
    assert "hook airflow.providers.postgres.hooks.postgres.PostgresHook 163" in logs["report"]
    assert "pushed [[63, 2]]" in logs["report"], logs["report"]
    import psycopg2
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT n, day FROM sales ORDER BY n")
        rows = cur.fetchall()
    conn.close()
    assert rows[:2] == [(21, rows[0][1]), (42, rows[0][1])] and rows[0][1].startswith("20")
    assert rows[2] == (100, "hook")


def test_sql_providers_operator_and_hook_run_against_postgres(sql_providers, postgres_server,
                                                              tmp_path):
    name = "cf_sqlprov_" + uuid.uuid4().hex[:8]
    url = postgres_server.create_database(name)
    try:
        dags = tmp_path / "dags"
        dags.mkdir()
        (dags / "sql_dag.py").write_text(SQL_DAG)
        cli = cli_for(tmp_path, dags, sql_providers)
        added = cli("connections", "add", "warehouse",
                    "--conn-uri", url.replace("postgresql://", "postgres://", 1))
        assert added.returncode == 0, added.stdout + added.stderr
        done = cli("run", str(dags / "sql_dag.py"))
        logs = {t: cli("tasks", "logs", "1", t).stdout for t in ("load", "total", "report")}
        assert done.returncode == 0, done.stdout + done.stderr + str(logs)
        check_sql_run(url, logs)
    finally:
        postgres_server.drop_database(name)


STANDARD_DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import (BranchPythonOperator, PythonOperator,
                                                        ShortCircuitOperator)
from airflow.providers.standard.sensors.python import PythonSensor


def double(n, ds=None):
    print("double", n, "on", ds)
    return n * 2


with DAG("standard_provider", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None):
    ready = PythonSensor(task_id="ready", python_callable=lambda: True, poke_interval=1)
    calc = PythonOperator(task_id="calc", python_callable=double, op_args=[21])
    shell = BashOperator(task_id="shell",
                         bash_command="echo got {{ ti.xcom_pull(task_ids='calc') }} in $AIRFLOW_CTX_DAG_ID")
    pick = BranchPythonOperator(task_id="pick", python_callable=lambda: "left")
    left = EmptyOperator(task_id="left")
    right = EmptyOperator(task_id="right")
    gate = ShortCircuitOperator(task_id="gate", python_callable=lambda: False)
    after = EmptyOperator(task_id="after")
    ready >> calc >> shell >> pick >> [left, right]
    left >> gate >> after
'''
STANDARD_CLASSES = {"calc": "airflow.providers.standard.operators.python.PythonOperator",
                    "shell": "airflow.providers.standard.hooks.subprocess.SubprocessHook",
                    "pick": "airflow.providers.standard.operators.python.BranchPythonOperator",
                    "gate": "airflow.providers.standard.operators.python.ShortCircuitOperator"}


def check_standard_run(states: dict[str, str], logs: dict[str, str]) -> None:
    assert states == {"ready": "success", "calc": "success", "shell": "success",
                      "pick": "success", "left": "success", "right": "skipped",
                      "gate": "success", "after": "skipped"}, (states, logs)
    for task_id, name in STANDARD_CLASSES.items():  # the provider's code ran
        assert name in logs[task_id], logs[task_id]
    assert "Returned value was: 42" in logs["calc"] and "double 21 on 20" in logs["calc"]
    assert "got 42 in standard_provider" in logs["shell"], logs["shell"]


def run_embedded(tmp_path: Path, provider: Path, name: str, source: str,
                 logged: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """`chordflow run` of the DAG file `source` with `provider` on the path: the run's
    task states and the logs of the `logged` tasks (the run must succeed)."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / name).write_text(source)
    cli = cli_for(tmp_path, dags, provider)
    done = cli("run", str(dags / name))
    logs = {t: cli("tasks", "logs", "1", t).stdout for t in logged}
    assert done.returncode == 0, done.stdout + done.stderr + str(logs)
    states = dict(re.findall(r"^(\w+)\s+(success|skipped|failed|upstream_failed)\s",
                             cli("runs", "show", "1").stdout, re.M))
    return states, logs


def test_standard_provider_operators_replace_the_stand_ins(standard_provider, tmp_path):
    states, logs = run_embedded(tmp_path, standard_provider, "standard_dag.py", STANDARD_DAG,
                                STANDARD_CLASSES)
    check_standard_run(states, logs)


# The standard provider's TaskFlow decorators, built on Airflow's DecoratedOperator and
# task_decorator_factory (chordflow's): a function used twice is two tasks.
DECORATORS_DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow.providers.standard.decorators.bash import bash_task
from airflow.providers.standard.decorators.python import python_task


@python_task
def total(a, b):
    return a + b


@python_task(multiple_outputs=True)
def split(n):
    return {"half": n // 2, "rest": n - n // 2}


@bash_task
def shout(n):
    return f"echo bash got {n}"


with DAG("standard_decorators", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
         schedule=None):
    parts = split(total(20, 22))
    shout(parts["half"])
    total(parts["half"], parts["rest"])
'''


def check_decorators_run(states: dict[str, str], logs: dict[str, str]) -> None:
    assert states == {"total": "success", "split": "success", "shout": "success",
                      "total__1": "success"}, (states, logs)
    assert "Returned value was: 42" in logs["total__1"], logs["total__1"]
    assert "bash got 21" in logs["shout"], logs["shout"]


def test_standard_provider_decorators_build_tasks(standard_provider, tmp_path):
    states, logs = run_embedded(tmp_path, standard_provider, "decorators_dag.py",
                                DECORATORS_DAG, ("shout", "total__1"))
    check_decorators_run(states, logs)


@pytest.fixture(scope="module")
def docker_providers_cluster(standard_provider, sql_providers, http_provider, ssh_providers,
                             cluster_env, tmp_path_factory):
    """A scheduler and a docker-runner worker whose task containers run the image built
    with tests/providers/requirements.txt, on the host's network (to reach PostgreSQL on
    127.0.0.1; the task API is a socket either way)."""
    docker_client([PROVIDERS_IMAGE])
    dags = tmp_path_factory.mktemp("providers") / "dags"
    dags.mkdir()  # readable by the containers' user (pytest's own folders are not)
    (dags / "standard_dag.py").write_text(STANDARD_DAG)
    (dags / "sql_dag.py").write_text(SQL_DAG)
    (dags / "http_dag.py").write_text(DAG)
    (dags / "decorators_dag.py").write_text(DECORATORS_DAG)
    cluster_env.remote = tmp_path_factory.mktemp("remote")  # the ssh server's side
    write_ssh_dag(dags, cluster_env.remote)
    # the scheduler and the worker parse the DAG files: the providers are on their path;
    # the task containers have them from the image only
    cluster_env.env.update({"CHORDFLOW_DAGS_FOLDER": str(dags), "PYTHONPATH": ":".join(
        map(str, (ROOT, standard_provider, sql_providers, http_provider, ssh_providers)))})
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2, name="providers", CHORDFLOW_RUNNER="docker",
                       CHORDFLOW_RUNTIME_IMAGE=PROVIDERS_IMAGE, CHORDFLOW_TASK_NETWORK="host")
    return cluster_env


def test_standard_provider_runs_under_the_docker_runner_from_a_built_image(
        docker_providers_cluster):
    cluster_env = docker_providers_cluster
    done, run, tis, _ = cluster_env.run_dag("standard_provider", timeout=300)
    logs = {t: cluster_env.cli("tasks", "logs", str(run.id), t).stdout
            for t in ("ready", *STANDARD_CLASSES)}
    assert done.returncode == 0, done.stdout + done.stderr + str(logs)
    for task_id in STANDARD_CLASSES:
        assert "with the docker runner" in logs[task_id], logs[task_id]
    check_standard_run({t: ti.state for t, ti in tis.items()}, logs)


def test_standard_provider_decorators_run_under_the_docker_runner(docker_providers_cluster):
    cluster_env = docker_providers_cluster
    done, run, tis, _ = cluster_env.run_dag("standard_decorators", timeout=300)
    logs = {t: cluster_env.cli("tasks", "logs", str(run.id), t).stdout
            for t in ("shout", "total__1")}
    assert done.returncode == 0, done.stdout + done.stderr + str(logs)
    assert all("with the docker runner" in text for text in logs.values()), logs
    check_decorators_run({t: ti.state for t, ti in tis.items()}, logs)


def test_sql_providers_run_under_the_docker_runner_from_a_built_image(
        docker_providers_cluster, postgres_server):
    cluster_env = docker_providers_cluster
    name = "cf_sqlprov_" + uuid.uuid4().hex[:8]
    url = postgres_server.create_database(name)
    try:
        added = cluster_env.cli("connections", "add", "warehouse",
                                "--conn-uri", url.replace("postgresql://", "postgres://", 1))
        assert added.returncode == 0, added.stdout + added.stderr
        done, run, tis, _ = cluster_env.run_dag("sql_provider", timeout=300)
        logs = {t: cluster_env.cli("tasks", "logs", str(run.id), t).stdout
                for t in ("create", "load", "total", "report")}
        assert done.returncode == 0, done.stdout + done.stderr + str(logs)
        assert all("with the docker runner" in text for text in logs.values()), logs
        check_sql_run(url, logs)
    finally:
        cluster_env.cli("connections", "delete", "warehouse")
        postgres_server.drop_database(name)


def test_http_provider_runs_under_the_docker_runner_from_a_built_image(
        docker_providers_cluster, http_server):
    """HttpSensor and HttpOperator in task containers, their connection read through the
    task API (the containers hold no store credentials)."""
    cluster_env = docker_providers_cluster
    url, seen = http_server
    added = cluster_env.cli("connections", "add", "local_http", "--conn-uri", url)
    assert added.returncode == 0, added.stdout + added.stderr
    try:
        done, run, tis, xcoms = cluster_env.run_dag("http_provider", timeout=300)
        logs = {t: cluster_env.cli("tasks", "logs", str(run.id), t).stdout
                for t in ("ready", "get")}
        assert done.returncode == 0, done.stdout + done.stderr + str(logs)
        assert all("with the docker runner" in text for text in logs.values()), logs
        assert "airflow.providers.http.operators.http.HttpOperator" in logs["get"], logs
        assert "/health" in seen and xcoms[("get", "return_value")].startswith("/items/"), seen
        assert xcoms[("get", "return_value")] in seen
    finally:
        cluster_env.cli("connections", "delete", "local_http")


# The ssh and sftp providers against a real OpenSSH server on 127.0.0.1: a command run
# remotely (its output pushed, base64 as Airflow does), a sensor on the remote file, a
# file put from the DAG folder, and both hooks used from a task. {remote} is a folder on
# this machine the server writes into; the connection carries the client key and checks
# the server's host key.
SSH_DAG = '''
import base64
import os

import pendulum
from airflow.sdk import DAG, task
from airflow.providers.sftp.hooks.sftp import SFTPHook
from airflow.providers.sftp.operators.sftp import SFTPOperation, SFTPOperator
from airflow.providers.sftp.sensors.sftp import SFTPSensor
from airflow.providers.ssh.hooks.ssh import SSHHook
from airflow.providers.ssh.operators.ssh import SSHOperator

REMOTE = "{remote}"

with DAG("ssh_provider", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None):
    make = SSHOperator(task_id="make", ssh_conn_id="remote",
                       command="mkdir -p " + REMOTE + "/in && echo 'rows for {{{{ ds }}}}' > "
                               + REMOTE + "/in/data.txt && echo made {{{{ ds }}}}")
    wait = SFTPSensor(task_id="wait", sftp_conn_id="remote", path=REMOTE + "/in/data.txt",
                      poke_interval=1, timeout=60)
    put = SFTPOperator(task_id="put", ssh_conn_id="remote",
                       local_filepath=os.path.join(os.path.dirname(__file__), "upload.txt"),
                       remote_filepath=REMOTE + "/out/upload.txt",
                       operation=SFTPOperation.PUT, create_intermediate_dirs=True)

    @task
    def read(made):
        sftp = SFTPHook(ssh_conn_id="remote")
        names = sftp.list_directory(REMOTE + "/in")
        client = SSHHook(ssh_conn_id="remote").get_conn()
        _, out, _ = client.exec_command("cat " + REMOTE + "/in/data.txt")
        content = out.read().decode().strip()
        client.close()
        print("read", type(sftp).__module__, names, content, "|",
              base64.b64decode(made).decode().strip())
        return content

    make >> wait >> put
    wait >> read(make.output)
'''
UPLOAD = "uploaded from the DAG folder\n"


def write_ssh_dag(dags: Path, remote: Path) -> None:
    (dags / "ssh_dag.py").write_text(SSH_DAG.format(remote=remote))
    (dags / "upload.txt").write_text(UPLOAD)


def add_ssh_connection(cli, server: SSHServer) -> None:
    added = cli("connections", "add", "remote", "--conn-type", "ssh", "--conn-host", "127.0.0.1",
                "--conn-port", str(server.port), "--conn-login", server.user,
                "--conn-extra", json.dumps(server.extra()))
    assert added.returncode == 0, added.stdout + added.stderr


def check_ssh_run(states: dict[str, str], logs: dict[str, str], remote: Path,
                  server: SSHServer) -> None:
    assert states == {"make": "success", "wait": "success", "put": "success",
                      "read": "success"}, (states, logs)
    assert (remote / "in" / "data.txt").read_text().startswith("rows for 20")
    assert (remote / "out" / "upload.txt").read_text() == UPLOAD
    assert re.search(r"read airflow\.providers\.sftp\.hooks\.sftp \['data\.txt'\] "
                     r"rows for 20\S+ \| made 20", logs["read"]), logs["read"]
    assert "airflow.providers.ssh.operators.ssh.SSHOperator" in logs["make"], logs["make"]
    assert "airflow.providers.sftp.operators.sftp.SFTPOperator" in logs["put"], logs["put"]
    key_body = server.private_key.splitlines()[1]
    assert not any(key_body in text for text in logs.values())


def test_ssh_and_sftp_providers_run_against_an_ssh_server(ssh_providers, ssh_server, tmp_path):
    remote = tmp_path / "remote"
    dags = tmp_path / "dags"
    dags.mkdir()
    write_ssh_dag(dags, remote)
    cli = cli_for(tmp_path, dags, ssh_providers)
    add_ssh_connection(cli, ssh_server)
    done = cli("run", str(dags / "ssh_dag.py"))
    logs = {t: cli("tasks", "logs", "1", t).stdout for t in ("make", "wait", "put", "read")}
    assert done.returncode == 0, done.stdout + done.stderr + str(logs)
    states = dict(re.findall(r"^(\w+)\s+(success|skipped|failed|upstream_failed)\s",
                             cli("runs", "show", "1").stdout, re.M))
    check_ssh_run(states, logs, remote, ssh_server)


def test_ssh_and_sftp_providers_run_under_the_docker_runner_from_a_built_image(
        docker_providers_cluster, ssh_server):
    """The connection's key reaches the task containers through the task API only."""
    cluster_env = docker_providers_cluster
    add_ssh_connection(cluster_env.cli, ssh_server)
    try:
        done, run, tis, _ = cluster_env.run_dag("ssh_provider", timeout=300)
        logs = {t: cluster_env.cli("tasks", "logs", str(run.id), t).stdout
                for t in ("make", "wait", "put", "read")}
        assert done.returncode == 0, done.stdout + done.stderr + str(logs)
        assert all("with the docker runner" in text for text in logs.values()), logs
        check_ssh_run({t: ti.state for t, ti in tis.items()}, logs, cluster_env.remote,
                      ssh_server)
    finally:
        cluster_env.cli("connections", "delete", "remote")
