from cluster import DAG, EmptyOperator

with DAG("t_broken_cycle") as dag:
    a, b, c = (EmptyOperator(task_id=n) for n in "abc")
    a >> b >> c >> a
