"""Airflow providers installed without Airflow (`pip install --no-deps`) run through
chordflow's `airflow` namespace, each DAG run through the CLI as a user would: the http
provider's HttpSensor and HttpOperator against a local HTTP server, common-sql's
SQLExecuteQueryOperator and the postgres provider's PostgresHook against PostgreSQL, with
chordflow connections. Each provider goes into a target folder of its own, on the
PYTHONPATH of the run only, so nothing else on the machine sees it."""
import http.server
import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from tests.servers import missing

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


def install(target: Path, *requirements: str, no_deps: bool) -> None:
    if (target / ".done").exists():
        return
    args = [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), *requirements]
    if no_deps:
        args.insert(4, "--no-deps")
    done = subprocess.run(args, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        missing(f"cannot install {requirements}: {done.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def http_provider() -> Path:
    target = CACHE / "http"
    install(target, *HTTP, no_deps=True)
    install(target, *HTTP_REQUIREMENTS, no_deps=False)
    (target / ".done").touch()
    return target


@pytest.fixture(scope="module")
def sql_providers() -> Path:
    target = CACHE / "sql"
    install(target, *SQL, no_deps=True)
    install(target, *SQL_REQUIREMENTS, no_deps=False)
    (target / ".done").touch()
    return target


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
    finally:
        postgres_server.drop_database(name)
