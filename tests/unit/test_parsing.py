"""Bad DAG files: each is an import error of one line naming what is wrong, and the good DAG
beside it still loads. Files are parsed in limited child processes (cluster/control/parsing.py)."""
from __future__ import annotations

import textwrap

import pytest

from cluster.control.parsing import parse_folder

HEAD = "import datetime as dt\nfrom cluster import DAG, BashOperator, EmptyOperator\n"
GOOD = HEAD + "with DAG('good', schedule=None):\n    EmptyOperator(task_id='ok')\n"


def dag_with(body: str, **dag_args: str) -> str:
    args = ", ".join(f"{k}={v}" for k, v in {"schedule": "None", **dag_args}.items())
    return HEAD + f"with DAG('bad', {args}) as dag:\n" + textwrap.indent(body, "    ") + "\n"


SYNTAX = {
    "missing_colon": "from cluster import DAG\nwith DAG('bad')\n    pass\n",
    "bad_indent": "from cluster import DAG\n  dag = DAG('bad')\n",
    "unclosed_paren": "from cluster import DAG\ndag = DAG('bad'\n",
    "unterminated_string": "from cluster import DAG\ndag = DAG('bad)\n",
    "stray_token": "from cluster import DAG\ndag = DAG('bad') $\n",
    "empty_def": "from cluster import DAG\ndef f():\ndag = DAG('bad')\n",
    "tabs_and_spaces": "from cluster import DAG\nif True:\n\tx = 1\n        y = 2\ndag = DAG('bad')\n",
    "walrus_at_top": "from cluster import DAG\nx := 1\ndag = DAG('bad')\n",
    "return_outside": "from cluster import DAG\nreturn DAG('bad')\n",
    "null_byte": "from cluster import DAG\ndag = DAG('bad')\x00\n",
    "invalid_unicode_escape": "from cluster import DAG\ndag = DAG('\\N{nope}')\n",
    "keyword_as_name": "from cluster import DAG\nclass = DAG('bad')\n",
}
EXCEPTIONS = {
    "value_error": ("raise ValueError('broken on purpose')", "ValueError: broken on purpose"),
    "key_error": ("{}['missing']", "KeyError: 'missing'"),
    "zero_division": ("1 / 0", "ZeroDivisionError"),
    "system_exit": ("import sys\nsys.exit(3)", "SystemExit: 3"),
    "os_exit": ("import os\nos._exit(7)", "exited with code 7"),
    "assertion": ("assert 1 == 2, 'numbers differ'", "AssertionError: numbers differ"),
    "recursion": ("def f(n):\n    return f(n + 1)\nf(0)", "RecursionError"),
    "custom": ("class Oops(Exception):\n    pass\nraise Oops('custom failure')", "Oops: custom failure"),
    "multiline_message": ("raise RuntimeError('first line\\nsecond line')", "RuntimeError: first line"),
    "name_error": ("undefined_name + 1", "NameError"),
    "type_error_in_operator": ("BashOperator(task_id='t', bash_command='x', no_such_arg=1)", "no_such_arg"),
    "keyboard_interrupt_like": ("raise GeneratorExit()", "GeneratorExit"),
    "segfault": ("import ctypes\nctypes.string_at(0)", "killed by SIGSEGV"),
    "self_kill": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
}
IMPORTS = {
    "missing_module": ("import no_such_module_xyz", "no_such_module_xyz"),
    "missing_name": ("from cluster import NoSuchOperator", "NoSuchOperator"),
    "unsupported_provider": ("from airflow.providers.snowflake.operators.snowflake import SnowflakeOperator",
                             "airflow.providers.snowflake"),
    "unsupported_airflow_name": ("from airflow.operators.python import NoSuchAirflowThing", "NoSuchAirflowThing"),
    "relative_import": ("from . import sibling", "ImportError"),
}
GRAPHS = {
    "two_cycle": ("a = EmptyOperator(task_id='a')\nb = EmptyOperator(task_id='b')\na >> b >> a", "cycle"),
    "three_cycle": ("a, b, c = (EmptyOperator(task_id=n) for n in 'abc')\na >> b >> c >> a", "cycle"),
    "self_loop": ("a = EmptyOperator(task_id='a')\na >> a", "a"),
    "cycle_in_large": ("ts = [EmptyOperator(task_id=f't{i}') for i in range(300)]\n"
                       "for x, y in zip(ts, ts[1:]):\n    x >> y\nts[-1] >> ts[100]", "cycle"),
    "duplicate_task_id": ("EmptyOperator(task_id='same')\nEmptyOperator(task_id='same')", "same"),
    "bad_task_id": ("EmptyOperator(task_id='has spaces!')", "has spaces!"),
    "bad_trigger_rule": ("EmptyOperator(task_id='t', trigger_rule='sometimes')", "sometimes"),
    "negative_retries": ("EmptyOperator(task_id='t', retries=-1)", "retries"),
}
SCHEDULES = {
    "not_cron": "'every tuesday'",
    "minute_out_of_range": "'61 * * * *'",
    "unknown_preset": "'@sometimes'",
    "number": "42",
    "zero_timedelta": "dt.timedelta(0)",
    "negative_timedelta": "dt.timedelta(days=-1)",
    "eight_fields": "'* * * * * * * *'",
    "three_fields": "'* * *'",
    "hour_25": "'0 25 * * *'",
    "zero_step": "'*/0 * * * *'",
}
RESOURCES = {
    "hangs_sleeping": ("import time\ntime.sleep(600)", "took longer than"),
    "hangs_busy": ("while True:\n    pass", "took longer than"),
    "allocates_at_once": ("block = bytearray(64 * 1024 ** 3)", "MemoryError"),
    "allocates_growing": ("chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024 ** 2))",
                          "MemoryError"),
}

CASES = (
    [pytest.param(src, "SyntaxError", id=f"syntax-{k}") for k, src in SYNTAX.items()]
    + [pytest.param(HEAD + code + "\n" + GOOD.replace("'good'", "'never'"), want,
                    id=f"exception-{k}") for k, (code, want) in EXCEPTIONS.items()]
    + [pytest.param(code + "\n" + HEAD + "dag = DAG('bad')\n", want, id=f"import-{k}")
       for k, (code, want) in IMPORTS.items()]
    + [pytest.param(dag_with(code), want, id=f"graph-{k}") for k, (code, want) in GRAPHS.items()]
    + [pytest.param(dag_with("EmptyOperator(task_id='t')", schedule=sched,
                             start_date="dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)"),
                    "schedule", id=f"schedule-{k}") for k, sched in SCHEDULES.items()]
    + [pytest.param(HEAD + code + "\n", want, id=f"resource-{k}")
       for k, (code, want) in RESOURCES.items()]
)


@pytest.mark.parametrize("source,expected", CASES)
def test_a_bad_dag_file_is_one_import_error_and_the_good_one_loads(tmp_path, source, expected):
    (tmp_path / "good_dag.py").write_text(GOOD)
    (tmp_path / "bad_dag.py").write_bytes(source.encode())
    # 3 s for the files that hang (the timeout is what they test); the others end on
    # their own, and on a loaded machine filling 1 GiB before its MemoryError can take 3 s
    parsed = parse_folder(tmp_path, timeout=3 if expected == "took longer than" else 60,
                          memory_mb=1024)
    assert parsed.dag_ids == ["good"], parsed.import_errors
    error = parsed.import_errors[str(tmp_path / "bad_dag.py")]
    assert expected.lower() in error.lower(), error
    assert "\n" not in error and len(error) < 500 and "Traceback" not in error


def test_duplicate_dag_ids_across_files_keep_the_first(tmp_path):
    for name in ("a_dag.py", "b_dag.py"):
        (tmp_path / name).write_text(HEAD + "dag = DAG('same', schedule=None)\n")
    parsed = parse_folder(tmp_path, timeout=10)
    assert parsed.dag_ids == ["same"]
    assert "already defined in" in parsed.import_errors[str(tmp_path / "b_dag.py")]


def test_a_dag_of_twenty_thousand_tasks_loads(tmp_path):
    (tmp_path / "huge_dag.py").write_text(HEAD + textwrap.dedent("""
        with DAG('huge', schedule=None):
            tasks = [EmptyOperator(task_id=f't{i}') for i in range(20000)]
            for i in range(1, 20000):
                tasks[(i - 1) // 4] >> tasks[i]
    """))
    parsed = parse_folder(tmp_path, timeout=120)
    assert parsed.import_errors == {}
    assert len(parsed.serialized["huge"]["tasks"]) == 20000


def test_a_vanished_folder_is_a_config_error(tmp_path):
    from cluster.errors import ConfigError

    with pytest.raises(ConfigError, match="does not exist"):
        parse_folder(tmp_path / "gone")
