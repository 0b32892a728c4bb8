"""report.html: the run's health and charts of its data, one self-contained page.

Fast tests render the replica's ground truth with a report; the browser test opens
the page of a real crawl of the replica in Chromium (Playwright, the system
Chromium with the project's launch options)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from atlas_crawler.files import report_view
from atlas_crawler.replica.world import World
from atlas_crawler.run.report.html import (
    FOREIGN_FUNDER,
    OTHER_FUNDER,
    funder_type,
    main,
    render_html,
    write_html,
)
from atlas_crawler.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from tests.conftest import run_crawl

BASE = "http://127.0.0.1:8765/cncdext/dyn/public/atlas/"


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return World(projects=80, seed=5).truth(BASE)["records"]


def _report(**extra: Any) -> dict[str, Any]:
    """A run report as the crawler writes it (the keys report.html reads)."""
    failed = f"{BASE}detailProjet.html?criteres.prjId=1011"
    return {
        "spider": "atlas",
        "base_url": BASE,
        "entry": "lists",
        "started_at": "2026-11-26T04:19:53Z",
        "runs": 1,
        "finished_at": "2026-11-26T04:20:25Z",
        "duration_seconds": 32.3,
        "finish_reason": "finished",
        "records": {"collectivity": 353, "project": 296},
        "pages_fetched": 907,
        "distinct_pages": 907,
        "redundant_fetches": 0,
        "requests": 976,
        "retries": 64,
        "failures": [
            {"url": failed, "reason": "soft error: Erreur technique"},
            {
                "url": f"{BASE}detailProjet.html?criteres.prjId=1393",
                "reason": "HTTP 500 (table page <script>alert(1)</script>)",
            },
        ],
        "invalid_records": [],
        "lists": {
            "checked": 47,
            "complete": 46,
            "incomplete": [
                {
                    "url": f"{BASE}listeProjetsPays.html?codePays=CL",
                    "kind": "project",
                    "pages": 1,
                    "announced": 10,
                    "listed": 10,
                    "written": 9,
                    "missing_ids": ["1011"],
                    "complete": False,
                }
            ],
        },
        "monitors": {"FailedPagesMonitor": {"passed": False, "reason": "Expecting 'atlas/pages_failed' <= 0"}},
        "field_coverage": {
            "project": {
                "records": 296,
                "fields": {"id": {"found": 296, "ratio": 1.0}, "volunteers": {"found": 120, "ratio": 0.4054}},
                "never_found": [],
            }
        },
        "warnings": ["world map could not be rendered"],
        **extra,
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Ministère de l'Europe et des Affaires étrangères", "État"),
        ("Agence Française de Développement (AFD)", "État"),
        ("Union européenne", "Union européenne"),
        ("Agence de l'eau Seine-Normandie", "Agences de l'eau"),
        ("Conseil régional de Bretagne", "Régions"),
        ("Région Île-de-France", "Régions"),
        ("Conseil départemental du Finistère", "Départements"),
        ("Conseil général de l'Essonne", "Départements"),
        ("Communauté d'agglomération d'Evry Centre Essonne", "Communes et intercommunalités"),
        ("Ville de Rennes", "Communes et intercommunalités"),
        ("S.A.N. de Le Thiès II", "Communes et intercommunalités"),
        ("Fondation Œuvre d’Orient", "Associations et fondations"),
        ("Autre", OTHER_FUNDER),
        ("Monsieur Dupont", OTHER_FUNDER),
        (None, OTHER_FUNDER),
    ],
)
def test_funder_types_come_from_the_words_of_the_name(name: str | None, kind: str) -> None:
    assert funder_type(name) == kind


def test_a_foreign_collectivity_funding_its_project_is_a_foreign_funder() -> None:
    assert funder_type("Commune Urbaine de Kayes", frozenset({"commune urbaine de kayes"})) == FOREIGN_FUNDER
    assert funder_type("Commune Urbaine de Kayes") == "Communes et intercommunalités"


def _bars(page: str) -> dict[str, str]:
    """Every bar's tooltip: ``label : value``."""
    return {unescape(k): unescape(v) for k, v in re.findall(r"<title>([^<]*?) : ([^<]*)</title>", page)}


def test_the_page_shows_the_run_and_the_data(records) -> None:
    counts = {"project": {"added": 3, "removed": 1, "changed": 5, "unknown": 2}}
    changes = {"since": "2026-11-19T031500Z", "counts": counts}
    unreadable = {"project.start_year": {"count": 2, "example": {"url": BASE, "text": "vers 1990"}}}
    page = render_html(_report(changes=changes, unreadable=unreadable), iter(records))
    bars = _bars(page)
    projects = [r for r in records if r["type"] == "project"]
    countries = Counter(c for r in projects for c in {p["country"] for p in r["foreign_partners"]})
    ranked = sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))
    for country, n in ranked if len(ranked) <= 30 else ranked[:29]:  # beyond 30 bars, one bar for the rest
        assert bars[country] == str(n), country
    themes = Counter(r["theme"] for r in projects)
    assert all(bars[theme] == str(n) for theme, n in themes.items())
    regions = Counter(r["region"] for r in records if r["type"] == "collectivity" and r["kind"] == "french")
    assert all(bars[region] == str(n) for region, n in regions.items())
    years = Counter(r["start_year"] for r in projects if r["start_year"])
    assert all(f"<title>{year} : {n} projet(s)</title>" in page for year, n in years.items())
    state = sum(line["amount_eur"] or 0 for r in projects for line in r["funding"] if "Ministère" in line["funder"])
    assert bars["État"] == f"{state:,.0f}".replace(",", "\u202f") + "\u00a0€"
    assert bars["soft error"] == "1" and bars["HTTP 500"] == "1"  # failures by reason
    assert bars["volunteers"] == "40,5\u00a0%"  # field coverage
    assert "<td>project</td><td class=num>3</td><td class=num>1</td><td class=num>5</td><td class=num>2</td>" in page
    for words in ("Valeurs illisibles", "vers 1990", "Changements depuis le passage précédent", "modifiés",
                  "Depuis le passage 2026-11-19T031500Z",
                  "world map could not be rendered", "Listes complètes", "46 / 47", "FailedPagesMonitor"):  # fmt: skip
        assert words in page, words
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_loads_nothing(records) -> None:
    page = render_html(_report(), iter(records))
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\'' in page
    for outside in (r"<script", r"<link", r"\ssrc=", r"url\(", r"@import", r"<iframe", r"<img"):
        assert not re.search(outside, page, re.IGNORECASE), outside
    assert len(re.findall(r'<svg class="chart"', page)) == 7  # failures, coverage, 5 data charts


def test_without_records_the_page_says_so() -> None:
    page = render_html(_report(failures=[], changes={"since": None, "counts": {}}), None)
    assert "Aucun passage complet antérieur" in page
    assert "Aucune page en échec." in page and "n'ont pas été fournis" in page
    assert "Projets par pays" not in page


def test_write_html_puts_the_page_beside_the_report_and_finds_the_records(records, tmp_path: Path) -> None:
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    (tmp_path / "atlas.report.json").write_text(json.dumps(_report()), encoding="utf-8")
    (tmp_path / "atlas.jsonl").write_text(lines, encoding="utf-8")
    written = write_html(tmp_path / "atlas.report.json")
    assert written == tmp_path / "atlas.report.html" == report_view(tmp_path / "atlas.report.json")
    assert "Projets par pays partenaire" in written.read_text("utf-8")
    run = tmp_path / "run"
    run.mkdir()
    (run / "report.json").write_text(json.dumps(_report()), encoding="utf-8")
    (run / "records.jsonl").write_text(lines + '{"type": "proj', encoding="utf-8")  # a torn last line
    assert main([str(run / "report.json")]) == 0
    assert "Projets par pays partenaire" in (run / "report.html").read_text("utf-8")
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "report.json").write_text(json.dumps(_report()), encoding="utf-8")
    assert "n'ont pas été fournis" in write_html(alone / "report.json").read_text("utf-8")
    assert "Projets par pays" in write_html(alone / "report.json", tmp_path / "atlas.jsonl").read_text("utf-8")


@pytest.mark.browser
@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (make install does it)")
def test_the_page_of_a_real_crawl_draws_every_chart_offline(tmp_path: Path) -> None:
    crawl = run_crawl(tmp_path, projects=60, faults=True)
    assert crawl.report["failures"]  # the faulty replica: the failures chart is drawn too
    page_path = write_html(tmp_path / "atlas.report.json", crawl.output)
    url = page_path.resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**PLAYWRIGHT_LAUNCH_OPTIONS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url, wait_until="load")
            sizes = page.eval_on_selector_all(
                "svg.chart",
                "charts => charts.map(c => { const r = c.getBoundingClientRect(); return [r.width, r.height]; })",
            )
            heading = page.text_content("h1")
        finally:
            browser.close()
    assert errors == []
    assert requests == [url]
    assert len(sizes) == 8  # failures, coverage of projects and collectivities, 5 data charts
    assert all(width > 0 and height > 0 for width, height in sizes), sizes
    assert heading and "passage du" in heading
