"""The API docs in a real browser with no route anywhere but the server: headless Chromium
(Debian's `chromium` and `chromium-driver`, `make browser`) loads /docs, authorizes with a key,
executes a prediction from the page and gets a 200; /redoc lists the same operations. Every
resource comes from the server, and the pages' Content-Security-Policy blocks nothing they
need. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.model import ModelRef
from tests.servers import free_port, local_env, running
from tests.unit.builders import memory_container, train_demo

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
API_KEY = "docs-browser-key-0123456789"
# A valid row for the synthetic model the server serves.
BODY = {"instances": [{"x1": 0.5, "x2": -0.25, "colour": "red"}]}
# ReDoc 2 puts Redocly's logo, from its CDN, in the side menu; the page's policy blocks it (and
# ReDoc hides the image): the one violation that is the policy doing its job.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
WAIT_S = 30
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`predictor serve` on loopback, serving a synthetic model exported from a real XGBoost fit."""
    workdir = tmp_path_factory.mktemp("docs")
    container = memory_container()
    container.adapters.trainer.override(providers.Object(XGBoostTrainer(nthread=2)))
    container.adapters.runtime.override(providers.Object(XGBoostRuntime()))
    train_demo(container)
    container.export_model()(ModelRef("demo", alias="production"), workdir / "model")
    env = local_env(workdir, PREDICTOR_API_KEYS=API_KEY)
    port = free_port()
    with running(["serve", "--model-dir", "model", "--port", str(port)], env, workdir, port) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium whose only route is loopback: every host name resolves to nothing and
    every other address goes through a proxy on a port that refuses connections."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed: run `make browser`")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with socket.socket() as dead_end:  # bound, never listening: connections to it are refused
        dead_end.bind(("127.0.0.1", 0))
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1600",
            f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            f"--proxy-server=http://127.0.0.1:{dead_end.getsockname()[1]}",  # loopback bypasses it
        ]
        for flag in flags:
            options.add_argument(flag)
        # A driver path given, Selenium Manager is skipped: nothing is looked for online.
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def document(server: str) -> dict[str, Any]:
    response = httpx.get(f"{server}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The document's operations by (METHOD, path)."""
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def screenshot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))


def foreign_resources(driver: WebDriver) -> list[str]:
    """Every resource the page loaded that did not come from its own origin."""
    found: list[str] = driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".map(e => e.name).filter(n => new URL(n).origin !== location.origin)"
    )
    return found


def console(driver: WebDriver) -> list[dict[str, Any]]:
    """The browser console's entries since the last call."""
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]  # unannotated
    return entries


def policy_violations(driver: WebDriver) -> list[str]:
    """The console's messages since the last call about a blocked load or a failed request."""
    return [e["message"] for e in console(driver) if e.get("source") in {"security", "network"}]


def click(driver: WebDriver, element: WebElement) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_swagger_ui_authorizes_and_executes_a_prediction_offline(
    server: str, browser: WebDriver, document: dict[str, Any]
) -> None:
    wait = WebDriverWait(browser, WAIT_S)
    console(browser)  # what an earlier page left
    browser.get(f"{server}/docs")
    try:
        predict = wait.until(
            expected_conditions.presence_of_element_located(
                (By.XPATH, "//*[@data-path='/predict']/ancestor::div[contains(@class, 'opblock-post')]")
            )
        )
        listed = {
            (
                block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
                path.get_attribute("data-path"),
            )
            for block in browser.find_elements(By.CSS_SELECTOR, ".opblock")
            for path in block.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
        }
        assert listed == set(operations(document))

        click(browser, browser.find_element(By.CSS_SELECTOR, ".auth-wrapper button.authorize"))
        dialog = wait.until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))
        (api_key,) = [
            form
            for form in dialog.find_elements(By.CSS_SELECTOR, ".auth-container")
            if form.find_element(By.CSS_SELECTOR, "h4 code").text == "ApiKey"
        ]
        api_key.find_element(By.CSS_SELECTOR, "input").send_keys(API_KEY)
        api_key.find_element(By.CSS_SELECTOR, "button.authorize").click()
        wait.until(lambda _: "Authorized" in api_key.text)
        api_key.find_element(By.CSS_SELECTOR, "button.btn-done").click()
        wait.until(expected_conditions.invisibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))

        click(browser, predict.find_element(By.CSS_SELECTOR, ".opblock-summary-control"))
        click(browser, wait.until(lambda _: predict.find_element(By.CSS_SELECTOR, "button.try-out__btn")))
        editor = wait.until(lambda _: predict.find_element(By.CSS_SELECTOR, "textarea.body-param__text"))
        # The document's example need not be a row of the served model: send one that is.
        editor.clear()
        editor.send_keys(json.dumps(BODY))
        click(browser, predict.find_element(By.CSS_SELECTOR, "button.execute"))
        status = wait.until(
            lambda _: predict.find_element(
                By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
            )
        )
        answer = predict.find_element(
            By.CSS_SELECTOR, ".live-responses-table .response .response-col_description"
        )
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", predict)
        assert status.text == "200", answer.text
        assert '"predictions"' in answer.text
        assert '"name": "demo"' in answer.text
    finally:
        screenshot(browser, "docs.png")
    assert foreign_resources(browser) == []
    assert policy_violations(browser) == []


def test_redoc_lists_the_operations_offline(
    server: str, browser: WebDriver, document: dict[str, Any]
) -> None:
    console(browser)  # what an earlier page left
    browser.get(f"{server}/redoc")
    try:
        WebDriverWait(browser, WAIT_S).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[data-section-id] h2"))
        )
        titles = {h2.text for h2 in browser.find_elements(By.CSS_SELECTOR, "[data-section-id] h2")}
        summaries = {op["summary"] for op in operations(document).values() if "summary" in op}
        assert summaries
        assert summaries <= titles
    finally:
        screenshot(browser, "redoc.png")
    foreign = foreign_resources(browser)
    violations = policy_violations(browser)
    # The logo is the one resource from elsewhere, and the policy blocks it before any request.
    assert set(foreign) <= {REDOC_LOGO}, foreign
    assert all(REDOC_LOGO in message and "blocked" in message for message in violations), violations
