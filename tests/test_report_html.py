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

from atlas_crawler import outcome
from atlas_crawler.files import report_view
from atlas_crawler.replica.world import World
from atlas_crawler.run import folders
from atlas_crawler.run.monitors import AtlasCloseMonitorSuite
from atlas_crawler.run.report import words
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
        "monitors": {
            "FailedPagesMonitor": {"passed": False, "reason": "2 pages failed after retries"},
            "InvalidRecordsMonitor": {
                "passed": False,
                "reason": "Expecting 'atlas/records_invalid' to be '<=' to '0'. Current value: '2.0'",
            },
        },
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
    bars = re.findall(r'<span class="label">([^<]*)</span>.*?<span class="value">([^<]*)</span>', page)
    return {unescape(k): unescape(v) for k, v in bars}


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
    assert bars["page d'erreur du site"] == "1" and bars["HTTP 500 : erreur du serveur"] == "1"  # failures by reason
    assert "<td>projets</td><td class=num>3</td><td class=num>1</td><td class=num>5</td><td class=num>2</td>" in page
    for text in ("Valeurs illisibles", "Année de début du partenariat", "vers 1990",
                  "Changements depuis le passage précédent", "modifiés", "Depuis le passage 2026-11-19T031500Z",
                  "world map could not be rendered", "Listes complètes", "46 / 47", "Pages en échec",
                  "valeur 2, pour un maximum de 0"):  # fmt: skip
        assert text in page, text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_loads_nothing(records) -> None:
    page = render_html(_report(), iter(records))
    assert 'http-equiv="Content-Security-Policy" content="default-src \'none\'' in page
    for outside in (r"<script", r"<link", r"\ssrc=", r"url\(", r"@import", r"<iframe", r"<img"):
        assert not re.search(outside, page, re.IGNORECASE), outside
    assert len(re.findall(r"<svg", page)) == 1  # the years' columns; every other chart is HTML
    assert len(re.findall(r'<div class="bars"', page)) == 5  # failures; countries, themes, regions, funders


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
                "svg.chart, .bars, figure.coverage table",
                "charts => charts.map(c => { const r = c.getBoundingClientRect(); return [r.width, r.height]; })",
            )
            heading = page.text_content("h1")
            verdict = page.text_content("#resultat .verdict")
        finally:
            browser.close()
    assert errors == []
    assert requests == [url]
    assert len(sizes) == 8  # failures, coverage of projects and collectivities, 5 data charts
    assert all(width > 0 and height > 0 for width, height in sizes), sizes
    assert heading and "passage du" in heading
    code = crawl.report["outcome"]["exit_code"]
    assert verdict and verdict.startswith("Résultat : ") and f"(code {code})" in verdict, verdict


# --- the outcome first, in French ----------------------------------------------------------
def _verdict(page: str) -> str:
    """The outcome's line: the first thing after the title."""
    after_title = page.split("</h1>", 1)[1]
    match = re.search(r'<section class="outcome (\w+)" id="resultat"><p class="verdict">(.*?)</p>', after_title)
    assert match and after_title.lstrip().startswith('<section class="outcome'), after_title[:300]
    return f"{match.group(1)}: {unescape(match.group(2))}"


def test_the_page_opens_with_the_outcome_complete_with_known_gaps() -> None:
    gaps = [{"url": f"{BASE}detailProjet.html?criteres.prjId={i}", "reason": "soft error: Erreur technique"}
            for i in (1011, 1020, 1031)]  # fmt: skip
    result = {"exit_code": 0, "meaning": "complete with known gaps", "incomplete_because": [], "known_gaps": gaps}
    page = render_html(_report(failures=gaps, outcome=result, tolerance={"allowed": 13}))
    assert _verdict(page) == "gaps: Résultat : complet avec 3 pages refusées par le site (code 0)"
    refused = unescape(page.split('id="resultat"', 1)[1].split("</section>", 1)[0])
    assert all(g["url"] in refused for g in gaps)
    assert "page d'erreur du site : « Erreur technique »" in refused and "tolérance : 13 page(s)" in refused
    assert "soft error" not in page


def test_the_page_opens_with_the_outcome_complete_or_incomplete_and_why() -> None:
    complete = {"exit_code": 0, "meaning": "complete", "incomplete_because": [], "known_gaps": []}
    page = render_html(_report(failures=[], outcome=complete))
    assert _verdict(page) == "good: Résultat : complet (code 0)"
    because = ["finish reason closespider_timeout", "monitors failed: FailedPagesMonitor, Finish Reason Monitor",
               "2 pages failed after retries (1 refused by the site, over the tolerance of 0)",
               "1 lists short of their announced count"]  # fmt: skip
    incomplete = {"exit_code": 1, "meaning": "incomplete", "incomplete_because": because, "known_gaps": []}
    page = render_html(_report(outcome=incomplete, finish_reason="closespider_timeout"))
    assert _verdict(page) == (
        "bad: Résultat : incomplet (code 1) — fin du passage : arrêté : durée maximale ; contrôles échoués : "
        "Pages en échec, Fin du passage ; 2 pages en échec après les reprises, dont 1 refusée(s) par le site, "
        "au-delà de la tolérance de 0 ; 1 liste sans le nombre d'enregistrements annoncé"
    )


def test_a_report_without_its_outcome_is_judged_as_the_crawl_command_judges_it() -> None:
    """The report writer draws the page before the crawl command adds ``outcome``
    (the command draws it again then): the page says what the report gives."""
    page = render_html(_report())
    assert _verdict(page).startswith("bad: Résultat : incomplet (code 1) — ")
    assert "pas (encore) écrit sa conclusion" in page


def _everything_wrong() -> dict[str, Any]:
    return _report(
        finish_reason="closespider_pagecount",
        invalid_records=[{"type": "project", "id": "1", "errors": ["x"]}],
        pages={"linked": 9, "forbidden": 2, "unaccounted": ["u"]},
        monitors={"FailedPagesMonitor": {"passed": False, "reason": "1 pages failed after retries"}},
    )


def test_every_reason_of_the_outcome_is_said_in_french() -> None:
    """Each reason ``outcome.incomplete_because`` gives has its French words: a new or
    reworded reason fails here rather than showing English on the page."""
    reasons = outcome.incomplete_because(_everything_wrong())
    assert len(reasons) == 7, reasons
    for reason in reasons:
        assert words.because(reason) != reason, reason
    assert {code for name, code in vars(outcome).items() if name.startswith("EXIT_")} <= set(words.OUTCOMES)


def test_monitors_finish_reasons_and_failures_are_in_french() -> None:
    for monitor in AtlasCloseMonitorSuite.monitors:
        name = getattr(monitor.options, "name", None) or monitor.__name__
        assert words.monitor_name(name) != name, name
    assert set(vars(outcome)[n] for n in vars(outcome) if n.startswith("REASON_")) <= set(words.FINISH_REASONS)
    coverage = ("\nThe following items did not meet field coverage rules:\n"
                "ProjectItem/title (expected 0.95, got 0.5, tolerance: 0.0)")  # fmt: skip
    assert (
        words.monitor_message(coverage) == "champs trop rarement trouvés : Titre : 50\u00a0% trouvé, 95\u00a0% attendu"
    )
    finish = "Finished with \"closespider_timeout\" the expected reasons are ['finished']"
    assert words.monitor_message(finish) == "fin du passage : arrêté : durée maximale (attendu : terminé)"
    assert words.failure_reason("HTTP 503 after 2 redirects (last to http://a/b)") == (
        "HTTP 503 : service indisponible après 2 redirections (la dernière vers http://a/b)"
    )
    assert words.failure_reason("TimeoutError: Getting http://a took longer than 30 seconds.") == "délai dépassé"
    assert words.skip_rule("forbidden by robots.txt (User-agent: *, Disallow: /x)") == (
        "interdite par robots.txt (User-agent: *, Disallow: /x)"
    )
    page = render_html(_everything_wrong())
    for english in ("soft error", "Monitor", "finished", "forbidden", "failed after"):
        assert english not in page.split("<style>")[0] + page.split("</style>")[1], english


def test_field_coverage_shows_every_field_by_its_label_the_rarest_first() -> None:
    ratios = {"id": 1.0, "title": 0.99, "theme": 0.9, "volunteers": 0.4054, "embassy": 0.02, "history": 0.0,
              "funding": 0.3, "context": 0.31, "status": 0.5}  # fmt: skip
    fields = {name: {"found": round(r * 296), "ratio": r} for name, r in ratios.items()}
    coverage = {"project": {"records": 296, "fields": fields, "never_found": ["history"]}}
    page = render_html(_report(field_coverage=coverage))
    table = page.split('<figure class="coverage" data-type="project">', 1)[1].split("</figure>", 1)[0]
    shown = [unescape(c) for c in re.findall(r"<td>[^<]*<code>(\w+)</code></td>", table)]
    assert shown == sorted(ratios, key=ratios.get)  # every field, the rarest first
    assert "autres" not in table
    assert "Volontaires impliqués dans le partenariat" in table and "40,5\u00a0%" in table
    assert "Jamais trouvés : Historique." in table


# --- the trend across runs, status.json -----------------------------------------------------
def three_runs(runs_dir: Path, records: list[dict[str, Any]] | None = None) -> list[Path]:
    """Three run folders as scheduled crawls leave them: complete, incomplete, complete
    with 3 pages refused by the site (the last drawn with ``write_html``)."""
    made = []
    gaps = [{"url": f"{BASE}detailProjet.html?criteres.prjId={i}", "reason": "soft error: Erreur technique"}
            for i in (1011, 1020, 1031)]  # fmt: skip
    shapes = [
        (0, "complete", [], [], {"project": 290, "collectivity": 350}, 0, None),
        (1, "incomplete", ["2 pages failed after retries"], [], {"project": 288, "collectivity": 350}, 4,
         {"project": {"added": 3, "removed": 0, "changed": 5, "unknown": 2}}),
        (0, "complete with known gaps", [], gaps, {"project": 293, "collectivity": 353}, 1,
         {"project": {"added": 5, "removed": 2, "changed": 7, "unknown": 3}}),
    ]  # fmt: skip
    for code, meaning, because, known, counts, doubts, changes in shapes:
        run = folders.new_run(runs_dir)
        result = {"exit_code": code, "meaning": meaning, "incomplete_because": because, "known_gaps": known,
                  "run_folder": str(run)}  # fmt: skip
        failures = known or [{"url": f"{BASE}detailProjet.html?criteres.prjId=7", "reason": "HTTP 503"}] * code * 2
        report = _report(records=counts, failures=failures, outcome=result, doubts={"records": doubts},
                         changes={"since": made[-1].name if made else None, "counts": changes or {}})  # fmt: skip
        (run / "report.json").write_text(json.dumps(report), encoding="utf-8")
        if records is not None:
            (run / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        made.append(run)
    write_html(made[-1] / "report.json")
    return made


def test_a_run_folder_page_shows_the_trend_across_the_earlier_runs(tmp_path: Path) -> None:
    runs = three_runs(tmp_path / "runs")
    page = (runs[-1] / "report.html").read_text("utf-8")
    trend = page.split('<section id="tendance">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td><code class=u>([^<]+)</code>.*?</tr>", trend)
    assert rows == [r.name for r in runs]
    cells = [re.sub(r"<[^>]+>", "", unescape(c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", trend)]
    assert cells[:6] == [runs[0].name, "complet (0)", "640", "0", "0", "—"]
    assert cells[6:12] == [runs[1].name, "incomplet (1)", "638", "2", "4", "+3 / −0 / ~5"]
    assert cells[12:] == [f"{runs[2].name} (celui-ci)", "complet (3 refusée(s) par le site) (0)", "646", "3", "1",
                          "+5 / −2 / ~7"]  # fmt: skip
    assert trend.count("<svg") == 4 and trend.count("<circle") == 11  # the first run has no changes
    # an earlier run with a broken report, one without any: a row that says so, the rest drawn
    (runs[0] / "report.json").write_text('{"records": ', encoding="utf-8")
    (runs[1] / "report.json").unlink()
    page = write_html(runs[-1] / "report.json").read_text("utf-8")
    assert page.count("rapport absent ou illisible") == 2
    # outside a run folder: no trend
    (tmp_path / "atlas.report.json").write_text(json.dumps(_report()), encoding="utf-8")
    assert "tendance" not in write_html(tmp_path / "atlas.report.json").read_text("utf-8")


def test_status_json_says_the_last_run_and_the_last_complete_one(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    first, second = folders.new_run(runs_dir), folders.new_run(runs_dir)
    (first / "records.jsonl").write_text("")
    (first / "report.json").write_text(json.dumps({"finished_at": "2026-11-30T03:40:00Z"}))
    folders.point_latest(runs_dir, first)
    report = {"finished_at": "2026-12-07T03:42:00Z", "records": {"project": 5, "collectivity": 7}}
    result = {"exit_code": 1, "meaning": "incomplete", "known_gaps": []}
    path = folders.write_status(runs_dir, second, report, result)
    assert path == runs_dir / "status.json"
    assert json.loads(path.read_text("utf-8")) == {
        "last_run": {"folder": second.name, "finished_at": "2026-12-07T03:42:00Z", "exit_code": 1,
                     "meaning": "incomplete", "known_gaps": 0, "records": 12},
        "last_complete_run": {"folder": first.name, "finished_at": "2026-11-30T03:40:00Z"},
    }  # fmt: skip
    assert folders.all_runs(runs_dir) == [first, second]  # not taken for a run
    assert [p.name for p in runs_dir.iterdir() if p.name.startswith(".status")] == []  # no temporary file left


# --- the lock leaves no file behind (run/folders.py) ----------------------------------------
def test_a_released_lock_leaves_no_file_and_stays_exclusive(tmp_path: Path) -> None:
    path = tmp_path / ".atlas.jsonl.lock"
    one, two = folders.RunLock(path), folders.RunLock(path)
    assert one.acquire("feed atlas.jsonl")
    assert not two.acquire() and two.holder().endswith(": feed atlas.jsonl")
    one.release()
    assert not path.exists()
    assert two.acquire() and path.is_file()
    two.release()
    assert list(tmp_path.iterdir()) == []


def test_a_lock_file_removed_by_its_holder_is_never_held_twice(tmp_path: Path) -> None:
    """The race of removing a lock file: B opens the file, A (the holder) releases and
    removes it, B locks the removed file. B must see that and lock the path's file
    instead, so that C, coming after, is refused: one holder at a time."""
    path = tmp_path / "lock"
    holder = folders.RunLock(path)
    assert holder.acquire()

    class ReleasedOnOpen(type(path)):  # type: ignore[misc]
        def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            opened = super().open(*args, **kwargs)
            holder.release()  # between B's open and B's flock
            return opened

    second = folders.RunLock(ReleasedOnOpen(path))
    assert second.acquire()
    assert path.is_file()
    third = folders.RunLock(path)
    assert not third.acquire()
    second.release()
    assert third.acquire()
    third.release()
