"""Bad input: a one-line reason on stderr, exit code 2, no traceback, nothing written."""
import pytest

from cluster.control import services


@pytest.fixture(scope="module")
def cli(cluster_env):
    return cluster_env


CASES = [
    (["trigger", "no_such_dag"], "no DAG with id 'no_such_dag'"),
    (["trigger", "t_chain", "--conf", "{not json"], "--conf is not valid JSON"),
    (["trigger", "t_chain", "--conf", "[1, 2]"], "--conf must be a JSON object"),
    (["trigger", "t_chain", "--bogus-flag"], "No such option '--bogus-flag'"),
    (["runs", "show", "424242"], "no DAG run with id 424242"),
    (["runs", "show", "t_chain/nope"], "no DAG run 't_chain/nope'"),
    (["tasks", "logs", "424242", "x"], "no DAG run with id 424242"),
    (["worker", "--autoscale", "2,8"], "expected MAX,MIN"),
    (["runs", "list", "--limit", "0"], "0 is not in the range"),
    (["no-such-command"], "No such command 'no-such-command'"),
]


# Generated: malformed --conf, unknown flags on every command, dates out of range.
CONF = {"{": "not valid JSON", "[1, 2]": "must be a JSON object", '"text"': "must be a JSON object",
        "42": "must be a JSON object", "null": "must be a JSON object", "{'a': 1}": "not valid JSON",
        '{"a": }': "not valid JSON", '{"a": NaN': "not valid JSON", "": "not valid JSON",
        "[" * 100000: "nested too deeply"}
CASES += [(["trigger", "t_chain", "--conf", text], why) for text, why in CONF.items()]
COMMANDS = [["trigger", "t_chain"], ["runs", "list"], ["runs", "show", "1"], ["dags", "list"],
            ["dags", "errors"], ["tasks", "logs", "1", "a"], ["worker"], ["scheduler"],
            ["db", "upgrade"], ["config", "show"], ["run", "dagdefs/example_etl.py"]]
CASES += [(cmd + ["--no-such-flag"], "No such option '--no-such-flag'") for cmd in COMMANDS]
DATES = {"10000-01-01": "not an ISO 8601 date", "2024-13-01": "not an ISO 8601 date",
         "2024-02-30": "not an ISO 8601 date", "yesterday": "not an ISO 8601 date",
         "0000-00-00": "not an ISO 8601 date", "2024-01-01T25:00": "not an ISO 8601 date",
         "": "not an ISO 8601 date", "1e9": "not an ISO 8601 date"}
CASES += [(["trigger", "t_chain", "--logical-date", text], why) for text, why in DATES.items()]
CASES += [(["tasks", "logs", "1", "a", "--try", "0"], "0 is not in the range"),
          (["runs", "list", "--limit", "many"], "'many' is not a valid integer"),
          (["worker", "-c", "0"], "0 is not in the range"),
          (["worker", "--autoscale", "x,y"], "expected MAX,MIN"),
          (["run", "no/such/file.py"], "does not exist"),
          (["trigger"], "Missing argument 'DAG_ID'")]


@pytest.mark.parametrize("args,message", CASES)
def test_bad_arguments(cli, args, message):
    done = cli.cli(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


# Garbage in every CHORDFLOW_* setting that is checked when read.
GARBAGE = {
    "DATABASE_URL": "garbage", "BROKER_URL": "garbage", "RESULT_BACKEND": "garbage://x",
    "RUNNER": "ssh", "RUNTIME_IMAGE": "::bad::", "RUNTIME_IMAGE_PULL_POLICY": "Sometimes",
    "KUBERNETES_NAMESPACE": "Bad NS!", "KUBERNETES_IN_CLUSTER": "maybe",
    "KUBERNETES_STARTUP_TIMEOUT": "inf", "KUBERNETES_SWEEP_NAMESPACES": "ok,NOT_OK",
    "QUEUED_TIMEOUT": "-5", "SCHEDULER_INTERVAL": "x", "DAG_DIR_LIST_INTERVAL": "0",
    "DAG_FILE_PROCESSOR_TIMEOUT": "nan", "DAG_FILE_MEMORY_LIMIT_MB": "lots",
    "HEARTBEAT_INTERVAL": "-1", "ZOMBIE_THRESHOLD": "soon", "VISIBILITY_TIMEOUT": "1.5x",
    "LOG_LEVEL": "LOUD", "FERNET_KEY": "short", "DAGS_FOLDER": "/nonexistent/dags",
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_in_a_setting_is_one_line_naming_it(cli, name):
    done = cli.cli("dags", "list", **{f"CHORDFLOW_{name}": GARBAGE[name]})
    assert done.returncode == 2, done.stdout + done.stderr
    assert (f"CHORDFLOW_{name}" in done.stderr or "does not exist" in done.stderr), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize("env,message", [
    ({"CHORDFLOW_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}, "cannot reach the database"),
    ({"CHORDFLOW_BROKER_URL": "redis://127.0.0.1:1/0"}, "cannot reach the broker"),
    ({"CHORDFLOW_DAGS_FOLDER": "/nonexistent/dags"}, "does not exist"),
    ({"CHORDFLOW_RUNNER": "ssh"}, "CHORDFLOW_RUNNER"),
    ({"CHORDFLOW_QUEUED_TIMEOUT": "soon"}, "CHORDFLOW_QUEUED_TIMEOUT"),
])
def test_unreachable_services_and_bad_settings(cli, env, message):
    args = ["dags", "list"] if "DAGS_FOLDER" in str(env) else ["trigger", "t_chain"]
    done = cli.cli(*args, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and done.stderr.count("\n") == 1


def test_verbose_shows_the_traceback(cli):
    done = cli.cli("--verbose", "trigger", "t_chain", "--conf", "{")
    assert done.returncode == 2 and "Traceback" in done.stderr


def test_nothing_was_written_half_way(cli):
    handle = cli.cluster()
    assert services.list_runs(handle) == []   # no failed trigger left a run behind
    handle.close()


def test_config_show_masks_passwords(cli):
    done = cli.cli("config", "show", CHORDFLOW_BROKER_URL="redis://:hunter22@127.0.0.1:6379/0")
    assert done.returncode == 0
    assert "hunter22" not in done.stdout and "redis://:***@127.0.0.1:6379/0" in done.stdout
