"""A warm container's DAG file loaded ahead of its try (workers/task_api/task_side.py): used
only for a try of that file, unchanged since; a file that cannot load yet is left to the try."""
import os

from workers.task_api.task_side import load_ahead

DAG_FILE = '''
import datetime as dt
from cluster import DAG, EmptyOperator

with DAG("ahead_{n}", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)):
    EmptyOperator(task_id="t")
'''


def test_a_dag_file_loaded_ahead_fits_only_its_own_unchanged_file(tmp_path):
    (tmp_path / "one.py").write_text(DAG_FILE.format(n=1))
    (tmp_path / "two.py").write_text(DAG_FILE.format(n=2))
    ahead = load_ahead(tmp_path, "one.py")
    assert ahead is not None and [d.dag_id for d in ahead.dags] == ["ahead_1"]
    assert ahead.fits(tmp_path, "one.py")
    assert not ahead.fits(tmp_path, "two.py")
    stat = os.stat(tmp_path / "one.py")
    os.utime(tmp_path / "one.py", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert not ahead.fits(tmp_path, "one.py")  # changed since: the try loads it again
    (tmp_path / "one.py").unlink()
    assert not ahead.fits(tmp_path, "one.py")


def test_a_dag_file_that_cannot_load_ahead_is_left_to_the_try(tmp_path):
    (tmp_path / "reads.py").write_text("raise RuntimeError('reads a Variable at the top')\n")
    assert load_ahead(tmp_path, "reads.py") is None
    assert load_ahead(tmp_path, "missing.py") is None
