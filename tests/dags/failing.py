import datetime as dt

from cluster import DAG, BashOperator, PythonOperator


def boom():
    print("about to fail")
    raise ValueError("boom on purpose")


with DAG("t_failing", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)) as dag:
    ok = BashOperator(task_id="ok", bash_command="echo fine")
    bad = PythonOperator(task_id="bad", python_callable=boom)
    after = BashOperator(task_id="after", bash_command="echo never")
    after2 = BashOperator(task_id="after2", bash_command="echo never")
    side = BashOperator(task_id="side", bash_command="echo side ran")
    ok >> bad >> after >> after2
    ok >> side
