"""`ti.xcom_pull` and map indexes: `map_indexes=`, and a mapped task group's tasks read at
the puller's own index (the store's side is run in tests/integration/test_mapped_groups.py)."""
import datetime as dt

import pytest

from workers.task_context import TaskInstance, TryFacts

FACTS = TryFacts(run_pk=1, dag_id="d", run_id="r", conf={},
                 logical_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))


class Values:
    """XComs of one run kept as the store keeps them: (task_id, map_index) -> value."""

    def __init__(self, rows):
        self.rows = rows
        self.asked = []

    def pull(self, task_ids, key, dag_id=None, run_id=None, map_index=None):
        self.asked.append((tuple(task_ids), map_index))
        out = {}
        for (task_id, index), value in sorted(self.rows.items()):
            if task_id not in task_ids:
                continue
            if map_index is not None:
                if index == map_index:
                    out[task_id] = value
            elif index < 0:
                out[task_id] = value
            else:
                out.setdefault(task_id, []).append(value)
        return out

    def push(self, key, value):
        raise AssertionError("not pushed here")


ROWS = {("g.a", 0): 10, ("g.a", 1): 11, ("g.a", 2): 12, ("plain", -1): "p",
        ("other", 0): "o0", ("other", 1): "o1"}


def ti(map_index=-1, same_index=frozenset()):
    return TaskInstance(FACTS, "g.b", 1, ["g.a"], map_index, Values(dict(ROWS)), same_index)


def test_a_mapped_group_task_reads_its_group_at_its_own_index_and_the_rest_whole():
    inside = ti(map_index=1, same_index=frozenset({"g.a", "g.b"}))
    assert inside.xcom_pull(task_ids="g.a") == 11
    assert inside.xcom_pull(task_ids=["g.a", "other", "plain"]) == [11, ["o0", "o1"], "p"]
    assert inside.xcom_pull() == [11]  # the upstreams
    # another run's XComs are never read at this index
    assert inside.xcom_pull(task_ids="g.a", run_id="elsewhere") == [10, 11, 12]
    outside = ti()
    assert outside.xcom_pull(task_ids="g.a") == [10, 11, 12]


def test_map_indexes_picks_one_index_or_a_list_of_them():
    outside = ti()
    assert outside.xcom_pull(task_ids="g.a", map_indexes=2) == 12
    assert outside.xcom_pull(task_ids="g.a", map_indexes=[2, 0]) == [12, 10]
    assert outside.xcom_pull(task_ids=["g.a", "other"], map_indexes=1) == [11, "o1"]
    assert outside.xcom_pull(task_ids="g.a", map_indexes=7, default="none") == "none"
    assert outside.xcom_pull(task_ids="plain", map_indexes=0) is None
    for bad in (-1, "1", [0, True]):
        with pytest.raises(ValueError, match="map_indexes"):
            outside.xcom_pull(task_ids="g.a", map_indexes=bad)
