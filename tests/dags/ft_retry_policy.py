"""A retry policy (Airflow 3.3): the exception decides retry, its delay, or failing now."""
import datetime as dt

from airflow.sdk import DAG, ExceptionRetryPolicy, RetryAction, RetryRule, task

POLICY = ExceptionRetryPolicy(rules=[
    RetryRule(exception="builtins.KeyError", action=RetryAction.FAIL, reason="bad input"),
    RetryRule(exception=ConnectionError, retry_delay=dt.timedelta(seconds=0),
              reason="flaky network"),
])

with DAG("ft_retry_policy", schedule=None, start_date=dt.datetime(2024, 1, 1)):
    # the task's own delay is an hour: only the policy's delay lets the retry come now
    @task(retries=3, retry_delay=dt.timedelta(hours=1), retry_policy=POLICY)
    def flaky(ti=None):
        if ti.try_number == 1:
            raise ConnectionError("reset by peer")
        raise KeyError("customer_id")

    flaky()
