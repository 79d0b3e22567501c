"""Open a local HTML page in Debian's headless Chromium (selenium + chromium-driver) and report
what a reader sees: its images with their captions, its verdict cells and its console messages.
Skips the calling test when the browser is not installed."""

from __future__ import annotations

import os
from typing import NamedTuple

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-sync", "--disable-component-update",
         "--disable-dev-shm-usage")
IMAGES = ("return Array.from(document.images).map(i => [i.complete, i.naturalWidth, "
          "(i.closest('figure')?.querySelector('figcaption')?.innerText || '').trim()])")
# the last cell of every row of a table whose last header starts with "verdict"
VERDICTS = ("return Array.from(document.querySelectorAll('table')).filter(t => "
            "(t.querySelector('tr th:last-child')?.innerText || '').startsWith('verdict'))"
            ".flatMap(t => Array.from(t.querySelectorAll('tr')).slice(1)"
            ".map(r => r.lastElementChild.innerText.trim()))")


class Rendered(NamedTuple):
    images: list  # (complete, natural width, caption text or "") per image
    problems: list  # console warnings and errors
    verdicts: list  # the text of every verdict cell


def render(page) -> Rendered:
    """What the browser shows of `page`."""
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
        images = driver.execute_script(IMAGES)
        verdicts = driver.execute_script(VERDICTS)
        logs = driver.get_log("browser")
    finally:
        driver.quit()
    problems = [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")]
    return Rendered([tuple(i) for i in images], problems, verdicts)
