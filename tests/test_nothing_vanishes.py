"""End to end: every record page the atlas links ends written, failed or skipped,
whatever answers it (tests/hostile.py). A login page at a project's and at a
foreign collectivity's address (read as a menu before), a redirect loop, a listed
page gone (404), a redirect to a menu page already fetched and a binary answer each
fail by URL with their reason; a project redirected to another one's page is its
duplicate; the run accounts for every page it was linked to and says incomplete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler.outcome import EXIT_INCOMPLETE
from atlas_crawler.replica.localrun import replica
from atlas_crawler.replica.templates import ATLAS_PATH
from tests.hostile import Faults, hostile
from tests.test_bounded_answers import crawl_measured, reachable

pytestmark = pytest.mark.e2e


def test_answers_that_are_not_the_page_fail_by_url_and_every_page_is_accounted_for(tmp_path: Path) -> None:
    faults = Faults()
    with (
        replica(projects=12, seed=5, truth=tmp_path / "truth.json") as upstream,
        hostile(upstream, faults) as (proxy, _canary),
    ):
        truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))["records"]
        projects = sorted((r for r in truth if r["type"] == "project"), key=lambda r: int(r["id"]))
        merged, expired = (
            f"redirect_to:{ATLAS_PATH}detailProjet.html?criteres.prjId={projects[0]['id']}",
            (f"redirect_to:{ATLAS_PATH}accesAtlas.html"),
        )
        kinds = dict(
            zip(("login", "redirect_loop", "not_found", merged, expired, "binary"), projects[1:7], strict=True)
        )
        kept = [projects[0], *projects[7:]]
        foreign = next(p["id"] for r in kept for p in r["foreign_partners"])  # reached through a kept project
        faults.broken_forever = {
            **{f".prjId={project['id']}": kind for kind, project in kinds.items()},
            f"?idCollectivite={foreign}": "login",
        }
        crawl = crawl_measured(proxy.base, tmp_path)

    def as_crawled(record: dict[str, Any]) -> dict[str, Any]:
        return {
            k: v for k, v in json.loads(json.dumps(record).replace(upstream, proxy.base)).items() if k != "crawled_at"
        }

    failures = {f["url"]: f["reason"] for f in crawl.report["failures"]}
    foreign_url = f"{proxy.base}detailCollectiviteEtrangere.html?idCollectivite={foreign}"
    expected_reasons = {
        as_crawled(kinds["login"])["url"]: "not a project page",
        as_crawled(kinds["redirect_loop"])["url"]: "IgnoreRequest: max redirections reached after",
        as_crawled(kinds["not_found"])["url"]: "HTTP 404",
        as_crawled(kinds[expired])["url"]: "not a project page",  # redirected to a menu already fetched
        as_crawled(kinds["binary"])["url"]: "not a page: the answer is application/octet-stream",
        foreign_url: "not a collectivity page",
    }
    print(f"\nfailures: {failures}\npages: {crawl.report['pages']}")
    assert {url: failures.get(url, "")[: len(said)] for url, said in expected_reasons.items()} == expected_reasons
    assert set(failures) == set(expected_reasons)
    written = {r["url"]: {k: v for k, v in r.items() if k != "crawled_at"} for r in crawl.records}
    failed_projects = {kind["id"] for kind in kinds.values()}
    expected = {as_crawled(r)["url"]: as_crawled(r) for r in reachable(truth, failed_projects)}
    expected.pop(foreign_url)
    assert written == expected
    pages = crawl.report["pages"]
    assert pages["unaccounted"] == []
    assert pages["linked"] == pages["written"] + pages["failed"] + pages["duplicates"]
    assert pages["failed"] == len(expected_reasons) and pages["duplicates"] == 1
    # A project the atlas redirects to another one's page (merged) is that record's duplicate.
    skipped = {s["url"]: s["rule"] for s in crawl.report["skipped"]}
    assert (
        skipped[as_crawled(kinds[merged])["url"]]
        == f"duplicate of {as_crawled(projects[0])['url']}: the atlas redirects there"
    )
    assert crawl.returncode == EXIT_INCOMPLETE


def test_one_record_one_spelling_and_a_clean_run_accounts_for_every_page(tmp_path: Path) -> None:
    """Two project pages also link a project and a foreign collectivity with leading
    zeros in their ids (``prjId=01005``): each is fetched once and written once;
    every page linked is written, and the run is complete."""
    faults = Faults()
    with (
        replica(projects=6, seed=6, truth=tmp_path / "truth.json") as upstream,
        hostile(upstream, faults) as (proxy, _canary),
    ):
        truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))["records"]
        project = next(r for r in truth if r["type"] == "project")
        foreign = next(p["id"] for p in project["foreign_partners"])
        other = next(r for r in truth if r["type"] == "project" and r["id"] != project["id"])
        spellings = (
            f"detailProjet.html?criteres.prjId=0{project['id']}",
            f"detailProjet.html?criteres.prjId=000{project['id']}&origine=liste",
            f"detailCollectiviteEtrangere.html?idCollectivite=00{foreign}",
        )
        faults.extra_links = {f"prjId={project['id']}": spellings, f"prjId={other['id']}": spellings}
        crawl = crawl_measured(proxy.base, tmp_path)
        hits = proxy.page_hits()
    keys = [(r["type"], r.get("kind"), r["id"]) for r in crawl.records]
    assert len(keys) == len(set(keys)) == len(truth)
    assert {r["url"] for r in crawl.records} == {r["url"].replace(upstream, proxy.base) for r in truth}
    fetched = [t for t in hits if f"prjId={project['id']}" in t or f"prjId=0{project['id']}" in t]
    assert [t.split("?", 1)[1] for t in fetched if "-p=" not in t] == [f"criteres.prjId={project['id']}"]
    assert sum(f"idCollectivite={foreign}" in t or f"idCollectivite=00{foreign}" in t for t in hits) == 1
    pages = crawl.report["pages"]
    assert pages["unaccounted"] == [] and pages["linked"] == pages["written"] == len(truth)
    assert crawl.returncode == 0, crawl.report["outcome"]
