"""The interactive page in a real browser: Debian's chromium, driven through its chromedriver,
against `solara run negsim/app.py` with every CDN unreachable (the page must render from
local assets alone). Needs `apt-get install chromium chromium-driver` (`.ci/run` installs
them); without them these tests fail, they do not skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WAIT = 45  # seconds, for any one thing to appear on a loaded machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """`solara run negsim/app.py` on a free port, the CDN pointed at a closed local port."""
    port = _free_port()
    env = {
        **os.environ,
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/",  # nothing may come from a CDN
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "0",
        "PYTHONPATH": str(ROOT),
        "OPENBLAS_NUM_THREADS": "1",
    }
    env.pop("NEGSIM_SCENARIO", None)
    command = [sys.executable, "-m", "solara", "run", "negsim/app.py", "--no-open"]
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "solara run did not answer within 90 s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                    break
            except OSError:
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: apt-get install chromium chromium-driver",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument("--window-size=1400,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _until(driver: WebDriver, what: str, check: Callable[[WebDriver], Any]) -> Any:
    return WebDriverWait(driver, WAIT, poll_frequency=0.2).until(check, f"waiting for {what}")


def _state(driver: WebDriver) -> str:
    return driver.find_element(By.CSS_SELECTOR, ".negsim-state").text


def _step_of(driver: WebDriver) -> int:
    state = _state(driver)
    assert state.startswith("running (step "), state
    return int(state.removeprefix("running (step ").removesuffix(")"))


def _plots(driver: WebDriver) -> list[dict[str, Any]]:
    """The page's images as the browser drew them: source and rendered size."""
    return driver.execute_script(
        "return [...document.querySelectorAll('img')].map(i => ({src: i.src,"
        " width: i.naturalWidth, shown: i.getBoundingClientRect().width,"
        " height: i.getBoundingClientRect().height}))"
    )


def _button(driver: WebDriver, label: str):
    """The button labelled ``label`` (None if there is none)."""
    for button in driver.find_elements(By.CSS_SELECTOR, "button"):
        if button.text.strip() == label:
            return button
    return None


def _open(driver: WebDriver, url: str) -> None:
    """Load the page and wait until its plots are drawn."""
    driver.get(url)
    _until(driver, "three drawn plots", lambda d: len([p for p in _plots(d) if p["width"]]) == 3)
    _until(driver, "the status line", lambda d: _state(d) == "running (step 0)")


def test_page_renders_offline_with_sliders_map_and_plots(browser, url, tmp_path):
    _open(browser, url)
    plots = _plots(browser)
    assert len(plots) == 3  # the regions map, the shares, the real wages
    assert all(p["width"] > 300 and p["shown"] > 200 and p["height"] > 100 for p in plots)
    keys = ("sigma", "mu", "transport_cost", "adjustment_speed", "noise")
    for key in keys:
        slider = browser.find_element(By.CSS_SELECTOR, f".negsim-param-{key}")
        assert slider.size["width"] > 200  # the slider keeps the sidebar's width
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "transport cost T (iceberg factor) = 1.50" in body
    assert "σ = 5, μ = 0.4, T = 1.5" in body
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert len(resources) > 5
    assert [r for r in resources if not r.startswith(url)] == []  # nothing from elsewhere
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    shot = Path(os.environ.get("NEGSIM_SCREENSHOT") or tmp_path / "page.png")
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 50_000


def test_step_advances_and_a_slider_change_plus_reset_rebuilds_the_model(browser, url):
    _open(browser, url)
    before = [p["src"] for p in _plots(browser)]
    _button(browser, "STEP").click()
    _until(browser, "step 5", lambda d: _state(d) == "running (step 5)")
    _until(browser, "new plots", lambda d: all(p["src"] not in before for p in _plots(d)))
    _button(browser, "STEP").click()
    _until(browser, "step 10", lambda d: _state(d) == "running (step 10)")

    thumb = browser.find_element(By.CSS_SELECTOR, ".negsim-param-transport_cost [role=slider]")
    thumb.send_keys(*[Keys.ARROW_RIGHT] * 10)  # T steps by 0.01
    label = "transport cost T (iceberg factor) = 1.60"
    _until(
        browser, "the label's value", lambda d: label in d.find_element(By.TAG_NAME, "body").text
    )
    parameters = browser.find_element(By.CSS_SELECTOR, ".negsim-parameters")
    assert "T = 1.5," in parameters.text  # the model on screen is still the old one
    assert _state(browser) == "running (step 10)"
    _button(browser, "RESET").click()
    _until(
        browser,
        "the rebuilt model",
        lambda d: "T = 1.6," in d.find_element(By.CSS_SELECTOR, ".negsim-parameters").text,
    )
    assert _state(browser) == "running (step 0)"


def test_play_updates_the_plots_until_paused(browser, url):
    _open(browser, url)
    shares = _plots(browser)[1]["src"]
    _button(browser, "▶").click()
    _until(browser, "step 10 or later", lambda d: _step_of(d) >= 10)
    assert _plots(browser)[1]["src"] != shares
    _button(browser, "❚❚").click()
    _until(browser, "the ▶ button back", lambda d: _button(d, "▶"))
    clicked = _step_of(browser)
    # Mesa's controller ends the batch of steps in flight (render interval 5) and then
    # draws it, so the page may move on by at most one batch after the ▶ button is back.
    paused = _until(browser, "the step to hold", _held_step)
    assert clicked <= paused <= clicked + 5
    time.sleep(1.5)
    assert _step_of(browser) == paused


def _held_step(driver: WebDriver) -> int | None:
    """The step shown, if it stays the same for 0.5 s; else None (keep waiting)."""
    before = _step_of(driver)
    time.sleep(0.5)
    return before if _step_of(driver) == before else None


def test_each_browser_tab_has_its_own_model(browser, url):
    _open(browser, url)
    first = browser.current_window_handle
    for _ in range(2):
        _button(browser, "STEP").click()
    _until(browser, "step 10", lambda d: _state(d) == "running (step 10)")
    browser.switch_to.new_window("tab")
    try:
        _open(browser, url)  # a new session starts at step 0, not at the other tab's step
        _button(browser, "STEP").click()
        _until(browser, "step 5", lambda d: _state(d) == "running (step 5)")
        browser.switch_to.window(first)
        assert _state(browser) == "running (step 10)"
    finally:
        for handle in browser.window_handles:
            if handle != first:
                browser.switch_to.window(handle)
                browser.close()
        browser.switch_to.window(first)
