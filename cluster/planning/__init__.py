"""From a DAG to what Celery runs: serialization of a DAG version, the compiler and the
canvas (pure: no SQL, no broker)."""
