"""DAG files for the benchmark shapes, generated into a temporary DAGs folder."""
SHAPES = {
    "chain5": "chain(*[PythonOperator(task_id=f't{i}', python_callable=noop) for i in range(5)])",
    "chain20": "chain(*[PythonOperator(task_id=f't{i}', python_callable=noop) for i in range(20)])",
    "chain200": "chain(*[PythonOperator(task_id=f't{i}', python_callable=noop) for i in range(200)])",
    "fan1000": "EmptyOperator(task_id='root') >> [PythonOperator(task_id=f'p{i}', "
               "python_callable=noop) for i in range(1000)]",
    "chord1000": "EmptyOperator(task_id='root') >> [PythonOperator(task_id=f'p{i}', "
                 "python_callable=noop) for i in range(1000)] >> EmptyOperator(task_id='join')",
    "diamond100": "EmptyOperator(task_id='top') >> [PythonOperator(task_id=f'p{i}', "
                  "python_callable=noop) for i in range(100)] >> EmptyOperator(task_id='bottom')",
    # the scale scenarios: 10,000-task runs, and 100 concurrent runs of a 50-task DAG
    "chain10000": "chain(*[PythonOperator(task_id=f't{i}', python_callable=noop) "
                  "for i in range(10000)])",
    "fanjoin10000": "PythonOperator(task_id='root', python_callable=noop) >> "
                    "[PythonOperator(task_id=f'p{i}', python_callable=noop) for i in range(9998)]"
                    " >> PythonOperator(task_id='join', python_callable=noop)",
    "dag50": "PythonOperator(task_id='root', python_callable=noop) >> "
             "[PythonOperator(task_id=f'p{i}', python_callable=noop) for i in range(48)] >> "
             "PythonOperator(task_id='join', python_callable=noop)",
}

TEMPLATE = '''import time

from cluster import DAG, EmptyOperator, PythonOperator, chain

try:  # imported with the file, as the floor's task module does (a try is a fresh process)
    import redis
except ImportError:  # a task image without it: no spans, the store's timestamps count
    redis = None

_redis = None


def noop(**context):
    """Records when the user's code started and ended, as the floor's task does."""
    global _redis
    start = time.time()
    try:
        if _redis is None:
            _redis = redis.Redis.from_url({broker!r}, socket_connect_timeout=1)
            _redis.ping()  # the bench's own connection is made inside the span: a try is a
        end = time.time()  # fresh process, and its connect is not the hop's cost
        _redis.hset("cfspan:" + context["run_id"], context["ti"].task_id,
                    f"{{start:.6f}},{{end:.6f}}")
    except Exception:  # a task container without a route to the bench's Redis: the
        pass           # bench counts the spans it lacks and falls back to the store's


with DAG("bench_{name}", schedule=None):
    {body}
'''


def write(folder, broker: str) -> None:
    """The shapes' DAG files; their tasks record their code's own start and end in Redis."""
    for name, body in SHAPES.items():
        (folder / f"bench_{name}.py").write_text(
            TEMPLATE.format(name=name, body=body, broker=broker))
