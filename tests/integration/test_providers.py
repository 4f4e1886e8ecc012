"""An Airflow provider installed without Airflow (`pip install --no-deps`) runs through
chordflow's `airflow` namespace: the http provider's HttpSensor and HttpOperator against a
local HTTP server, with a connection. The provider goes into a target folder of its own,
on the PYTHONPATH of the run only, so nothing else on the machine sees it."""
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.servers import missing

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("CHORDFLOW_PROVIDERS_CACHE",
                            Path.home() / ".cache" / "chordflow" / "providers"))
HTTP = ["apache-airflow-providers-http==6.3.0", "apache-airflow-providers-common-compat==1.23.0"]
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORDFLOW_")}
    env.update({"CHORDFLOW_HOME": str(tmp_path / "state"), "CHORDFLOW_RUNNER": "process",
                "CHORDFLOW_DAGS_FOLDER": str(dags), "CHORDFLOW_CONN_LOCAL_HTTP": url,
                "PYTHONPATH": f"{ROOT}:{http_provider}"})

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "cluster.cli", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)

    done = cli("run", str(dags / "http_dag.py"))
    assert done.returncode == 0, done.stdout + done.stderr + cli("tasks", "logs", "1", "get").stdout
    assert "/health" in seen and any(p.startswith("/items/20") for p in seen), seen
    logs = cli("tasks", "logs", "1", "get").stdout
    assert "airflow.providers.http.operators.http.HttpOperator" in logs, logs
