"""The web UI in a real headless Chromium (Debian's chromium + chromedriver, driven by
Selenium) against a real web server, scheduler and worker: log in, the DAG list, trigger
from the Params form, the run turning green live, a task's log, clear and run again."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.integration.browser import (browser, click, css, log_in, shot, states,  # noqa: F401
                                       text, wait_css)
from tests.integration.web_server import PASSWORD, USER, webserver  # noqa: F401
from tests.servers import wait_for


@pytest.fixture
def page_on_failure(browser, running_cluster, request):
    """Keep what the browser showed (page, console, screenshot) when a test fails."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        tmp = Path(os.environ.get("CHORDFLOW_TEST_ARTIFACTS") or running_cluster.tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "failed-page.html").write_text(browser.page_source)
        (tmp / "failed-console.txt").write_text(
            "\n".join(str(e) for e in browser.get_log("browser")))
        browser.save_screenshot(str(tmp / "failed-page.png"))


def test_log_in_trigger_from_the_form_watch_it_live_read_a_log_and_clear(
        browser, webserver, running_cluster, page_on_failure):
    tmp = running_cluster.tmp
    log_in(browser, webserver, USER, "wrong")
    wait_for(lambda: "Wrong" in css(browser, "#login-error")[0].text, 10, what="the login error")
    assert browser.execute_script(
        "return fetch('/api/v2/dags').then(r => r.status)") == 401
    shot(browser, "login", tmp)
    browser.find_element("id", "password").clear()
    browser.find_element("id", "password").send_keys(PASSWORD)
    browser.find_element("css selector", "#login-form button").click()

    wait_for(lambda: "web" in text(browser, '#dag-list tr[data-dag="w_params"]'), 30,
             what="the DAG list with w_params and its tag")
    shot(browser, "dag-list", tmp)

    browser.get(webserver + "/#/dags/w_params/trigger")
    count = wait_css(browser, "#param-count")
    count.clear()
    count.send_keys("9")
    browser.find_element("id", "trigger-submit").click()
    error = wait_css(browser, '[data-param="count"] .error')
    wait_for(lambda: "at most 5" in error.text, 10, what="the form's validation error")
    count.clear()
    count.send_keys("3")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "param-greeting")).select_by_visible_text("hi")
    shot(browser, "trigger", tmp)
    browser.find_element("id", "trigger-submit").click()

    # The run page: its state turns green without a reload (the marker would be gone).
    wait_css(browser, "#run-state", what="the run page")
    browser.execute_script("window.__sameDocument = true")
    wait_for(lambda: css(browser, '#run-state [data-state="success"]'), 240,
             what="the run to turn green on screen")
    assert browser.execute_script("return window.__sameDocument") is True
    wait_for(lambda: states(browser, "#task-table .ti-state .state") == ["success"] * 3, 30,
             what="every task green in the table")
    run_url = browser.current_url
    assert "conf" in browser.page_source and '"count":3' in browser.page_source
    wait_css(browser, '#run-graph g.node[data-state="success"]', what="the run's graph")
    shot(browser, "run", tmp)

    click(browser, '#task-table tr[data-task="say"] a')
    wait_for(lambda: "greeting: hi hi hi" in text(browser, "#log"), 30,
             what="the task's log on screen")
    assert "said" in text(browser, "#xcom")
    assert css(browser, "#flower-link")
    shot(browser, "task-log", tmp)

    browser.get(run_url)
    wait_css(browser, '#task-table tr[data-task="say"]')
    browser.execute_script("window.__sameDocument = true")
    click(browser, '#task-table tr[data-task="say"] button.clear-task')

    def ran_again():
        return text(browser, '#task-table tr[data-task="say"] td:nth-child(3)') == "2" and \
            states(browser, "#task-table .ti-state .state") == ["success"] * 3 and \
            states(browser, "#run-state .state") == ["success"]

    wait_for(ran_again, 240, what="the cleared task to run again and succeed on screen")
    assert browser.execute_script("return window.__sameDocument") is True

    browser.get(webserver + "/#/dags/w_params")
    wait_css(browser, "#grid .cell.s-success", what="the grid")
    shot(browser, "grid", tmp)
    browser.get(webserver + "/#/dags/w_params/graph")
    wait_css(browser, '#graph g.node[data-state="success"]', what="the graph")
    shot(browser, "graph", tmp)

    browser.find_element("id", "logout").click()
    wait_css(browser, "#login-form", what="the login form after logging out")
    assert browser.execute_script(
        "return fetch('/api/v2/dags').then(r => r.status)") == 401
