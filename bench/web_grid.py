"""How fast a big DAG's grid opens: a 1,000-task DAG with 25 runs (25,000 task instances).

Builds the DAG and its runs in a throwaway PostgreSQL database, serves the web server on
a free port, and times `GET /ui/grid/{dag_id}` over HTTP (what the page fetches), then,
with `--browser`, the whole page in headless Chromium: from navigation to the drawn grid.
Target: under a second. Results go to bench/results/web_grid.json.

    python -m bench.web_grid [--postgres postgresql://postgres@127.0.0.1:5432] [--browser]
"""
from __future__ import annotations

import argparse
import os
import datetime as dt
import json
import random
import statistics
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text, update

RESULTS = Path(__file__).parent / "results" / "web_grid.json"
DAG_ID = "bench_grid_1000"
STATES = ["success"] * 8 + ["failed", "upstream_failed", "skipped", "running"]


def build(store, tasks: int, runs: int) -> None:  # type: ignore[no-untyped-def]
    from cluster import DAG, BashOperator
    from cluster.planning.serialization import digest, serialize_dag
    from cluster.store import dags as dag_store
    from cluster.store import runs as run_store
    from cluster.store.models import TaskInstance

    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    with DAG(DAG_ID, start_date=start, schedule=None) as dag:
        ops = [BashOperator(task_id=f"group{i // 100}.task{i}", bash_command="true")
               for i in range(tasks)]
        for i, op in enumerate(ops[100:], 100):
            op.set_upstream(ops[i - 100])
    dag.fileloc = "/bench/grid.py"
    data = serialize_dag(dag)
    dag_store.sync_dags(store, [data], {DAG_ID: digest(data)}, {}, [dag.fileloc])
    rng = random.Random(1)
    for n in range(runs):
        run = run_store.create_run(store, DAG_ID, {}, f"bench_{n}", start + dt.timedelta(days=n))
        run_store.start_run(store, run.id, data["tasks"])
        with store.engine.begin() as conn:  # end states and times, as a finished run has
            for state in set(STATES):
                ids = [t["task_id"] for t in data["tasks"] if rng.choice(STATES) == state]
                conn.execute(update(TaskInstance).where(
                    TaskInstance.run_pk == run.id, TaskInstance.task_id.in_(ids)).values(
                    state=state, try_number=1, start_date=run.created_at,
                    end_date=run.created_at + dt.timedelta(seconds=3), duration=3.0))


def serve(cluster, port: int):  # type: ignore[no-untyped-def]
    import uvicorn

    from cluster.web.app import create_app
    from cluster.web.settings import WebSettings

    web = WebSettings.from_env({"CHORDFLOW_WEBSERVER_ADMIN_USER": "bench",
                                "CHORDFLOW_WEBSERVER_ADMIN_PASSWORD": "bench-pass"})
    server = uvicorn.Server(uvicorn.Config(create_app(cluster, web), host="127.0.0.1",
                                           port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    return server


def fetch(url: str, token: str) -> tuple[float, int]:
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        size = len(response.read())
    return time.perf_counter() - began, size


def browser_open(base: str, repeats: int) -> list[float]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(120)
    try:
        driver.get(base + "/")
        driver.execute_script(
            "return fetch('/auth/login', {method: 'POST', headers: {'Content-Type': "
            "'application/json'}, body: JSON.stringify({username: 'bench', password: "
            "'bench-pass'})}).then(r => r.status)")
        times = []
        for _ in range(repeats):
            driver.get("about:blank")
            began = time.perf_counter()  # a cold page load: HTML, scripts, login check, grid
            driver.get(base + f"/#/dags/{DAG_ID}/grid")
            while not driver.execute_script(
                    "const g = document.getElementById('grid');"
                    "return g && g.querySelectorAll('.cell').length >= 25000"):
                time.sleep(0.05)
            times.append(time.perf_counter() - began)
        return times
    finally:
        driver.quit()


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.web_grid")
    p.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--tasks", type=int, default=1000)
    p.add_argument("--runs", type=int, default=25)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--browser", action="store_true", help="also time the page in Chromium")
    args = p.parse_args(argv)

    from cluster.config import Settings
    from cluster.control.services import Cluster
    from tests.servers import free_port

    name = "cf_bench_grid_" + uuid.uuid4().hex[:8]
    admin = create_engine(args.postgres.replace("postgresql://", "postgresql+psycopg2://", 1)
                          + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    cluster = None
    try:
        settings = Settings.from_env({"CHORDFLOW_DATABASE_URL": f"{args.postgres}/{name}",
                                      "CHORDFLOW_HOME": "/tmp/chordflow-bench-grid"})
        from cluster.store import Store

        schema = Store(settings.database_url)
        schema.upgrade()
        schema.dispose()
        cluster = Cluster.open(settings)
        began = time.perf_counter()
        build(cluster.store, args.tasks, args.runs)
        built = time.perf_counter() - began
        port = free_port()
        server = serve(cluster, port)
        base = f"http://127.0.0.1:{port}"
        token = json.loads(urllib.request.urlopen(urllib.request.Request(
            base + "/auth/token", data=json.dumps({"username": "bench", "password": "bench-pass"})
            .encode(), headers={"Content-Type": "application/json"})).read())["access_token"]
        url = f"{base}/ui/grid/{DAG_ID}?runs={args.runs}"
        fetch(url, token)  # warm: the DAG version is read once per process
        cpu_began = time.process_time()
        samples = [fetch(url, token) for _ in range(args.repeats)]
        # The web server runs in this process: its CPU per request, which a loaded
        # machine's wall-clock time hides (the database's own work is not in it).
        cpu = (time.process_time() - cpu_began) / args.repeats
        times = sorted(s for s, _ in samples)
        result = {
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tasks": args.tasks, "runs": args.runs, "cells": args.tasks * args.runs,
            "build_seconds": round(built, 2), "payload_bytes": samples[0][1],
            "grid_http_ms": {"median": round(statistics.median(times) * 1000, 1),
                             "p95": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
                             "max": round(times[-1] * 1000, 1)},
            "grid_server_cpu_ms": round(cpu * 1000, 1),
            "load_average": [round(x, 1) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result, indent=1), flush=True)
        if args.browser:
            page = sorted(browser_open(base, min(args.repeats, 5)))
            result["grid_page_ms"] = {"median": round(statistics.median(page) * 1000, 1),
                                      "max": round(page[-1] * 1000, 1)}
        server.should_exit = True
    finally:
        if cluster is not None:
            cluster.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
