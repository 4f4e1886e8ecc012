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

TEMPLATE = '''import socket
import time
from urllib.parse import urlsplit

from cluster import DAG, EmptyOperator, PythonOperator, chain

# Each try is a fresh process, so its span is written over a connection of its own, in
# Redis's wire protocol: redis-py's first connection in a process costs ~10 ms of package
# metadata lookups, the instrument's cost and not the orchestrator's (the floor's tasks
# keep one connection per worker process).
_BROKER = urlsplit({broker!r})


def _command(*words):
    out = [f"*{{len(words)}}\\r\\n".encode()]
    for word in words:
        raw = str(word).encode()
        out.append(b"$%d\\r\\n%s\\r\\n" % (len(raw), raw))
    return b"".join(out)


def noop(**context):
    """Records when the user's code started and ended, as the floor's task does."""
    start = time.time()
    try:
        with socket.create_connection((_BROKER.hostname, _BROKER.port or 6379),
                                      timeout=1) as conn:
            end = time.time()
            conn.sendall(_command("SELECT", _BROKER.path.lstrip("/") or "0")
                         + _command("HSET", "cfspan:" + context["run_id"],
                                    context["ti"].task_id, f"{{start:.6f}},{{end:.6f}}"))
            replies = b""
            while replies.count(b"\\r\\n") < 2:  # +OK, then :1
                chunk = conn.recv(64)
                if not chunk:
                    break
                replies += chunk
    except OSError:  # a task container without a route to the bench's Redis: the
        pass         # bench counts the spans it lacks and falls back to the store's


with DAG("bench_{name}", schedule=None):
    {body}
'''


def write(folder, broker: str) -> None:
    """The shapes' DAG files; their tasks record their code's own start and end in Redis."""
    for name, body in SHAPES.items():
        (folder / f"bench_{name}.py").write_text(
            TEMPLATE.format(name=name, body=body, broker=broker))
