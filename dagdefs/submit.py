"""Submit script: trigger a DAG run on the cluster, wait, print its task table and a log.

    CHORDFLOW_DATABASE_URL=... CHORDFLOW_BROKER_URL=... python dagdefs/submit.py example_etl '{"orders": 500}'

With no CHORDFLOW_BROKER_URL the run executes embedded in this process.
"""
import json
import sys

from cluster.client import Client


def main(argv: list[str]) -> int:
    dag_id = argv[1] if len(argv) > 1 else "example_etl"
    conf = json.loads(argv[2]) if len(argv) > 2 else {}
    with Client() as client:
        run = client.trigger(dag_id, conf=conf, wait=True)
        for t in run.tasks:
            print(f"{t.task_id:20} {t.state:16} try {t.try_number}  {t.duration or 0:.3f}s")
        print(f"run {run.id}: {run.state}")
        last = run.tasks[-1].task_id if run.tasks else None
        if last:
            print(f"--- log of {last} ---")
            print(client.logs(run, last))
        return 0 if run.succeeded else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
