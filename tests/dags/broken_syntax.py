from cluster import DAG
with DAG("t_broken_syntax") as dag
    pass
