"""Pure parts of deferral, outlet events, aliases, retry rules and AssetOrTimeSchedule."""
import asyncio
import datetime as dt

import pytest

from cluster.sdk import deferral
from cluster.sdk.exceptions import TaskDeferralError, TaskDeferralTimeout
from cluster.compat.utils import BaseTrigger, TriggerEvent
from cluster.sdk.asset_events import OutletEventAccessors, run_generator
from cluster.sdk.assets import Asset, AssetAlias, Metadata, alias_key, from_json
from cluster.sdk.dag import DAG
from cluster.sdk.operators.base import BaseOperator
from cluster.sdk.retry_policy import (ExceptionRetryPolicy, RetryAction, RetryRule, decide)
from cluster.control.scheduler import with_aliases
from cluster.sdk.timetables import AssetOrTimeSchedule, CronTriggerTimetable
from cluster.sdk.timetables.codec import decode, encode

START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


class Fires(BaseTrigger):
    def __init__(self, payload, after=0.0):
        super().__init__()
        self.payload, self.after, self.cleaned = payload, after, False

    async def run(self):
        await asyncio.sleep(self.after)
        yield TriggerEvent(self.payload)

    async def cleanup(self):
        self.cleaned = True


class Ends(BaseTrigger):
    async def run(self):
        return
        yield


class Twice(BaseOperator):
    """Defers twice, then returns what the events and the kwargs said."""

    def execute(self, context):
        self.trigger = Fires("one")
        self.defer(trigger=self.trigger, method_name="step", kwargs={"n": 1})

    def step(self, context, event=None, n=0):
        if n == 1:
            self.defer(trigger=Fires("two"), method_name="last", kwargs={"n": 2, "seen": event})
        return event

    def last(self, context, event=None, n=0, seen=None):
        return [seen, event]


def task(cls, **kwargs):
    with DAG("d", start_date=START):
        return cls(task_id="t", **kwargs)


def test_a_deferred_task_resumes_in_its_method_with_event_and_kwargs():
    op = task(Twice)
    assert deferral.execute(op, {}) == ["one", "two"]
    assert op.trigger.cleaned


def test_a_deferral_that_times_out_or_ends_without_an_event_fails():
    class Slow(BaseOperator):
        def execute(self, context):
            self.defer(trigger=Fires("late", after=5), method_name="done", timeout=0.05)

    with pytest.raises(TaskDeferralTimeout):
        deferral.execute(task(Slow), {})

    class Empty(BaseOperator):
        def execute(self, context):
            self.defer(trigger=Ends(), method_name="done")

    with pytest.raises(TaskDeferralError, match="without an event"):
        deferral.execute(task(Empty), {})


def test_pre_and_post_execute_hooks_run_around_execute():
    seen = []

    class Value(BaseOperator):
        def execute(self, context):
            seen.append("execute")
            return 7

    op = task(Value, pre_execute=lambda c: seen.append("pre"),
              post_execute=lambda c, r: seen.append(("post", r)))
    assert deferral.execute(op, {}) == 7
    assert seen == ["pre", "execute", ("post", 7)]


def test_outlet_events_extra_alias_and_metadata_round_trip():
    asset, alias = Asset("s3://a"), AssetAlias("al")
    events = OutletEventAccessors([asset, alias])

    def produce():
        yield Metadata(asset, {"rows": 1})
        yield Metadata(Asset("s3://b"), {"rows": 2}, alias="al")
        return "value"

    with pytest.raises(KeyError):  # Asset("s3://b") is no outlet of its own
        run_generator(produce, events, [], {})
    events = OutletEventAccessors([asset, alias])
    events[alias].add(Asset("s3://b"), extra={"rows": 2})
    assert run_generator(lambda: "plain", events, [], {}) == "plain"
    events["s3://a"].extra["rows"] = 1
    reported = events.as_json()
    assert reported == {"extras": {"s3://a": {"rows": 1}},
                        "aliases": [{"alias": "al", "asset": Asset("s3://b").as_json()["asset"],
                                     "extra": {"rows": 2}}]}
    back = OutletEventAccessors([asset, alias])
    back.load(reported)
    assert back.as_json() == reported
    with pytest.raises(TypeError):
        back[asset].add(Asset("s3://c"))  # only an alias takes assets


def test_an_alias_condition_holds_once_a_resolved_asset_is_updated():
    condition = from_json((AssetAlias("al") & Asset("s3://x")).as_json())
    resolution = {"al": ["s3://b"]}
    assert not condition.evaluate(with_aliases({"s3://x": True}, resolution))
    assert condition.evaluate(with_aliases({"s3://x": True, "s3://b": True}, resolution))
    assert not condition.evaluate(with_aliases({"s3://x": True, "s3://b": True}, {"al": []}))
    assert alias_key("al") not in ("al", "s3://b")


def test_retry_rules_match_in_order_and_decide():
    policy = ExceptionRetryPolicy(rules=[
        RetryRule(exception="builtins.KeyError", action=RetryAction.FAIL, reason="bad"),
        RetryRule(exception=[ConnectionError, "no_such_module.Error"],
                  retry_delay=dt.timedelta(seconds=3)),
    ])
    op = task(BaseOperator, retries=2, retry_policy=policy)
    assert decide(op, KeyError("k"), 1, None).action is RetryAction.FAIL
    retry = decide(op, ConnectionResetError("r"), 1, None)  # a subclass matches
    assert retry.action is RetryAction.RETRY and retry.retry_delay == dt.timedelta(seconds=3)
    assert decide(op, ValueError("v"), 1, None).action is RetryAction.DEFAULT
    with pytest.raises(ValueError, match="dotted import path"):
        RetryRule(exception="KeyError")


def test_asset_or_time_schedule_is_stored_and_delegates_to_its_timetable():
    inner = CronTriggerTimetable("0 1 * * 3", timezone="UTC")
    schedule = AssetOrTimeSchedule(timetable=inner, assets=Asset("s3://a") & Asset("s3://b"))
    back = decode(encode(schedule))
    assert back == schedule and back.summary == "Asset or 0 1 * * 3"
    assert [a.uri for a in back.asset_condition.iter_assets()] == ["s3://a", "s3://b"]
    assert back.periodic == inner.periodic
