"""The seed pipeline: movielens_docker for three logical dates on two docker-runner workers."""
import csv
import json
import uuid

import pytest
import redis as redis_lib

from cluster.control import services
from tests.conftest import ROOT
from tests.servers import docker_client, wait_for

IMAGES = ["chordflow/movielens-api:latest", "chordflow/movielens-fetch:latest",
          "chordflow/movielens-ranking:latest", "chordflow/runtime:latest"]
PASSWORD = "ml-pass-" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    client = docker_client(IMAGES)
    network = client.networks.create("cfml-" + uuid.uuid4().hex[:6])
    container = client.containers.run(
        "chordflow/movielens-api:latest", detach=True, name=f"movielens-api-{network.name}",
        environment={"API_USER": "airflow", "API_PASSWORD": PASSWORD},
        network=network.name)
    network.disconnect(container)
    network.connect(container, aliases=["movielens-api"])
    data = tmp_path_factory.mktemp("movielens")
    yield network.name, data
    container.remove(force=True)
    network.remove()


def test_movielens_pipeline_for_three_days(api, cluster_env):
    network, data = api
    env = {"CHORDFLOW_DAGS_FOLDER": str(ROOT / "dagdefs"), "MOVIELENS_NETWORK": network,
           "MOVIELENS_DATA_DIR": str(data), "MOVIELENS_USER": "airflow",
           "MOVIELENS_PASSWORD": PASSWORD}
    cluster_env.scheduler(**env)
    broker = redis_lib.Redis.from_url(cluster_env.env["CHORDFLOW_BROKER_URL"])
    days = ["2019-01-01", "2019-01-02", "2019-01-03"]
    for day in days:
        done = cluster_env.cli("trigger", "movielens_docker", "--logical-date", day, **env)
        assert done.returncode == 0, done.stderr
    # Before any worker runs: the three runs' messages, as Redis holds them.
    messages = wait_for(lambda: len(broker.lrange("celery", 0, -1)) >= 3 and
                        broker.lrange("celery", 0, -1), 60, what="the three runs' messages")
    cluster_env.worker(concurrency=1, name="ml1", CHORDFLOW_RUNNER="docker", **env)
    cluster_env.worker(concurrency=1, name="ml2", CHORDFLOW_RUNNER="docker", **env)
    handle = cluster_env.cluster()
    runs = services.list_runs(handle, "movielens_docker")
    assert len(runs) == 3
    for run in runs:
        final = services.wait(handle, run.id, timeout=300)
        _, tis = services.run_details(handle, run.id)
        logs = {t.task_id: "".join(x for _, x in services.task_logs(handle, run.id, t.task_id))
                for t in tis}
        assert final.state == "success", logs
        assert PASSWORD not in "".join(logs.values())
        assert "fetched " in logs["fetch_ratings"] and "ranked " in logs["rank_movies"]
    handle.close()
    for day in days:
        ratings = json.loads((data / "ratings" / f"{day}.json").read_text())
        assert ratings and all(r["timestamp"] for r in ratings)
        rows = list(csv.DictReader((data / "rankings" / f"{day}.csv").open()))
        assert rows and set(rows[0]) == {"movieId", "avg_rating", "num_ratings"}
        averages = [float(r["avg_rating"]) for r in rows]
        assert averages == sorted(averages, reverse=True)
    assert messages and all(PASSWORD.encode() not in m for m in messages)
