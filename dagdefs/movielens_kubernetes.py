"""The MovieLens pipeline with KubernetesPodOperator, written exactly as for Airflow.

fetch_ratings pulls a day of ratings from the movielens API into /data/ratings/{ds}.json;
rank_movies ranks that day's movies into /data/rankings/{ds}.csv. Both pods mount the
claim `data-volume` at /data. The API credentials come from the Kubernetes Secret
`movielens-api` (keys `user` and `password`) as environment variables, which Kubernetes
substitutes for $(MOVIELENS_USER) and $(MOVIELENS_PASSWORD) in the arguments: they
never appear in this file, the pod spec or the task log.
"""
import datetime as dt
import os

from airflow import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.cncf.kubernetes.secret import Secret
from kubernetes.client import models as k8s

NAMESPACE = os.environ.get("MOVIELENS_NAMESPACE", "default")
PULL_POLICY = os.environ.get("MOVIELENS_IMAGE_PULL_POLICY", "IfNotPresent")
# The API's Service by name; a cluster without DNS for pods reaches it by address instead.
API_URL = os.environ.get("MOVIELENS_API_URL", "http://movielens-api:5000")

data_volume = k8s.V1Volume(
    name="data-volume",
    persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(claim_name="data-volume"),
)
data_volume_mount = k8s.V1VolumeMount(name="data-volume", mount_path="/data", read_only=False)

api_user = Secret("env", "MOVIELENS_USER", "movielens-api", "user")
api_password = Secret("env", "MOVIELENS_PASSWORD", "movielens-api", "password")

with DAG(
    dag_id="movielens_kubernetes",
    description="Fetches ratings from the Movielens API using Kubernetes.",
    start_date=dt.datetime(2019, 1, 1),
    end_date=dt.datetime(2019, 1, 3),
    schedule_interval="@daily",
    catchup=False,
) as dag:
    fetch_ratings = KubernetesPodOperator(
        task_id="fetch_ratings",
        image="chordflow/movielens-fetch:latest",
        cmds=["fetch-ratings"],
        arguments=[
            "--start_date", "{{ds}}",
            "--end_date", "{{next_ds}}",
            "--output_path", "/data/ratings/{{ds}}.json",
            "--user", "$(MOVIELENS_USER)",
            "--password", "$(MOVIELENS_PASSWORD)",
            "--host", API_URL,
        ],
        namespace=NAMESPACE,
        name="fetch-ratings",
        secrets=[api_user, api_password],
        volumes=[data_volume],
        volume_mounts=[data_volume_mount],
        image_pull_policy=PULL_POLICY,
        is_delete_operator_pod=True,
        get_logs=True,
        startup_timeout_seconds=300,
    )

    rank_movies = KubernetesPodOperator(
        task_id="rank_movies",
        image="chordflow/movielens-ranking:latest",
        cmds=["rank-movies"],
        arguments=[
            "--input_path", "/data/ratings/{{ds}}.json",
            "--output_path", "/data/rankings/{{ds}}.csv",
        ],
        namespace=NAMESPACE,
        name="rank-movies",
        volumes=[data_volume],
        volume_mounts=[data_volume_mount],
        image_pull_policy=PULL_POLICY,
        is_delete_operator_pod=True,
        get_logs=True,
        startup_timeout_seconds=300,
    )

    fetch_ratings >> rank_movies
