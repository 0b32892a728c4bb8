"""A weekly run on a site with its own broken pages: pages the site itself refuses
(its error page on every retry, 404/410) within the tolerance make a run *complete
with known gaps* (exit 0); anything else, or more of them, keeps it incomplete."""

from __future__ import annotations

from typing import Any

import pytest

from atlas_crawler import outcome
from atlas_crawler.run.report.build import build_report
from atlas_crawler.run.state import RunState

BASE = "https://atlas.test/"


def project(n: int) -> str:
    return f"{BASE}detailProjet.html?criteres.prjId={n}"


def report(failures: dict[str, str], allowed: int = 10, lists: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "finish_reason": "finished",
        "records": {"project": 90},
        "failures": [{"url": u, "reason": r} for u, r in failures.items()],
        "tolerance": {"max_failed_pages": allowed, "max_failed_share": 0.0, "allowed": allowed},
        "lists": {"incomplete": lists or []},
        "monitors": {"FailedPagesMonitor": {"passed": True}},
    }


SHORT_LIST = {"url": f"{BASE}listeProjetsPays.html?codePays=ML", "missing_ids": ["1"], "explained_by_failures": True}


def test_refusals_within_the_tolerance_are_known_gaps_and_the_run_is_complete() -> None:
    run = report({project(1): "soft error: Erreur technique", project(2): "HTTP 404"}, lists=[SHORT_LIST])
    assert outcome.exit_code(run) == outcome.EXIT_COMPLETE
    said = outcome.result(run, outcome.exit_code(run), "")
    assert said["meaning"] == "complete with known gaps" and said["incomplete_because"] == []
    assert [gap["url"] for gap in said["known_gaps"]] == [project(1), project(2)]


@pytest.mark.parametrize(
    ("failures", "lists", "why"),
    [
        ({project(1): "HTTP 500"}, [], "1 pages failed after retries"),
        ({project(1): "TimeoutError: took too long", project(2): "soft error: x"}, [], "1 pages failed after retries"),
        ({project(n): "soft error: x" for n in range(11)}, [], "11 pages failed after retries (11 refused by the site, "
         "over the tolerance of 10)"),
        ({project(1): "soft error: x"}, [{**SHORT_LIST, "explained_by_failures": False}], "1 lists short"),
        ({}, [{**SHORT_LIST, "explained_by_failures": False}], "1 lists short"),
    ],
)  # fmt: skip
def test_anything_else_keeps_the_run_incomplete(failures: dict[str, str], lists: list[Any], why: str) -> None:
    run = report(failures, lists=lists)
    assert outcome.exit_code(run) == outcome.EXIT_INCOMPLETE
    assert any(line.startswith(why) for line in outcome.incomplete_because(run)), outcome.incomplete_because(run)
    assert outcome.result(run, outcome.EXIT_INCOMPLETE, "")["known_gaps"] == []


def test_a_list_short_only_by_pages_the_site_refused_is_explained() -> None:
    state = RunState(failures={project(2): "soft error: Erreur technique", project(4): "HTTP 500"})
    ml, sn = f"{BASE}listeProjetsPays.html?codePays=ML", f"{BASE}listeProjetsPays.html?codePays=SN"
    state.list_page(ml, 2, ["1", "2"], "project")
    state.list_page(sn, 2, ["3", "4"], "project")
    for n in (1, 3):
        state.record_written({"type": "project", "id": str(n), "url": project(n)})
    state.linked.update(project(n) for n in range(1, 5))
    built = build_report(state, {}, "finished", {}, tolerance=outcome.Tolerance(10, 0.0))
    checks = {item["url"]: item for item in built["lists"]["all"]}
    assert checks[ml]["explained_by_failures"] and not checks[sn]["explained_by_failures"]
    assert built["tolerance"] == {"max_failed_pages": 10, "max_failed_share": 0.0, "allowed": 10}


def test_the_tolerance_is_a_count_or_a_share_of_the_record_pages_linked() -> None:
    assert outcome.Tolerance(10, 0.01).allowed(500) == 10
    assert outcome.Tolerance(10, 0.01).allowed(15_000) == 150
    assert outcome.Tolerance(0, 0.0).allowed(15_000) == 0
