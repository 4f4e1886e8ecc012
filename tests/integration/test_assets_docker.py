"""The data-aware scheduling tests of test_assets.py again under the docker runner (the
cluster's default): outlets, extras, `yield Metadata`, `post_execute` and an AssetAlias
recorded from task containers, through the task API."""
import pytest

# collected here again, in test_assets.py's order (each test goes on from the last one's)
from tests.integration.test_assets import (  # noqa: F401, I001
    test_runs_follow_asset_updates_all_and_any,
    test_a_failed_task_records_no_event_and_the_cli_lists_assets,
    test_events_carry_extra_and_an_alias_resolves_at_run_time,
    test_asset_or_time_schedule_runs_on_its_timetable_and_on_updates, runs_of)


@pytest.fixture(scope="module")
def assets_cluster(cluster_env):
    return cluster_env.with_docker_runner(concurrency=4)


def test_the_tasks_ran_in_task_containers(assets_cluster):
    [run] = runs_of(assets_cluster, "as_alias_consumer")
    logs = assets_cluster.cli("tasks", "logs", str(run.id), "report").stdout
    assert "with the docker runner" in logs and "through_alias" in logs
