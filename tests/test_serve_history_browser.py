"""The history's canned queries in Datasette through Chromium, over the history the
session's scheduled crawls of the replica's changing world kept themselves (``editions``:
editions 1, 2, 2 with refused pages, 3 interrupted, 3): `python -m atlas_crawler.serve`
on the latest run folder, on a free port of 127.0.0.1. A reader opens the history,
compares a project's versions side by side, asks for the atlas as it stood between two
runs, opens the additions and removals per month, and downloads them as CSV. What to
expect is read from the run folders' records and reports."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from atlas_crawler.files import RECORDS, REPORT
from atlas_crawler.records import read_records
from atlas_crawler.run import folders
from atlas_crawler.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from tests.serving import serving

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (make install does it)"),
]


@pytest.fixture(scope="module")
def history_runs(editions: dict[str, Any]) -> Path:
    """The crawled run folders and the history.sqlite they kept."""
    return editions["tmp"] / "runs"


@pytest.fixture(scope="module")
def server(history_runs: Path) -> Iterator[str]:
    latest = folders.all_runs(history_runs)[-1]
    with serving(latest) as url:
        yield url


def projects_per_run(runs_dir: Path) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """Each run's start (UTC, from its report) and the projects it read, by id, oldest run first."""
    out = []
    for run in folders.all_runs(runs_dir):
        started = json.loads((run / REPORT).read_text("utf-8"))["started_at"]
        out.append((started, {r["id"]: r for r in read_records(run / RECORDS) if r["type"] == "project"}))
    return out


def run_query(page: Page, server: str, title: str, **params: str) -> None:
    """Open a canned query from the history's page by its French title, fill its form, run it."""
    page.goto(f"{server}/history")
    page.get_by_role("link", name=title, exact=True).click()
    for name, value in params.items():
        page.fill(f"input[name={name}]", value)
    if params:
        page.click("input[type=submit]")


def test_the_history_in_the_browser(server: str, history_runs: Path) -> None:
    runs = projects_per_run(history_runs)
    titles: dict[str, list[str]] = {}
    for _, projects in runs:
        for pid, record in projects.items():
            if record["title"] not in titles.setdefault(pid, []):
                titles[pid].append(record["title"])
    changed = next(pid for pid, seen in titles.items() if len(seen) > 1)
    # the moment a run started: a project it read and no later run did, one only later runs read
    for i in range(len(runs) - 1):
        earlier = set().union(*(p for _, p in runs[: i + 1]))
        later = set().union(*(p for _, p in runs[i + 1 :]))
        gone = sorted(pid for pid in runs[i][1] if pid not in later)
        new = sorted(pid for pid in later if pid not in earlier)
        if gone and new:
            moment, gone, new = runs[i][0], gone[0], new[0]
            break
    else:
        pytest.fail("no run before which a project is removed and another added")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**PLAYWRIGHT_LAUNCH_OPTIONS)
        try:
            page = browser.new_page()
            page.goto(f"{server}/history")
            expect(page.locator("h1")).to_contain_text("Historique de l'atlas")
            # a project's versions side by side: its titles, oldest first
            run_query(page, server, "Les versions d'un projet", id=changed)
            expect(page.locator("td.col-titre")).to_have_text(titles[changed])
            # the atlas on a date: a project removed later is there, one added later is not
            run_query(page, server, "L'atlas à une date", date=moment, type="project")
            expect(page.locator("td.col-id", has_text=gone).first).to_be_visible()
            shown = set(page.locator("td.col-id").all_inner_texts())
            # what that run read, and maybe records it kept unseen (the unknown rule)
            assert gone in shown and new not in shown and shown >= set(runs[i][1])
            # the additions and removals per month, then the same as a CSV file
            run_query(page, server, "Ajouts et retraits par mois")
            expect(page.locator("td.col-mois").first).to_have_text(runs[0][0][:7])
            link = page.get_by_role("link", name="CSV", exact=True).get_attribute("href")
            answer = page.request.get(f"{server}{link}")
            rows = list(csv.DictReader(io.StringIO(answer.text())))
        finally:
            browser.close()
    months = {started[:7] for started, _ in runs}
    assert {r["mois"] for r in rows} == months
    assert sum(int(r["passages"]) for r in rows if r["type"] == "project") == len(runs)
    assert sum(int(r["ajoutes"]) for r in rows if r["type"] == "project") >= len(runs[0][1])
