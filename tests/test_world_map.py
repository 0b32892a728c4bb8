"""The world map: country links written by JavaScript, read through headless
Chromium (scrapy-playwright), with a fallback to the country list."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import Crawl, run_crawl

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def _ids(crawl: Crawl) -> set[tuple[str, str | None, str]]:
    return {(r["type"], r.get("kind"), r["id"]) for r in crawl.records}


@pytest.fixture(scope="module")
def lists_crawl(tmp_path_factory) -> Crawl:
    return run_crawl(tmp_path_factory.mktemp("lists"), projects=120, faults=False)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (make install does it)")
def test_map_entry_reaches_the_same_atlas_as_the_lists(lists_crawl: Crawl, tmp_path) -> None:
    crawl = run_crawl(tmp_path, projects=120, faults=False, entry="map")
    assert crawl.report["entry"] == "map"
    assert crawl.report["warnings"] == []
    assert _ids(crawl) == _ids(lists_crawl)
    assert len(crawl.records) == len(crawl.truth["records"])
    # only the map went through the browser; every other page through Scrapy's downloader
    browser = crawl.report["browser"]
    assert browser["request_count/navigation"] == 1
    assert browser["browser_count"] == browser["context_count"] == browser["page_count"] == 1
    assert lists_crawl.report["browser"] == {}
    assert crawl.report["redundant_fetches"] == 0


@pytest.mark.parametrize("executable", ["/nonexistent/chromium", "/bin/false"])
def test_without_a_working_browser_the_crawl_falls_back_to_the_lists(
    lists_crawl: Crawl, tmp_path, executable: str
) -> None:
    options = json.dumps({"executable_path": executable, "timeout": 15000})
    crawl = run_crawl(
        tmp_path, projects=120, faults=False, settings={"PLAYWRIGHT_LAUNCH_OPTIONS": options}, entry="map"
    )
    assert crawl.report["finish_reason"] == "finished"
    assert _ids(crawl) == _ids(lists_crawl)
    assert len(crawl.report["warnings"]) == 1
    assert "countries taken from" in crawl.report["warnings"][0]
    assert crawl.report["warnings"][0].endswith("listePays.html")
