import datetime as dt

from cluster import DAG, BashOperator, task

with DAG("t_xcom", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         params={"n": 3}) as dag:

    @task
    def produce(params=None):
        return {"numbers": list(range(params["n"])), "label": "abc"}

    @task
    def consume(payload: dict, dag_run=None):
        total = sum(payload["numbers"]) + int(dag_run.conf.get("extra", 0))
        print(f"total={total}")
        return total

    shout = BashOperator(
        task_id="shout",
        bash_command="echo total is {{ ti.xcom_pull(task_ids='consume') }} on {{ ds }}",
    )
    consume(produce()) >> shout
