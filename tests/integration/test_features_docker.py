"""Task groups, BashOperator options, calendar branches and template files under the
docker runner (the cluster's default): every try in a runtime container."""
import pytest



@pytest.fixture(scope="module")
def in_docker(cluster_env):
    return cluster_env.with_docker_runner(concurrency=2)


def run_dag(c, dag_id, *extra):
    return c.run_dag(dag_id, *extra, timeout=300)


def test_task_groups_in_containers(in_docker):
    done, run, tis, xcoms = run_dag(in_docker, "tg_groups")
    assert run.state == "success", done.stdout + done.stderr
    assert tis["extract.flaky"].try_number == 2 and tis["publish.flaky"].try_number == 2
    assert xcoms[("transform__1.plus_one", "return_value")] == 7
    log = in_docker.cli("tasks", "logs", str(run.id), "extract.inner.parse").stdout
    assert "with the docker runner" in log
    done, run, tis, _ = run_dag(in_docker, "tg_branch", "--conf", '{"path": "path_b"}')
    assert (tis["path_a.one"].state, tis["path_b.one"].state) == ("skipped", "success")


def test_bash_options_in_containers(in_docker):
    done, run, tis, xcoms = run_dag(in_docker, "op_bash")
    assert run.state == "success", done.stdout + done.stderr
    assert xcoms[("processed", "return_value")] == {"value": 40}
    assert tis["default_skip"].state == "skipped" and tis["custom_skip"].state == "skipped"
    assert xcoms[("in_temp_dir", "return_value")].split("/")[-1].startswith("airflowtmp")
    assert xcoms[("in_cwd", "return_value")] == "/"
    assert xcoms[("env_only", "return_value")] == "hello nohome"


def test_calendar_branches_and_template_files_in_containers(in_docker):
    done, run, tis, _ = run_dag(in_docker, "cal_branch", "--logical-date",
                                "2024-03-09T20:30:00+00:00")
    assert run.state == "success", done.stdout + done.stderr
    assert (tis["off_hours"].state, tis["in_hours"].state) == ("success", "skipped")
    assert (tis["weekend"].state, tis["weekday"].state) == ("success", "skipped")
    done, run, tis, xcoms = run_dag(in_docker, "op_templates", "--logical-date", "2024-05-06")
    assert run.state == "success", done.stdout + done.stderr
    assert xcoms[("query", "return_value")] == \
        "SELECT * FROM events WHERE day = '2024-05-06' -- events"
    assert xcoms[("consume", "return_value")] == 42
