"""Browser fixtures: one Chromium per test session, fresh contexts (cookie jars) per test.

A failing test leaves a screenshot of every page it opened in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.browser.pages import launch_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Long enough for a cold page on a slow CI machine, short enough to fail fast.
TIMEOUT_MS = 10_000
_failed = pytest.StashKey[bool]()
#: ``new_page(base_url)``: a page in a fresh context, i.e. another person with their own cookies.
NewPage = Callable[[str], Page]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test body failed, for the screenshot on teardown."""
    report = yield
    if report.when == "call":
        item.stash[_failed] = report.failed
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """Open a page in its own context (a separate person with their own cookies) on a server."""
    contexts: list[BrowserContext] = []

    def open_page(base_url: str) -> Page:
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    if request.node.stash.get(_failed, False):
        _save_screenshots(request.node.name, contexts)
    for context in contexts:
        context.close()


def _save_screenshots(test_name: str, contexts: list[BrowserContext]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", test_name)
    for c, context in enumerate(contexts):
        for p, page in enumerate(context.pages):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{stem}-{c}-{p}.png"), full_page=True)
            except PlaywrightError as exc:  # a crashed page must not hide the real failure
                print(f"no screenshot of {page.url}: {exc}")
