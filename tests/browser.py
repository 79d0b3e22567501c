"""Open a local HTML page in Debian's headless Chromium (selenium + chromium-driver) and report
its images and console messages. Skips the calling test when the browser is not installed."""

from __future__ import annotations

import os

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-sync", "--disable-component-update",
         "--disable-dev-shm-usage")


def render(page) -> tuple[list, list]:
    """([(complete, natural width) per image], [console warnings and errors]) of `page`."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("Debian's chromium and chromium-driver are missing (.ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(page.resolve().as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
        logs = driver.get_log("browser")
    finally:
        driver.quit()
    problems = [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")]
    return [tuple(i) for i in images], problems
