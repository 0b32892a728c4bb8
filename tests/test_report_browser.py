"""report.html in Chromium at a phone's width (390 px): the outcome is the first thing
seen, the page speaks French, nothing overflows the screen sideways (wide tables and
charts scroll inside their own box), and the trend across three runs is drawn.

The page is the one a run folder gets (three fake runs, the last with the replica's
ground truth as its records), opened from disk with the project's Chromium options."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from atlas_crawler.replica.world import World
from atlas_crawler.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from tests.test_report_html import BASE, three_runs

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (make install does it)"),
]

PHONE = {"width": 390, "height": 844}

#: Every element whose box reaches past the right edge of the screen, unless a box
#: around it scrolls sideways (``overflow-x: auto|scroll``): what a reader would have
#: to pan the whole page for.
_OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => { for (let a = el.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
  return [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > width + 0.5 && !scrolls(el))
    .map(el => el.tagName + '.' + el.className + ': ' + (el.textContent || '').slice(0, 60));
}"""


def test_the_report_reads_on_a_phone(tmp_path: Path) -> None:
    records = World(projects=40, seed=5).truth(BASE)["records"]
    runs = three_runs(tmp_path / "runs", records)
    url = (runs[-1] / "report.html").resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**PLAYWRIGHT_LAUNCH_OPTIONS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(url, wait_until="load")
            verdict = page.locator("#resultat .verdict")
            box = verdict.bounding_box()
            first = page.evaluate("document.querySelector('h1').nextElementSibling.id")
            overflowing = page.evaluate(_OVERFLOWING)
            page_width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            text = page.inner_text("body")
            lang = page.get_attribute("html", "lang")
            trend_rows = page.locator("#tendance table tbody tr").count()
            trend_points = page.locator("#tendance svg").first.locator("circle").count()
            trend_box = page.locator("#tendance svg").first.bounding_box()
            label_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.bar .label')).fontSize)")
        finally:
            browser.close()
    assert requests == [url] and errors == []  # nothing fetched but the file
    assert first == "resultat"
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]  # seen without scrolling
    assert verdict_text(text) == "Résultat : complet avec 3 pages refusées par le site (code 0)"
    assert overflowing == [] and page_width[0] <= page_width[1], overflowing
    assert lang == "fr"
    for english in ("soft error", "Monitor", "finished", "pages failed", "Expecting"):
        assert english not in text, english
    for french in ("page d'erreur du site", "Pages en échec", "Champs trouvés", "D'un passage à l'autre"):
        assert french in text, french
    assert trend_rows == 3 and trend_points == 3
    assert trend_box is not None and trend_box["width"] <= PHONE["width"]
    assert label_size >= 12  # bar labels keep their size on a phone (no SVG scaled down)


def verdict_text(text: str) -> str:
    return next(line for line in text.splitlines() if re.match(r"Résultat :", line)).strip()
