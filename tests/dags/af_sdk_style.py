"""Airflow 3 style: everything from `airflow.sdk`, a Variable with a default, and
`get_current_context()` from code the task calls. Runs unchanged."""
from datetime import datetime

from airflow.sdk import DAG, Variable, dag, get_current_context, task


def describe_run():
    context = get_current_context()
    return f"{context['dag'].dag_id}/{context['ti'].task_id} for {context['ds']}"


@dag(dag_id="af_sdk_style", schedule=None, start_date=datetime(2025, 1, 1), catchup=False,
     tags=["airflow3"])
def sdk_pipeline():
    @task
    def read_settings():
        environment = Variable.get("af_environment", default_var="dev")
        batch = Variable.get("af_batch_size", default="50")
        print(f"environment={environment} batch={batch} in {describe_run()}")
        return {"environment": environment, "batch": int(batch)}

    @task
    def announce(settings: dict):
        context = get_current_context()
        print(f"announcing {settings['environment']} from {context['ti'].task_id}")
        return settings["batch"] * 2

    announce(read_settings())


sdk_pipeline()

with DAG(dag_id="af_sdk_with_block", schedule=None, start_date=datetime(2025, 1, 1),
         catchup=False) as with_block:
    @task
    def which_run():
        return get_current_context()["dag_run"].run_id

    which_run()
