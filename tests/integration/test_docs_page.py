"""The docs page (/docs) in headless Chromium: every operation listed, one call made with a pasted
token, no credential persisted, no configuration taken from the URL, nothing outside 'self' loaded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from devstack.browser import ensure_chromium
from shared.edge.routes import API_ROUTES
from tests.integration.conftest import Api, Token, event_line

AddEvents = Callable[..., list[dict[str, Any]]]
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,2000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, css: str, count: int = 1) -> list[Any]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    found: list[Any] = WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: (elements := d.find_elements(By.CSS_SELECTOR, css)) and len(elements) >= count and elements
    )
    return found


def _listed_operations(driver: Any) -> set[tuple[str, str]]:
    from selenium.webdriver.common.by import By

    blocks = _wait(driver, ".opblock", len(API_ROUTES))
    operations = set()
    for block in blocks:
        method = block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text.strip().upper()
        path = block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
        operations.add((method, path))
    return operations


def test_headers_of_the_page_and_the_document(api: Api) -> None:
    page = api.get("/docs")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'") and "unsafe" not in policy
    assert "http" not in page.text.replace("http-equiv", ""), "the page loads nothing from another host"
    document = api.get("/openapi.json", headers={"X-Forwarded-Host": "evil.example", "Host": "evil.example"})
    assert document.status_code == 200 and "evil.example" not in document.text
    assert document.json()["servers"] == [
        {"url": "/", "description": document.json()["servers"][0]["description"]}
    ]
    assert api.get("/docs/missing.js").status_code == 404
    assert api.get("/docs/../shared/config.py").status_code == 404
    cached = api.get("/docs/swagger-ui-bundle.js")
    assert cached.status_code == 200 and cached.headers["Content-Type"].startswith("text/javascript")
    again = api.get("/docs/swagger-ui-bundle.js", headers={"If-None-Match": cached.headers["ETag"]})
    assert again.status_code == 304


def test_every_operation_is_listed_and_a_pasted_token_makes_a_call(
    browser: Any, gateway_url: str, token: Token, add_events: AddEvents
) -> None:
    from selenium.webdriver.common.by import By

    event = add_events([event_line(0)])[0]
    browser.get(f"{gateway_url}/docs")
    assert _listed_operations(browser) == {(route.method, route.path) for route in API_ROUTES}

    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    _wait(browser, ".auth-container input")[0].send_keys(token("viewer", sites=[event["site_id"]]))
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, "button.btn-done").click()

    operation = browser.find_element(By.ID, "operations-events-get_event")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    _wait(browser, "#operations-events-get_event .try-out__btn")[0].click()
    field = _wait(browser, "#operations-events-get_event input[placeholder='id']")[0]
    field.clear()  # it holds the document's example id
    field.send_keys(event["id"])
    _wait(browser, "#operations-events-get_event .execute")[0].click()
    status = _wait(
        browser, "#operations-events-get_event .live-responses-table tr.response .response-col_status"
    )[0]
    assert status.text.strip() == "200"
    body = browser.find_element(By.CSS_SELECTOR, "#operations-events-get_event .live-responses-table pre")
    assert event["id"] in body.text

    stored = browser.execute_script("return [window.localStorage.length, window.sessionStorage.length]")
    assert stored == [0, 0], "no credential is persisted"
    blocked = [
        entry for entry in browser.get_log("browser") if "Content Security Policy" in entry.get("message", "")
    ]
    assert blocked == [], json.dumps(blocked, indent=1)


def test_the_page_takes_no_configuration_from_the_url(browser: Any, gateway_url: str) -> None:
    elsewhere = "http://127.0.0.1:9/evil.json"
    browser.get(f"{gateway_url}/docs?url={elsewhere}&configUrl={elsewhere}")
    assert _listed_operations(browser) == {(route.method, route.path) for route in API_ROUTES}
    assert requests.get(f"{gateway_url}/openapi.json", timeout=10).status_code == 200
