"""`docker-compose.yml` brings the whole cluster up: two workers, Flower with auth, a real run."""
import json
import os
import re
import shutil
import subprocess
import uuid

import pytest

from tests.conftest import ROOT
from tests.integration.browser import (browser, click, css, log_in, shot, states,  # noqa: F401
                                       text, wait_css)
from tests.servers import docker_client, free_port, http_json, http_status, missing, wait_for

IMAGES = ["chordflow/cluster:latest", "chordflow/runtime:latest", "chordflow/movielens-api:latest",
          "chordflow/movielens-fetch:latest", "chordflow/movielens-ranking:latest"]
MOVIELENS_PASSWORD = "ml-" + uuid.uuid4().hex[:10]
# the images built with the tests' providers (.ci/images.sh)
PROVIDERS_TAG = os.environ.get("CHORDFLOW_TEST_IMAGE_TAG", "latest") + "-providers"


def _compose_cmd():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return ["docker", "compose"] if probe.returncode == 0 else None


def _image(client, public, standin):
    for name in (public, standin):
        try:
            client.images.get(name)
            return name
        except Exception:
            continue
    missing(f"neither {public} nor {standin} is available (bash images/build.sh)")


def start_project(tmp_path_factory, lines: list[str], *services: str, workers: int = 2):
    """A compose project of its own (`.env` from `lines` plus fresh passwords): up with
    `services` (every service when none is named); yields the `run` helper, then tears the
    project down and keeps its logs beside the `.env` file."""
    client = docker_client(IMAGES)
    cmd = _compose_cmd()
    if cmd is None:
        missing("neither docker-compose nor the compose plugin is installed")
    project = "cftest" + uuid.uuid4().hex[:6]
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env_file.write_text("\n".join([
        "POSTGRES_PASSWORD=pg-" + uuid.uuid4().hex[:8],
        "REDIS_PASSWORD=rd-" + uuid.uuid4().hex[:8],
        "FLOWER_BASIC_AUTH=admin:fl-pass-9",
        "WORKER_CONCURRENCY=2",
        "WEBSERVER_ADMIN_USER=admin",
        "WEBSERVER_ADMIN_PASSWORD=web-pass-9",
        "WEBSERVER_SECRET_KEY=" + uuid.uuid4().hex,
        f"COMPOSE_PROJECT_NAME={project}",
        "MOVIELENS_PASSWORD=" + MOVIELENS_PASSWORD,
        f"REDIS_IMAGE={_image(client, 'redis:7', 'chordflow/redis-standin:latest')}",
        f"POSTGRES_IMAGE={_image(client, 'postgres:15', 'chordflow/postgres-standin:latest')}",
        *lines,
    ]) + "\n")
    base = cmd + ["-p", project, "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml")]

    def run(*args, timeout=600):
        return subprocess.run(base + list(args), cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)

    up = run("up", "-d", "--scale", f"worker={workers}", *services)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield run
    finally:
        logs = run("logs", "--no-color", timeout=120)
        (env_file.parent / "compose.log").write_text(logs.stdout + logs.stderr)
        run("down", "-v", "--remove-orphans", timeout=300)


@pytest.fixture(scope="module")
def compose(tmp_path_factory):
    data = tmp_path_factory.mktemp("movielens-data")
    port = free_port()
    web_port = free_port()
    for run in start_project(tmp_path_factory, [
            f"FLOWER_PORT={port}", f"WEBSERVER_PORT={web_port}",
            f"MOVIELENS_DATA_DIR={data}", f"CHORDFLOW_DAGS_HOST_PATH={ROOT / 'dagdefs'}"]):
        run.web_url = f"http://127.0.0.1:{web_port}"
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_status(url + "/healthcheck") == 200, 180, interval=1,
                 what="Flower in compose")
        yield run, url, data


def test_compose_cluster_runs_a_dag_on_two_workers_behind_flower_auth(compose):
    run, url, _ = compose
    ps = run("ps", "-q", "worker")
    assert len(ps.stdout.split()) == 2, ps.stdout + ps.stderr
    # DAG files are parsed by the dag-processor service alone (Airflow's standalone DAG
    # processor): the run below finds its DAG only because that service recorded it
    assert len(run("ps", "-q", "dag-processor").stdout.split()) == 1

    def recorded():
        listed = run("exec", "-T", "scheduler", "chordflow", "dags", "list")
        return "nothing was recorded" not in listed.stderr and "example_etl" in listed.stdout

    wait_for(recorded, 120, interval=2, what="the dag-processor service to record example_etl")
    done = run("exec", "-T", "scheduler", "chordflow", "trigger", "example_etl", "--wait")
    if done.returncode != 0:
        extract = run("exec", "-T", "scheduler", "chordflow", "tasks", "logs", "1", "extract")
        pytest.fail(done.stdout + done.stderr + extract.stdout, pytrace=False)
    assert "run 1 (example_etl" in done.stdout and "success" in done.stdout
    logs = run("exec", "-T", "scheduler", "chordflow", "tasks", "logs", "1", "report")
    assert "with the docker runner" in logs.stdout and " orders, total " in logs.stdout

    assert http_status(url + "/api/workers") == 401
    workers = wait_for(lambda: len(http_json(url + "/api/workers?refresh=1", "admin:fl-pass-9")) >= 2
                       and http_json(url + "/api/workers", "admin:fl-pass-9"), 60, interval=1,
                       what="Flower to see both workers")
    assert len(workers) >= 2
    names = [t["name"] for t in http_json(url + "/api/tasks", "admin:fl-pass-9").values()]
    # Every task is shown as `dag_id.task_id`, chord members included, never by its type.
    assert {"example_etl.start", "example_etl.extract", "example_etl.report"} <= set(names)
    assert not [n for n in names if not n or n.startswith("chordflow.")], names


def test_movielens_pipeline_on_the_compose_cluster(compose):
    run, url, data = compose
    for day in ("2019-01-01", "2019-01-02", "2019-01-03"):
        done = run("exec", "-T", "scheduler", "chordflow", "trigger", "movielens_docker",
                   "--logical-date", day, "--wait")
        assert done.returncode == 0, done.stdout + done.stderr
        assert (data / "ratings" / f"{day}.json").stat().st_size > 100
        rankings = (data / "rankings" / f"{day}.csv").read_text().splitlines()
        assert rankings[0] == "movieId,avg_rating,num_ratings" and len(rankings) > 10
        logs = run("exec", "-T", "scheduler", "chordflow", "tasks", "logs",
                   f"movielens_docker/manual__{day}T00:00:00+00:00", "fetch_ratings")
        assert "fetched " in logs.stdout and MOVIELENS_PASSWORD not in logs.stdout
    tasks = json.dumps(http_json(url + "/api/tasks", "admin:fl-pass-9"))
    assert "movielens_docker.fetch_ratings" in tasks and MOVIELENS_PASSWORD not in tasks


def test_variables_and_connections_reach_tasks_in_their_containers(compose):
    """The cluster's default path: tasks in containers read a Variable and a Connection
    (Python and Jinja) through the task API, the password masked in the log."""
    run, _, _ = compose
    password = "wh-" + uuid.uuid4().hex[:10]
    for command in (("variables", "set", "greeting", "hello"),
                    ("connections", "add", "warehouse", "--conn-uri",
                     f"postgres://etl:{password}@warehouse:5432/sales")):
        done = run("exec", "-T", "scheduler", "chordflow", *command)
        assert done.returncode == 0, done.stdout + done.stderr
    done = run("exec", "-T", "scheduler", "chordflow", "trigger", "example_settings", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    run_pk = re.search(r"run (\d+) \(example_settings", done.stdout).group(1)
    logs = {task: run("exec", "-T", "scheduler", "chordflow", "tasks", "logs", run_pk,
                      task).stdout for task in ("describe", "templated")}
    assert "with the docker runner" in logs["describe"], logs
    assert "hello from warehouse:5432/sales as etl (password ***)" in logs["describe"], logs
    assert "hello again, warehouse" in logs["templated"], logs
    assert password not in "".join(logs.values())


def test_flower_grows_and_shrinks_a_worker_pool(compose):
    run, url, _ = compose
    auth = "admin:fl-pass-9"
    name = sorted(http_json(url + "/api/workers?refresh=1", auth))[0]

    def pool_size():
        info = http_json(url + f"/api/workers?refresh=1&workername={name}", auth)[name]
        return len(info["stats"]["pool"]["processes"])

    before = pool_size()
    http_json(url + f"/api/worker/pool/grow/{name}?n=1", auth, method="POST")
    wait_for(lambda: pool_size() == before + 1, 30, interval=1, what="the pool to grow")
    http_json(url + f"/api/worker/pool/shrink/{name}?n=1", auth, method="POST")
    wait_for(lambda: pool_size() == before, 30, interval=1, what="the pool to shrink")


def test_the_web_server_serves_the_ui_and_the_api_behind_a_login(compose):
    import urllib.request

    run, _, _ = compose
    web = run.web_url
    wait_for(lambda: http_status(web + "/api/v2/monitor/health") == 200, 180, interval=1,
             what="the web server in compose")
    assert http_status(web + "/api/v2/dags") == 401
    assert http_status(web + "/api/v2/dags", "admin:wrong") == 401
    dags = http_json(web + "/api/v2/dags?limit=1000", "admin:web-pass-9")
    assert "example_etl" in [d["dag_id"] for d in dags["dags"]]
    with urllib.request.urlopen(web + "/", timeout=10) as page:
        assert b"<title>chordflow</title>" in page.read()


def test_a_browser_logs_in_triggers_a_run_and_watches_it_end_on_the_compose_cluster(
        compose, browser, tmp_path):
    """The web UI as a user meets it after `docker compose up`: tasks run in containers."""
    run, _, _ = compose
    web = run.web_url
    wait_for(lambda: http_status(web + "/api/v2/monitor/health") == 200, 180, interval=1,
             what="the web server in compose")
    log_in(browser, web, "admin", "web-pass-9")
    wait_css(browser, '#dag-list tr[data-dag="example_etl"]', 60, what="example_etl listed")
    shot(browser, "compose-dag-list", tmp_path)

    browser.get(web + "/#/dags/example_etl/trigger")
    orders = wait_css(browser, "#param-orders")
    orders.clear()
    orders.send_keys("57")
    shot(browser, "compose-trigger", tmp_path)
    browser.find_element("id", "trigger-submit").click()
    wait_css(browser, "#run-state", what="the run page")
    wait_for(lambda: css(browser, '#run-state [data-state="success"]'), 300,
             what="the run to turn green on screen")
    wait_for(lambda: set(states(browser, "#task-table .ti-state .state")) == {"success"}, 30,
             what="every task green in the table")
    wait_css(browser, '#run-graph g.node[data-state="success"]', what="the run's graph")
    shot(browser, "compose-run", tmp_path)
    click(browser, '#task-table tr[data-task="report"] a')
    wait_for(lambda: ": 57 orders, total " in text(browser, "#log"), 60,
             what="the report task's log, written in its container")
    assert "with the docker runner" in text(browser, "#log")
    shot(browser, "compose-task-log", tmp_path)
    browser.get(web + "/#/dags/example_etl")
    wait_css(browser, "#grid .cell.s-success", what="the grid")
    shot(browser, "compose-grid", tmp_path)
    browser.get(web + "/#/dags/example_etl/graph")
    wait_css(browser, '#graph g.node[data-state="success"]', what="the graph")
    shot(browser, "compose-graph", tmp_path)


def test_compose_refuses_a_web_server_without_credentials(tmp_path):
    cmd = _compose_cmd()
    if cmd is None:
        missing("neither docker-compose nor the compose plugin is installed")
    env_file = tmp_path / ".env"
    env_file.write_text("POSTGRES_PASSWORD=p\nREDIS_PASSWORD=r\nFLOWER_BASIC_AUTH=a:b\n"
                        "MOVIELENS_PASSWORD=m\nWEBSERVER_ADMIN_USER=admin\n"
                        "WEBSERVER_SECRET_KEY=k\n")
    done = subprocess.run(cmd + ["--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"),
                                 "config"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "WEBSERVER_ADMIN_PASSWORD" in done.stderr


# A DAG folder of a user's: its requirements.txt names Airflow providers, and its file
# imports them at the top, as production DAG files do. Parsed in the cluster image, run in
# the runtime image: both built by the one command of the README (REQUIREMENTS=...).
OWN_PACKAGES_DAG = '''
import datetime as dt

from airflow import DAG
from airflow.providers.common.sql.hooks.sql import fetch_all_handler
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.standard.operators.python import PythonOperator


def versions():
    import importlib.metadata as md
    print("fetch_all_handler from", fetch_all_handler.__module__)
    print("providers: http", md.version("apache-airflow-providers-http"), "common-sql",
          md.version("apache-airflow-providers-common-sql"))


with DAG("own_packages", start_date=dt.datetime(2024, 1, 1), schedule=None):
    PythonOperator(task_id="versions", python_callable=versions)
'''


@pytest.fixture(scope="module")
def compose_with_requirements(tmp_path_factory):
    dags = tmp_path_factory.mktemp("own-dags")
    (dags / "own_packages.py").write_text(OWN_PACKAGES_DAG)
    shutil.copy(ROOT / "tests" / "providers" / "requirements.txt", dags / "requirements.txt")
    # readable by the images' own unprivileged user, as a checkout is (pytest's are 0700)
    dags.chmod(0o755)
    for path in dags.iterdir():
        path.chmod(0o644)
    tag = PROVIDERS_TAG
    docker_client([f"chordflow/cluster:{tag}", f"chordflow/runtime:{tag}"])
    yield from start_project(tmp_path_factory, [
        f"FLOWER_PORT={free_port()}", f"WEBSERVER_PORT={free_port()}",
        f"MOVIELENS_DATA_DIR={tmp_path_factory.mktemp('unused')}",
        f"CHORDFLOW_DAGS_HOST_PATH={dags}",
        f"CHORDFLOW_IMAGE=chordflow/cluster:{tag}",
        f"CHORDFLOW_RUNTIME_IMAGE=chordflow/runtime:{tag}",
    ], "scheduler", "dag-processor", "worker", workers=1)


def test_a_dag_folder_with_requirements_runs_after_the_one_build_command(
        compose_with_requirements):
    """`REQUIREMENTS=dags/requirements.txt bash images/build.sh runtime cluster` (the
    providers of tests/providers/requirements.txt), then compose with those images."""
    run = compose_with_requirements

    def recorded():
        listed = run("exec", "-T", "scheduler", "chordflow", "dags", "list")
        return "own_packages" in listed.stdout

    wait_for(recorded, 180, interval=2, what="the dag-processor service to record own_packages")
    done = run("exec", "-T", "scheduler", "chordflow", "trigger", "own_packages", "--wait")
    logs = run("exec", "-T", "scheduler", "chordflow", "tasks", "logs", "1", "versions")
    assert done.returncode == 0 and "success" in done.stdout, \
        done.stdout + done.stderr + logs.stdout
    assert "with the docker runner" in logs.stdout, logs.stdout
    assert "fetch_all_handler from airflow.providers.common.sql.hooks.sql" in logs.stdout
    pinned = dict(line.split("==") for line in
                  (ROOT / "tests" / "providers" / "requirements.txt").read_text().splitlines()
                  if "==" in line and not line.startswith("#"))
    assert (f"providers: http {pinned['apache-airflow-providers-http']} common-sql "
            f"{pinned['apache-airflow-providers-common-sql']}") in logs.stdout, logs.stdout
