"""DAGs the pod-runner end-to-end tests run with every task as a pod (tests/e2e_kubernetes)."""
import datetime as dt

from cluster import DAG, BashOperator, task

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

with DAG("t_kube_xcom", start_date=START) as xcom_dag:

    @task
    def produce():
        import os
        import socket
        return {"n": 21, "uid": os.getuid(), "host": socket.gethostname()}

    @task
    def double(value: dict):
        print(f"doubling {value['n']} from uid {value['uid']} on {value['host']}")
        return value["n"] * 2

    show = BashOperator(task_id="show", bash_command="echo total={{ ti.xcom_pull('double') }}")
    double(produce()) >> show

with DAG("t_kube_retry", start_date=START) as retry_dag:

    @task(retries=1, retry_delay=dt.timedelta(seconds=1))
    def flaky(ti=None):
        if ti.try_number < 2:
            raise ValueError(f"try {ti.try_number} fails on purpose")
        print(f"try {ti.try_number} succeeds")
        return ti.try_number

    @task
    def broken():
        raise RuntimeError("broken on purpose")

    @task
    def after_broken():
        print("never runs")

    flaky()
    broken() >> after_broken()

with DAG("t_kube_timeout", start_date=START) as timeout_dag:
    BashOperator(task_id="sleepy", bash_command="echo sleeping; sleep 300",
                 execution_timeout=dt.timedelta(seconds=5))

with DAG("t_kube_slow", start_date=START, max_active_runs=4) as slow_dag:
    BashOperator(task_id="slow", bash_command="echo started; sleep 300; echo finished")

with DAG("t_kube_lines", start_date=START) as lines_dag:
    # 60 numbered lines over about 15 s, each exactly once in the log whatever the stream does.
    BashOperator(task_id="count", bash_command=(
        "i=1; while [ $i -le 60 ]; do echo line-$i; i=$((i+1)); sleep 0.25; done"))

with DAG("t_kube_secrets", start_date=START) as secrets_dag:

    @task
    def use_secrets(ti=None):
        """A Variable and a Connection read, and a Variable written, from a pod: through
        the worker's task API (the pod has no database credentials)."""
        import os

        from airflow.hooks.base import BaseHook
        from airflow.models import Variable

        conn = BaseHook.get_connection("kube_db")
        print(f"host={conn.host} login={conn.login} password={conn.password} "
              f"token={Variable.get('kube_token')}")
        Variable.set("kube_written", f"{ti.task_id}:{ti.try_number}")
        return {"host": conn.host, "port": conn.port, "schema": conn.schema,
                "plain": Variable.get("kube_plain"),
                "missing": Variable.get("kube_nope", default_var="dflt"),
                "database_url_in_env": any("DATABASE_URL" in k for k in os.environ)}

    use_secrets()
