"""A real headless Chromium (Debian's chromium + chromedriver, driven by Selenium) for the
web UI tests, and the few helpers they read the page with."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.servers import missing, wait_for

CHROMIUM = os.environ.get("CHORDFLOW_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHORDFLOW_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
# Set to a folder (README uses images/screenshots) to keep the screenshots the tests take.
SHOTS = os.environ.get("CHORDFLOW_WEB_SCREENSHOTS")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("selenium is not installed (pip install selenium)")
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        missing(f"no Chromium at {CHROMIUM} / {CHROMEDRIVER} (apt-get install chromium "
                "chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,900",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def shot(driver, name: str, tmp: Path) -> None:
    path = tmp / f"{name}.png"
    driver.save_screenshot(str(path))
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SHOTS) / path.name)


def css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def wait_css(driver, selector: str, timeout: float = 30, what: str | None = None):
    return wait_for(lambda: css(driver, selector), timeout, what=what or selector)[0]


# Live updates redraw the page, so elements are looked up afresh at every use.
def text(driver, selector: str) -> str:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        found = css(driver, selector)
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def click(driver, selector: str, timeout: float = 30) -> None:
    from selenium.common.exceptions import StaleElementReferenceException

    def clicked() -> bool:
        try:
            found = css(driver, selector)
            if found:
                found[0].click()
                return True
        except StaleElementReferenceException:
            pass
        return False

    wait_for(clicked, timeout, what=f"{selector} to click")


def states(driver, selector: str) -> list[str]:
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        return [e.get_attribute("data-state") for e in css(driver, selector)]
    except StaleElementReferenceException:
        return []


def log_in(driver, url: str, user: str, password: str) -> None:
    """Open the UI at `url` and log in through its form."""
    driver.get(url + "/")
    form = wait_css(driver, "#login-form")
    form.find_element("id", "username").send_keys(user)
    form.find_element("id", "password").send_keys(password)
    form.find_element("css selector", "button").click()
