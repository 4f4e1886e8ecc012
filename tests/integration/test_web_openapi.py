"""Schemathesis against the web server's OpenAPI document: generated requests to every
operation (valid and invalid), authenticated, must never get a server error. The store is
a real PostgreSQL database; runs it queues stay queued (no scheduler here).

The UI's event stream (`GET /ui/events`) is left out: a valid request to it never ends, so
each generated one waited for the client's timeout (170 s of the module's 187). Its
answers are tested in test_web_api.py and, live, by the browser in test_web_ui.py."""
from __future__ import annotations

import pytest

from tests.integration.web_server import login, start_webserver

try:
    import schemathesis
    from hypothesis import HealthCheck, settings
    from schemathesis.checks import not_a_server_error
except ImportError:  # pragma: no cover - CI installs it (setup.cfg [test])
    schemathesis = None


@pytest.fixture(scope="module")
def web(cluster_env):
    done = cluster_env.cli("dags", "reserialize")
    assert done.returncode == 0, done.stderr
    for args in (("variables", "set", "fuzz_var", "v"), ("pools", "set", "fuzz_pool", "2"),
                 ("trigger", "w_params", "--run-id", "fuzz_run")):
        assert cluster_env.cli(*args).returncode == 0
    url = start_webserver(cluster_env)
    return url, login(url).token


@pytest.fixture(scope="module")
def web_schema(web):
    if schemathesis is None:
        from tests.servers import missing

        missing("schemathesis is not installed (pip install schemathesis)")
    return schemathesis.openapi.from_url(web[0] + "/openapi.json")


if schemathesis is not None:
    schema = schemathesis.pytest.from_fixture("web_schema").exclude(path="/ui/events")

    @schema.parametrize()
    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def test_no_generated_request_gets_a_server_error(case, web):
        url, token = web
        case.call_and_validate(base_url=url, headers={"Authorization": "Bearer " + token},
                               checks=[not_a_server_error])
else:
    def test_no_generated_request_gets_a_server_error():
        from tests.servers import missing

        missing("schemathesis is not installed (pip install schemathesis)")
