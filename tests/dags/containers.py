import datetime as dt
import os

from cluster import DAG, BashOperator, task
from cluster.sdk.operators.docker import DockerOperator

IMAGE = os.environ.get("CHORDFLOW_RUNTIME_IMAGE", "chordflow/runtime:latest")
START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

with DAG("t_docker_python", start_date=START) as py_dag:

    @task
    def where():
        import socket
        return {"host": socket.gethostname(), "uid": os.getuid()}

    @task
    def echo(info: dict):
        print(f"upstream ran as uid {info['uid']} on {info['host']}")
        return info["uid"]

    echo(where())

with DAG("t_docker_output", start_date=START):

    @task
    def loud():
        """Its last lines, on both streams, right before it returns: the try is concluded
        on the container's end mark, which comes after all of them."""
        import sys
        for i in range(2000):
            print(f"out line {i}")
            print(f"err line {i}", file=sys.stderr)
        return "loud"

    loud()

with DAG("t_docker_operator", start_date=START, params={"out": "/tmp"}) as op_dag:
    write = DockerOperator(
        task_id="write", image=IMAGE, user="0",
        command=["sh", "-c", "echo $GREETING > /out/greeting.txt; echo token=$API_TOKEN; "
                             "echo done-{{ ds_nodash }}"],
        environment={"GREETING": "hello from {{ ds }}"},
        private_environment={"API_TOKEN": "tok-very-secret-42"},
        volumes=[os.environ.get("CHORDFLOW_TEST_OUT", "/tmp") + ":/out"],
    )
    fail = DockerOperator(task_id="fail", image=IMAGE, command="sh -c 'echo dying; exit 3'")
    write >> fail

with DAG("t_docker_timeout", start_date=START) as timeout_dag:
    BashOperator(task_id="sleepy", bash_command="echo sleeping; sleep 60",
                 execution_timeout=dt.timedelta(seconds=3))

with DAG("t_docker_slow", start_date=START) as slow_dag:
    # a killed worker's try uses up a retry, as in Airflow: one is left for the next worker
    BashOperator(task_id="slow", bash_command="echo started; sleep 20; echo finished", retries=1,
                 retry_delay=dt.timedelta(seconds=1))
