"""A DAG file that imports the Docker and Kubernetes clients' types, as KPO and DockerOperator
DAGs do; its Python task must load and run inside the task runtime image."""
import datetime as dt

from docker.types import Mount
from kubernetes.client import models as k8s

from cluster import DAG, task

with DAG("t_provider_objects", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         schedule=None) as dag:

    @task
    def describe():
        volume = k8s.V1Volume(name="data", persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(
            claim_name="movielens"))
        mount = Mount(target="/data", source="movielens")
        return f"{volume.persistent_volume_claim.claim_name}:{mount['Target']}"

    describe()
