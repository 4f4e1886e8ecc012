"""The MovieLens pipeline with DockerOperator, written exactly as for Airflow.

fetch_ratings pulls a day of ratings from the movielens API into /data/ratings/{ds}.json;
rank_movies ranks that day's movies into /data/rankings/{ds}.csv. The API credentials
come from the environment and reach the container as private (masked) variables.
"""
import datetime as dt
import os

from airflow import DAG
from airflow.providers.docker.operators.docker import DockerOperator

DATA_DIR = os.environ.get("MOVIELENS_DATA_DIR", "/tmp/chordflow/movielens")
NETWORK = os.environ.get("MOVIELENS_NETWORK", "bridge")

with DAG(
    dag_id="movielens_docker",
    description="Fetches ratings from the Movielens API using Docker.",
    start_date=dt.datetime(2019, 1, 1),
    end_date=dt.datetime(2019, 1, 3),
    schedule_interval="@daily",
    catchup=False,
) as dag:
    fetch_ratings = DockerOperator(
        task_id="fetch_ratings",
        image="chordflow/movielens-fetch:latest",
        command=[
            "fetch-ratings",
            "--start_date", "{{ ds }}",
            "--end_date", "{{ next_ds }}",
            "--output_path", "/data/ratings/{{ ds }}.json",
            "--host", os.environ.get("MOVIELENS_HOST", "http://movielens-api:5000"),
            "--batch_size", "500",
        ],
        environment={"MOVIELENS_USER": os.environ.get("MOVIELENS_USER", "airflow")},
        private_environment={"MOVIELENS_PASSWORD": os.environ.get("MOVIELENS_PASSWORD", "")},
        volumes=[f"{DATA_DIR}:/data"],
        network_mode=NETWORK,
        auto_remove="success",
    )

    rank_movies = DockerOperator(
        task_id="rank_movies",
        image="chordflow/movielens-ranking:latest",
        command=[
            "rank-movies",
            "--input_path", "/data/ratings/{{ ds }}.json",
            "--output_path", "/data/rankings/{{ ds }}.csv",
        ],
        volumes=[f"{DATA_DIR}:/data"],
        auto_remove="success",
    )

    fetch_ratings >> rank_movies
