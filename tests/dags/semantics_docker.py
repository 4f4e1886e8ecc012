"""DockerOperator's output arguments: xcom_all, retrieve_output, force_pull."""
import datetime as dt
import os

from airflow import DAG
from airflow.providers.docker.operators.docker import DockerOperator

IMAGE = os.environ.get("CHORDFLOW_RUNTIME_IMAGE", "chordflow/runtime:latest")
START = dt.datetime(2024, 1, 1)

with DAG("sd_outputs", schedule=None, start_date=START) as sd_outputs:
    DockerOperator(task_id="all_lines", image=IMAGE,
                   command=["sh", "-c", "echo one; echo two; echo three"], xcom_all=True)
    DockerOperator(task_id="last_line", image=IMAGE,
                   command=["sh", "-c", "echo one; echo two; echo three"])
    DockerOperator(
        task_id="pickled", image=IMAGE, retrieve_output=True,
        retrieve_output_path="/tmp/result.pickle",
        command=["python", "-c", "import pickle; pickle.dump({'rows': [1, 2], 'ok': True}, "
                                 "open('/tmp/result.pickle', 'wb')); print('written')"])

with DAG("sd_force_pull", schedule=None, start_date=START) as sd_force_pull:
    # a local-only image: pulling it must be tried (and fail), not skipped
    DockerOperator(task_id="pull", image=IMAGE, command="true", force_pull=True)
