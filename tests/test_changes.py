"""Changes between runs: two scheduled crawls of a replica whose world changed in
between (projects added, removed and edited) give exactly the changes the two
ground truths imply; a project whose page failed is "unknown", never "removed"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler import outcome
from atlas_crawler.files import CHANGES, REPORT
from atlas_crawler.replica.localrun import PROJECT_ROOT
from atlas_crawler.replica.world import World
from atlas_crawler.run import changes, folders
from tests.scheduled import EDITION_PROJECTS as PROJECTS
from tests.scheduled import key, read_jsonl


def expected_changes(old: list[dict[str, Any]], new: list[dict[str, Any]], unknown: set = frozenset()) -> list[dict]:
    """The changes from one ground truth to the next, written out plainly (the oracle)."""
    before, after = {key(r): r for r in old}, {key(r): r for r in new}
    out = []
    for k in sorted(before.keys() | after.keys(), key=lambda k: (k[0], k[1] or "", int(k[2]))):
        entry = {"type": k[0], "kind": k[1], "id": k[2]}
        if k not in before:
            out.append({"change": "added", **entry, "url": after[k]["url"]})
        elif k not in after:
            out.append({"change": "unknown" if k in unknown else "removed", **entry, "url": before[k]["url"]})
        else:
            names = (set(before[k]) | set(after[k])) - {"crawled_at"}
            fields = {n: {"old": before[k].get(n), "new": after[k].get(n)} for n in names}
            fields = {n: v for n, v in fields.items() if v["old"] != v["new"]}
            if fields:
                out.append({"change": "changed", **entry, "url": after[k]["url"], "fields": fields})
    return out


def without_reasons(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if k != "reason"} for c in found]


@pytest.mark.e2e
def test_the_runs_end_as_expected(editions: dict[str, Any]) -> None:
    assert editions["first"].returncode == outcome.EXIT_COMPLETE, editions["first"].stdout[-3000:]
    assert editions["second"].returncode == outcome.EXIT_COMPLETE, editions["second"].stdout[-3000:]
    # The faulty edition's failures are pages the site refuses: complete with known gaps.
    assert editions["faulty"].returncode == outcome.EXIT_COMPLETE, editions["faulty"].stdout[-3000:]
    assert "complete with known gaps" in editions["faulty"].stdout
    assert editions["interrupted"].returncode == outcome.EXIT_INCOMPLETE, editions["interrupted"].stdout[-3000:]
    assert editions["third"].returncode == outcome.EXIT_COMPLETE, editions["third"].stdout[-3000:]
    assert folders.latest_complete(editions["tmp"] / "runs") == editions["third_run"]


@pytest.mark.e2e
def test_changes_between_two_editions_are_exactly_what_the_truths_imply(editions: dict[str, Any]) -> None:
    found = read_jsonl(editions["second_run"] / CHANGES)
    expected = expected_changes(editions["first_truth"]["records"], editions["second_truth"]["records"])
    assert found == expected
    assert {c["change"] for c in found} == {"added", "removed", "changed"}


@pytest.mark.e2e
def test_the_changes_are_the_edits_the_world_made(editions: dict[str, Any]) -> None:
    """Independent of any diff: the projects the replica's edition 2 removed, added and retitled."""
    first, second = World(PROJECTS), World(PROJECTS, edition=2)
    found = read_jsonl(editions["second_run"] / CHANGES)
    projects = {c["change"]: set() for c in found}
    for c in found:
        if c["type"] == "project":
            projects[c["change"]].add(int(c["id"]))
    assert projects["removed"] == first.projects.keys() - second.projects.keys() != set()
    assert projects["added"] == second.projects.keys() - first.projects.keys() != set()
    retitled = {i for i, p in second.projects.items() if "(édition 2)" in (p.data.get("title") or "")}
    assert retitled - projects["added"] <= projects["changed"]
    assert all("crawled_at" not in c.get("fields", {}) for c in found)


@pytest.mark.e2e
def test_the_summary_is_in_the_report_and_on_the_console(editions: dict[str, Any]) -> None:
    found = read_jsonl(editions["second_run"] / CHANGES)
    report = json.loads((editions["second_run"] / REPORT).read_text("utf-8"))
    assert report["changes"] == {"since": editions["first_run"].name, "counts": changes.summarize(found)}
    counts = report["changes"]["counts"]["project"]
    assert counts["added"] > 0 and counts["removed"] > 0 and counts["changed"] > 0 and counts["unknown"] == 0
    line = f"changes since {editions['first_run'].name}: {changes.summary_line(changes.summarize(found))}"
    assert line in editions["second"].stdout


@pytest.mark.e2e
def test_a_project_whose_page_failed_is_unknown_not_removed(editions: dict[str, Any]) -> None:
    found = read_jsonl(editions["faulty_run"] / CHANGES)
    failed = {url.rsplit("=", 1)[1] for url in editions["faulty_truth"]["failed_urls"]}
    assert failed
    unknown = {key(r) for r in editions["second_truth"]["records"]} - {
        key(r) for r in editions["faulty_truth"]["records"]
    }
    assert {("project", None, i) for i in failed} <= unknown
    expected = expected_changes(editions["second_truth"]["records"], editions["faulty_truth"]["records"], unknown)
    assert without_reasons(found) == expected
    assert "removed" not in {c["change"] for c in found}
    reasons = {c["id"]: c["reason"] for c in found if c["type"] == "project"}
    assert all(reasons[i].startswith("its page failed: ") for i in failed)
    report = json.loads((editions["faulty_run"] / REPORT).read_text("utf-8"))
    assert report["changes"]["since"] == editions["second_run"].name  # the previous complete run


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["module", "scrapy"])
def test_the_compare_command_gives_what_the_run_wrote(editions: dict[str, Any], how: str) -> None:
    first, second = editions["first_run"], editions["second_run"]
    prefix = (
        [sys.executable, "-m", "atlas_crawler.run.changes"]
        if how == "module"
        else [sys.executable, "-m", "scrapy", "changes"]
    )
    result = subprocess.run(
        [*prefix, str(first), str(second)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        check=True,
    )
    assert result.stdout == (second / CHANGES).read_bytes()
    assert b"added" in result.stderr


def test_two_jsonl_files_compare_without_a_report(tmp_path: Path) -> None:
    old = [{"type": "project", "id": "1", "url": "u1", "title": "A", "crawled_at": "t1"}]
    old += [{"type": "collectivity", "kind": "french", "id": "7", "url": "c7", "name": "X", "crawled_at": "t1"}]
    new = [{"type": "project", "id": "1", "url": "u1", "title": "B", "crawled_at": "t2"}]
    new += [{"type": "project", "id": "2", "url": "u2", "title": "C", "crawled_at": "t2"}]
    for name, records in (("old.jsonl", old), ("new.jsonl", new)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert (
        changes.main([str(tmp_path / "old.jsonl"), str(tmp_path / "new.jsonl"), "-o", str(tmp_path / "c.jsonl")]) == 0
    )
    assert read_jsonl(tmp_path / "c.jsonl") == [
        {"change": "removed", "type": "collectivity", "kind": "french", "id": "7", "url": "c7"},
        {
            "change": "changed",
            "type": "project",
            "kind": None,
            "id": "1",
            "url": "u1",
            "fields": {"title": {"old": "A", "new": "B"}},
        },
        {"change": "added", "type": "project", "kind": None, "id": "2", "url": "u2"},
    ]


# --- when an absence proves nothing ------------------------------------------------------
BASE = "http://atlas.test/atlas/"
OLD = {
    ("project", None, "1"): {"type": "project", "id": "1", "url": f"{BASE}detailProjet.html?criteres.prjId=1"},
    ("project", None, "2"): {"type": "project", "id": "2", "url": f"{BASE}detailProjet.html?criteres.prjId=2"},
    ("collectivity", "foreign", "9"): {
        "type": "collectivity",
        "kind": "foreign",
        "id": "9",
        "url": "c9",
        "project_ids": ["1"],
    },
}


def changes_of(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["change"] for c in changes.compare(OLD, {}, report)}


def test_absent_records_are_removed_after_a_complete_walk() -> None:
    assert changes_of({"finish_reason": "finished", "failures": []}) == {"1": "removed", "2": "removed", "9": "removed"}


def test_a_failed_project_page_hides_the_project_and_what_is_reached_through_it() -> None:
    failed = {"url": f"{BASE}detailProjet.html?criteres.prjId=1", "reason": "soft error"}
    assert changes_of({"finish_reason": "finished", "failures": [failed]}) == {
        "1": "unknown",
        "2": "removed",
        "9": "unknown",
    }


def test_ids_a_list_announced_but_the_run_did_not_write_are_unknown() -> None:
    lists = {"incomplete": [{"kind": "project", "missing_ids": ["2"]}]}
    assert changes_of({"finish_reason": "finished", "failures": [], "lists": lists})["2"] == "unknown"


@pytest.mark.parametrize(
    "report",
    [
        {"finish_reason": "shutdown", "failures": []},
        {
            "finish_reason": "finished",
            "failures": [{"url": f"{BASE}listeProjetsPays.html?codePays=ML", "reason": "HTTP 500"}],
        },
    ],
)
def test_a_run_that_did_not_walk_the_whole_atlas_removes_nothing(report: dict[str, Any]) -> None:
    assert set(changes_of(report).values()) == {"unknown"}


def test_an_incomplete_run_removes_nothing() -> None:
    report = {"finish_reason": "finished", "failures": [], "outcome": {"exit_code": 1, "incomplete_because": ["x"]}}
    assert set(changes_of(report).values()) == {"unknown"}
    assert set(changes_of({"finish_reason": "finished"}).values()) == {
        "unknown"
    }  # no failures listed: vouches for nothing


def test_a_projects_kind_absent_null_or_empty_is_no_change() -> None:
    before = {"type": "project", "id": "1", "title": "A"}
    assert changes.changed_fields(before, {**before, "kind": None}) == {}
    assert changes.changed_fields(before, {**before, "kind": ""}) == {}
    assert changes.changed_fields({**before, "kind": "french"}, before) == {"kind": {"old": "french", "new": None}}
