"""DAGs the web server's tests drive: typed Params for the trigger form, a task whose log
grows while it runs (it waits for a release file), a failure with retries, a mapped task."""
import datetime as dt
import os
import time

from cluster import DAG, BashOperator, PythonOperator
from cluster.sdk.params import Param

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def greet(params=None):
    words = [params["greeting"]] * params["count"]
    print("greeting:", " ".join(words))
    return {"said": len(words)}


def held(dag_run=None):
    """Prints, then waits until the test drops a release file for this run."""
    print("first half", flush=True)
    release = os.path.join(os.environ["CHORDFLOW_TEST_OUT"], "release-" + dag_run.run_id
                           .replace(":", "_").replace("+", "_"))
    deadline = time.monotonic() + float(dag_run.conf.get("hold", 0))
    while time.monotonic() < deadline and not os.path.exists(release):
        time.sleep(0.05)
    print("second half", flush=True)


with DAG("w_params", start_date=START, schedule=None, tags=["web"],
         params={"count": Param(2, type="integer", minimum=1, maximum=5,
                                description="How many times"),
                 "greeting": Param("hello", enum=["hello", "hi"])}) as params_dag:
    say = PythonOperator(task_id="say", python_callable=greet)
    hold = PythonOperator(task_id="hold", python_callable=held)
    done = BashOperator(task_id="done", bash_command="echo done")
    say >> hold >> done


def flaky():
    raise RuntimeError("flaky failed on purpose")


with DAG("w_retry", start_date=START, schedule=None, tags=["web"]) as retry_dag:
    first = BashOperator(task_id="first", bash_command="echo first")
    bad = PythonOperator(task_id="bad", python_callable=flaky, retries=1,
                         retry_delay=dt.timedelta(seconds=0))
    never = BashOperator(task_id="never", bash_command="echo never")
    first >> bad >> never


with DAG("w_slow_retry", start_date=START, schedule=None, tags=["flower"]) as slow_retry_dag:
    PythonOperator(task_id="bad", python_callable=flaky, retries=1,
                   retry_delay=dt.timedelta(seconds=120))


def skip_me():
    from cluster.errors import AirflowSkipException

    raise AirflowSkipException("nothing to do today")


with DAG("w_skip", start_date=START, schedule=None, tags=["flower"]) as skip_dag:
    check = PythonOperator(task_id="check", python_callable=skip_me)
    follow = BashOperator(task_id="follow", bash_command="echo follows")
    final = BashOperator(task_id="final", bash_command="echo final", trigger_rule="all_done")
    check >> follow >> final
