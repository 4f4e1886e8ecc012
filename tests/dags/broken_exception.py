from cluster import DAG

with DAG("t_broken_exception") as dag:
    raise RuntimeError("this DAG file fails at import")
