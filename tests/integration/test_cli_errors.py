"""Bad input: a one-line reason on stderr, exit code 2, no traceback, nothing written."""
import pytest

from cluster import services


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


@pytest.mark.parametrize("args,message", CASES)
def test_bad_arguments(cli, args, message):
    done = cli.cli(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
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
