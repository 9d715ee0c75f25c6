"""The docs page (/docs) in headless Chromium: every operation listed, one call made with a pasted
token, no credential persisted, no configuration taken from the URL, nothing outside 'self' loaded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from devstack.browser import ensure_chromium
from devstack.seed import DISMISSED_EVENT_ID, EXAMPLE_CAMERA_ID, EXAMPLE_EVENT_ID, SITES, seed
from shared.edge.routes import API_ROUTES
from tests.integration.conftest import Api, Token, event_line

AddEvents = Callable[..., list[dict[str, Any]]]
WAIT_SECONDS = 60  # only ends a hang: a loaded machine renders slowly
# The document's examples of the list's filters, as "Try it out" fills them in.
ONE_EXAMPLE_PER_FILTER = {"camera_id": EXAMPLE_CAMERA_ID, "trigger_type": "ai_tag", "acknowledged": False}


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


def _authorize(driver: Any, bearer: str) -> None:
    """Paste ``bearer`` under "Authorize"."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "button.authorize").click()
    _wait(driver, ".auth-container input")[0].send_keys(bearer)
    driver.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    driver.find_element(By.CSS_SELECTOR, "button.btn-done").click()


def _try_it_out(driver: Any, operation_id: str) -> None:
    """Open the operation and press "Try it out" (its fields then hold the document's examples)."""
    from selenium.webdriver.common.by import By

    operation = driver.find_element(By.ID, f"operations-events-{operation_id}")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    _wait(driver, f"#operations-events-{operation_id} .try-out__btn")[0].click()


def _execute(driver: Any, operation_id: str) -> tuple[str, str]:
    """Press "Execute"; the answer's status and body as the page shows them."""
    from selenium.webdriver.common.by import By

    block = f"#operations-events-{operation_id}"
    _wait(driver, f"{block} .execute")[0].click()
    status = _wait(driver, f"{block} .live-responses-table tr.response .response-col_status")[0].text.strip()
    body = driver.find_element(By.CSS_SELECTOR, f"{block} .live-responses-table pre").text
    return status, body


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

    event = add_events([event_line(0)])[0]
    browser.get(f"{gateway_url}/docs")
    assert _listed_operations(browser) == {(route.method, route.path) for route in API_ROUTES}

    _authorize(browser, token("viewer", sites=[event["site_id"]]))
    _try_it_out(browser, "get_event")
    field = _wait(browser, "#operations-events-get_event input[placeholder='id']")[0]
    field.clear()  # it holds the document's example id
    field.send_keys(event["id"])
    status, body = _execute(browser, "get_event")
    assert status == "200"
    assert event["id"] in body

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


def test_try_it_out_with_the_prefilled_values_answers_the_demo_data(
    browser: Any, gateway_url: str, org: str, token: Token
) -> None:
    """What a newcomer meets on a fresh ``make dev``: the demo data (here in the test's org), the
    viewer token it prints, and "Try it out" on the list with every field as the page fills it."""
    seed(org, count=20, operator_demo=True)  # as make dev seeds its demo org
    browser.get(f"{gateway_url}/docs")
    _listed_operations(browser)
    _authorize(browser, token("viewer", sites=SITES[:2]))
    _try_it_out(browser, "list_events")
    status, body = _execute(browser, "list_events")
    assert status == "200", body[:500]
    answer = json.loads(body)
    assert answer["data"], f"the prefilled filters answer no event: {body[:500]}"
    assert EXAMPLE_EVENT_ID in [event["id"] for event in answer["data"]]
    for name, value in ONE_EXAMPLE_PER_FILTER.items():
        assert all(event[name] == value for event in answer["data"]), (name, answer["data"])


@pytest.mark.parametrize("operation_id", ["list_deleted_events", "get_event_history"])
def test_try_it_out_of_the_trash_and_the_history_answers_the_demo_data(
    browser: Any, gateway_url: str, org: str, token: Token, operation_id: str
) -> None:
    """The admin token make dev prints, and every field as the page fills it: the trash holds the
    dismissed demo event, the example event's history its demo entries."""
    seed(org, count=0, operator_demo=True)
    browser.get(f"{gateway_url}/docs")
    _listed_operations(browser)
    _authorize(browser, token("admin"))
    _try_it_out(browser, operation_id)
    status, body = _execute(browser, operation_id)
    assert status == "200", body[:500]
    data = json.loads(body)["data"]
    if operation_id == "list_deleted_events":
        assert [event["id"] for event in data] == [DISMISSED_EVENT_ID], data
        assert all(data[0][name] == value for name, value in ONE_EXAMPLE_PER_FILTER.items()), data
    else:
        assert [(entry["action"], entry["changes"]) for entry in data] == [
            ("update", {"starred": {"old": False, "new": True}}),
            ("update", {"starred": {"old": True, "new": False}}),
        ], data
