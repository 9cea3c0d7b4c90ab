"""The combined report of a smoke run, opened in headless Chromium as a reader would open it.

Runs when Chromium is installed (`apt-get install chromium`, or DLCV_CHROMIUM=/path/to/chrome);
otherwise it is skipped with the reason shown in pytest's summary.
"""
import os
import shutil

import pytest
from tests.conftest import NOTEBOOKS, ROOT

CHROMIUM = os.environ.get("DLCV_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium): "
                                                     "the browser test of report.html is skipped")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def test_report_renders_every_section_and_figure_without_errors(smoke_reports):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    reports, _ = smoke_reports
    problems, requests = [], []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto((reports / "report.html").as_uri())
        page.wait_for_load_state("load")
        sections = page.eval_on_selector_all("section.problem", "nodes => nodes.map(n => n.id)")
        images = page.eval_on_selector_all("img", "nodes => nodes.map(i => [i.complete, i.naturalWidth])")
        contents = page.eval_on_selector_all("nav a", "nodes => nodes.map(a => a.getAttribute('href'))")
        failed = page.locator(".status-failed").count()
        shot = ROOT / "build" / "report-first-page.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot))
        browser.close()
    assert sorted(sections) == sorted(NOTEBOOKS) and sorted(contents) == sorted(f"#{n}" for n in NOTEBOOKS)
    assert images and all(complete and width > 0 for complete, width in images), images
    assert failed == 0 and problems == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests  # self-contained
    assert shot.stat().st_size > 10_000
