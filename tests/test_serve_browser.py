"""`python -m atlas_crawler.serve` in Chromium, as a reader without code uses it: search
a word, filter by a facet, open a project, follow a French partner to its collectivity,
download the table as CSV. The server runs on a free port of 127.0.0.1 over the export
of the replica's ground truth (a run folder with its records)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from atlas_crawler.replica.world import World
from atlas_crawler.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from tests.serving import serving
from tests.test_serve import BASE, crawled

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (make install does it)"),
]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return crawled(World(projects=20, seed=11).truth(BASE)["records"])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]]) -> Iterator[str]:
    run = tmp_path_factory.mktemp("run")
    (run / "records.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    with serving(run) as url:
        yield url


def test_search_filter_open_follow_download(server: str, records: list[dict[str, Any]]) -> None:
    collectivities = {(r["kind"], r["id"]): r for r in records if r["type"] == "collectivity"}
    project = next(
        r for r in records
        if r["type"] == "project" and r["theme"] and any(("french", p["id"]) in collectivities for p in r["french_partners"])
    )  # fmt: skip
    partner = next(
        collectivities["french", p["id"]] for p in project["french_partners"] if ("french", p["id"]) in collectivities
    )
    word = max(project["title"].split(), key=len)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**PLAYWRIGHT_LAUNCH_OPTIONS)
        try:
            page = browser.new_page(accept_downloads=True)
            page.goto(f"{server}/atlas/projects")
            expect(page.locator("h1")).to_contain_text("Projets")  # the French title of the table
            page.fill("#_search", word)
            page.press("#_search", "Enter")
            expect(page.locator(f'td.type-pk a[href="/atlas/projects/{project["id"]}"]')).to_be_visible()
            # filter by the project's theme through its facet
            page.locator("#facet-theme li a", has_text=project["theme"]).first.click()
            expect(page).to_have_url(re.compile(r"[?&]theme=.*_search=|[?&]_search=.*theme="))
            shown = page.locator("td.col-theme").all_inner_texts()
            assert shown and set(shown) == {project["theme"]}
            # open the project, then its French partners, then the partner's collectivity
            page.click(f'td.type-pk a[href="/atlas/projects/{project["id"]}"]')
            expect(page.locator("td.col-title")).to_have_text(project["title"])
            page.click(f'a[href="/atlas/french_partners?project_id={project["id"]}"]')
            page.locator("td.col-collectivity a", has_text=partner["name"]).first.click()
            expect(page).to_have_url(f"{server}/atlas/collectivities/french-{partner['id']}")
            expect(page.locator("td.col-name")).to_have_text(partner["name"])
            # the collectivity's region, then its table as a CSV file
            page.goto(f"{server}/atlas/collectivities?region={partner['region']}")
            page.check("input[name=_dl]")
            with page.expect_download() as done:
                page.click("input[type=submit][value='Export CSV']")
            rows = list(csv.DictReader(io.StringIO(Path(done.value.path()).read_text("utf-8"))))
        finally:
            browser.close()
    expected = {
        f"french-{c['id']}"
        for c in collectivities.values()
        if c["kind"] == "french" and c["region"] == partner["region"]
    }
    assert {r["ref"] for r in rows} == expected and f"french-{partner['id']}" in expected
