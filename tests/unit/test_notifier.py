"""BaseNotifier (`airflow.sdk.bases.notifier`): a callback object whose template fields are
rendered against the callback's context before `notify`."""
import datetime as dt
import logging

import pytest

from cluster.compat import namespace
from cluster.sdk.dag import DAG

namespace.install()
from airflow.notifications.basenotifier import BaseNotifier as Airflow2Notifier  # noqa: E402
from airflow.sdk import BaseNotifier  # noqa: E402


class Recording(BaseNotifier):
    template_fields = ("message", "channels")

    def __init__(self, message, channels=()):
        super().__init__()
        self.message, self.channels = message, list(channels)
        self.sent = []

    def notify(self, context):
        self.sent.append((self.message, self.channels))


def context(**extra):
    dag = DAG("notified", start_date=dt.datetime(2024, 1, 1), schedule=None,
              user_defined_macros={"team": "data"})
    return {"dag": dag, "ds": "2024-03-05", "run_id": "r1", **extra}


def test_fields_are_rendered_against_the_callback_context_then_notify_runs():
    sent = []

    class Into(Recording):
        def notify(self, ctx):
            sent.append((self.message, self.channels, ctx["run_id"]))

    notifier = Into("{{ dag.dag_id }} failed on {{ ds }} ({{ team }})", ["#{{ team }}"])
    notifier(context())
    assert sent == [("notified failed on 2024-03-05 (data)", ["#data"], "r1")]
    # the notifier a loaded DAG keeps is untouched: the next run renders its own values
    assert notifier.message == "{{ dag.dag_id }} failed on {{ ds }} ({{ team }})"
    notifier(context(ds="2024-03-06"))
    assert sent[-1][0] == "notified failed on 2024-03-06 (data)"
    assert Airflow2Notifier is BaseNotifier


def test_a_notifier_that_raises_is_logged_and_never_raises(caplog):
    class Broken(BaseNotifier):
        def notify(self, ctx):
            raise RuntimeError("smtp is down")

    with caplog.at_level(logging.ERROR):
        Broken()(context())
    assert "Failed to send notification: smtp is down" in caplog.text


def test_the_call_takes_one_context():
    with pytest.raises(TypeError, match="called with a callback's context"):
        Recording("x")("dag", [], [], [], [])
    with pytest.raises(TypeError):
        BaseNotifier()()
