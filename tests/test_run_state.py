"""The run state: what a run has seen, added up in one place (atlas_crawler/run/state.py)."""

from __future__ import annotations

from typing import Any

from atlas_crawler.items import CollectivityItem, ProjectItem
from atlas_crawler.pages.loaders import UNREADABLE
from atlas_crawler.run.report.build import build_report
from atlas_crawler.run.state import RunState


def _project(record_id: str, **fields: Any) -> ProjectItem:
    return ProjectItem(type="project", id=record_id, url=f"https://x/p?id={record_id}", title="T", **fields)


def _collectivity(kind: str, record_id: str) -> CollectivityItem:
    return CollectivityItem(type="collectivity", kind=kind, id=record_id, name="N", project_ids=[])


def test_a_french_and_a_foreign_collectivity_with_one_id_are_two_records() -> None:
    state = RunState()
    for record in (_collectivity("french", "7"), _collectivity("foreign", "7"), _project("7")):
        state.record_written(record)
    assert state.records_by_type() == {"collectivity": 2, "project": 1}
    report = build_report(state, {}, "finished", {})
    assert report["records"] == {"collectivity": 2, "project": 1}
    assert report["field_coverage"]["collectivity"]["records"] == 2


def test_list_pages_add_up_and_are_checked_against_the_records_written() -> None:
    state = RunState()
    state.list_page("https://x/list", 3, ["1", "2"], "project")
    state.list_page("https://x/list", None, ["3"], "project")
    state.list_page("https://x/towns", 1, ["5"], "collectivity")
    for record in (_project("1"), _project("3"), _collectivity("french", "5")):
        state.record_written(record)
    checks = {check["url"]: check for check in state.list_checks()}
    assert checks["https://x/list"] == {
        "url": "https://x/list",
        "kind": "project",
        "pages": 2,
        "announced": 3,
        "listed": 3,
        "written": 2,
        "missing_ids": ["2"],
        "complete": False,
        "explained_by_failures": False,
    }
    assert checks["https://x/towns"]["complete"] is True
    assert state.lists_done() == (1, 3, 4)


def test_missing_ids_sort_as_numbers() -> None:
    state = RunState()
    state.list_page("https://x/list", 3, ["10", "9", "100"], "project")
    assert state.list_checks()[0]["missing_ids"] == ["9", "10", "100"]


def test_coverage_counts_fields_found_on_written_records_and_unreadable_examples() -> None:
    state = RunState()
    state.record_written(_project("1", theme=["Eau"], extra={UNREADABLE: {"start_date": ["31/02/2013"]}}))
    state.record_written(_project("2", theme=[], start_year=0))
    coverage = state.coverage()["project"]
    assert coverage["records"] == 2
    assert coverage["fields"]["title"] == {"found": 2, "ratio": 1.0}
    assert coverage["fields"]["theme"] == {"found": 1, "ratio": 0.5}  # [] is not found
    assert coverage["fields"]["start_year"]["found"] == 1  # 0 is a value
    assert "embassy" in coverage["never_found"]
    assert state.unreadable == {"start_date": {"url": "https://x/p?id=1", "text": "31/02/2013"}}
    report = build_report(state, {"atlas/field/start_date/unreadable": 1}, "finished", {})
    assert report["unreadable"] == {"start_date": {"count": 1, "example": state.unreadable["start_date"]}}


def test_a_saved_state_restores_what_the_feed_and_the_ledger_do_not_hold() -> None:
    state = RunState()
    state.failures["https://x/p?id=4"] = "HTTP 500"
    state.warnings.append("robots.txt allows everything")
    state.fetched["https://x/p?id=1"] += 2
    state.earlier_stats = {"retry/count": 3}
    state.record_written(_project("1"))
    state.list_page("https://x/list", 3, ["1"], "project")
    again = RunState.from_json(state.to_json())
    assert again.runs == state.runs + 1
    assert (again.failures, again.warnings, again.fetched, again.earlier_stats) == (
        state.failures,
        state.warnings,
        state.fetched,
        state.earlier_stats,
    )
    # Written records and lists come back from the feed file and the ledger, not from here.
    assert again.written == set() and again.lists == {}
