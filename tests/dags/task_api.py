"""The task API's semantics, the same under every runner: variables, connections,
templates, big XComs and conf, signals, forged marker lines, the try's environment."""
import datetime as dt
import os

from airflow import DAG
from airflow.exceptions import AirflowFailException, AirflowSkipException
from airflow.hooks.base import BaseHook
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from airflow.sensors.python import PythonSensor

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
BIG = 10 * 1024 * 1024
FORGED = ["::chordflow-result:: 666", '::chordflow-xcom:: {"key": "forged", "value": 1}',
          "::chordflow-skip:: forged", "::chordflow-fail:: forged",
          "::chordflow-reschedule:: 2030-01-01T00:00:00+00:00", "::chordflow-result:: {broken"]


def use_secrets(ti, dag_run):
    conn = BaseHook.get_connection("api_db")
    print(f"host={conn.host} login={conn.login} password={conn.password} "
          f"token={Variable.get('api_token')} plain={Variable.get('api_plain')}")
    Variable.set("api_written", f"{ti.task_id}:{ti.try_number}")
    env = dict(os.environ)
    ti.xcom_push("env", env)
    ti.xcom_push("conf_size", len(dag_run.conf.get("blob", "")))
    return {"host": conn.host, "port": conn.port, "schema": conn.schema,
            "extra": conn.extra_dejson, "missing": Variable.get("nope", default_var="dflt")}


def push_big():
    return "x" * BIG


def pull_big(ti):
    value = ti.xcom_pull(task_ids="push_big")
    many = ti.xcom_pull(task_ids=["push_big", "use_secrets", "nothing_here"])
    upstream = ti.xcom_pull()  # no task ids: the upstream tasks' values
    return {"len": len(value), "many": [len(many[0]), many[1]["host"], many[2]],
            "upstream": len(upstream)}


def forge():
    for line in FORGED:
        print(line)
    return "real"


def skip_me():
    raise AirflowSkipException("nothing to do today")


def fail_hard():
    raise AirflowFailException("no point retrying")


def poke_twice():
    seen = int(Variable.get("api_pokes", default_var="0")) + 1
    Variable.set("api_pokes", str(seen))
    return seen >= 2


with DAG("t_task_api", start_date=START, schedule=None, catchup=False) as dag:
    secrets = PythonOperator(task_id="use_secrets", python_callable=use_secrets)
    templated = BashOperator(
        task_id="templated",
        bash_command="echo 'var={{ var.value.api_plain }} host={{ conn.api_db.host }} "
                     "pw={{ conn.api_db.password }} json={{ var.json.api_json.n }}'")
    big = PythonOperator(task_id="push_big", python_callable=push_big)
    pulled = PythonOperator(task_id="pull_big", python_callable=pull_big)
    forged = PythonOperator(task_id="forge", python_callable=forge)
    skipped = PythonOperator(task_id="skip_me", python_callable=skip_me)
    failed = PythonOperator(task_id="fail_hard", python_callable=fail_hard, retries=3,
                            retry_delay=dt.timedelta(seconds=0))
    rescheduled = PythonSensor(task_id="poke_twice", python_callable=poke_twice,
                               mode="reschedule", poke_interval=1, timeout=120)
    secrets >> templated
    [big, secrets] >> pulled


class CleaningSleep(PythonOperator):
    """Says so when its try is stopped: `on_kill` runs in the try's process."""

    def on_kill(self):
        print("on_kill: cleaning up", flush=True)


with DAG("t_process_timeout", start_date=START, schedule=None, catchup=False) as timeouts:
    BashOperator(task_id="bash_sleep", bash_command="echo sleeping; sleep 20; echo woke",
                 execution_timeout=dt.timedelta(seconds=2))
    CleaningSleep(task_id="python_sleep",
                  python_callable=lambda: (print("sleeping", flush=True),
                                           __import__("time").sleep(20), print("woke")),
                  execution_timeout=dt.timedelta(seconds=2))


def show_token():
    return {k: v for k, v in os.environ.items() if k.startswith("CHORDFLOW_TASK")}


def hold(ti):
    print(f"holding with {ti.xcom_pull(task_ids='produce')}", flush=True)
    __import__("time").sleep(15)


with DAG("t_task_token", start_date=START, schedule=None, catchup=False) as token_dag:
    PythonOperator(task_id="show_token", python_callable=show_token)
    produce = PythonOperator(task_id="produce", python_callable=lambda: "xcom-value-8c1f2e")
    produce >> PythonOperator(task_id="hold", python_callable=hold)


with DAG("t_process_slow", start_date=START, schedule=None, catchup=False) as slow_dag:
    BashOperator(task_id="slow", bash_command="echo started; sleep 30; echo woke")


_TRIES_HERE = []  # what earlier tries in this process left behind: nothing, in a fresh one


def fresh_process(ti):
    _TRIES_HERE.append(ti.task_id)
    print(f"fresh: pid={os.getpid()} tries-here={len(_TRIES_HERE)}", flush=True)


with DAG("t_process_fresh", start_date=START, schedule=None, catchup=False) as fresh_dag:
    first_try = PythonOperator(task_id="one", python_callable=fresh_process)
    first_try >> PythonOperator(task_id="two", python_callable=fresh_process) \
        >> PythonOperator(task_id="three", python_callable=fresh_process)
