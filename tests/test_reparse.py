"""Re-parse: the records rebuilt from a dump's WARC files alone equal the records
of the crawl that wrote it (every field, ``crawled_at`` too: the crawl and the
re-parse both take it from the response's WARC-Date), including the ones
assembled from several table pages; a dump cut short is re-parsed up to its
last complete record; the last whole successful answer of a page is the one
parsed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler.archive.layout import CAPTURES, warc_files
from atlas_crawler.archive.scan import iter_members
from atlas_crawler.archive.warcfiles import Record, WarcFiles, warc_date
from atlas_crawler.archive.workers import CHUNK
from atlas_crawler.replica import templates as t
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, replica
from atlas_crawler.replica.world import World

PROJECTS = 60


@dataclass
class Dumped:
    directory: Path
    records: list[dict[str, Any]]
    captures: dict[tuple[str, str, str], dict[str, Any]]
    truth: dict[str, Any]


def key(record: dict[str, Any]) -> tuple[str, str, str]:
    return (record["type"], record.get("kind") or "", record["id"])


def run_reparse(
    *sources: Path, output: Path, processes: int | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    command = [sys.executable, "-m", "atlas_crawler.archive.reparse", *map(str, sources), "-O", str(output)]
    command += ["--processes", str(processes)] if processes else []
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    run = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-5000:]
    records = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    report = json.loads(output.with_name(output.name.split(".")[0] + ".report.json").read_text("utf-8"))
    return records, report, run.stderr


@pytest.fixture(scope="module")
def dumped(tmp_path_factory: pytest.TempPathFactory) -> Dumped:
    tmp = tmp_path_factory.mktemp("reparse")
    settings = {"ATLAS_ARCHIVE": "True", "ATLAS_ARCHIVE_DIR": str(tmp / "dump")}
    with replica(projects=PROJECTS, faults=True, truth=tmp / "truth.json") as base:
        result = crawl(base, tmp / "atlas.jsonl", settings=settings)
    assert (tmp / "dump" / "manifest.json").exists(), result.stdout[-5000:]
    records = [json.loads(line) for line in (tmp / "atlas.jsonl").read_text("utf-8").splitlines()]
    captures = [json.loads(line) for line in (tmp / "dump" / CAPTURES).read_text("utf-8").splitlines()]
    truth = json.loads((tmp / "truth.json").read_text("utf-8"))
    return Dumped(tmp / "dump", records, {key(c): c for c in captures}, truth)


@pytest.fixture(scope="module")
def reparsed(
    dumped: Dumped, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    return run_reparse(dumped.directory, output=tmp_path_factory.mktemp("out") / "reparsed.jsonl")


@pytest.mark.e2e
def test_the_reparse_gives_exactly_the_records_of_the_crawl(dumped: Dumped, reparsed: tuple) -> None:
    records, _, _ = reparsed
    assert len(records) == len(dumped.records) > PROJECTS
    crawl = sorted(dumped.records, key=key)
    again = sorted(records, key=key)
    assert again == crawl  # whole records, crawled_at included: both are the response's fetch time
    assert [list(r) for r in sorted(records, key=key)] == [
        list(r) for r in sorted(dumped.records, key=key)
    ]  # key order


@pytest.mark.e2e
def test_the_reparse_doubts_as_the_crawl_did(dumped: Dumped, reparsed: tuple) -> None:
    """The doubts file beside the output holds what the crawl's held, and the report says so."""
    _, report, _ = reparsed
    crawled = (dumped.directory.parent / "atlas.doubts.jsonl").read_text("utf-8")
    again = Path(report["output"]).with_name("reparsed.doubts.jsonl")
    assert report["doubts"]["file"] == str(again)
    assert again.read_text("utf-8") == crawled
    assert report["doubts"]["records"] == len(crawled.splitlines())


@pytest.mark.e2e
def test_records_assembled_from_several_table_pages_are_rebuilt_whole(dumped: Dumped, reparsed: tuple) -> None:
    records, _, _ = reparsed
    merged = {k for k, c in dumped.captures.items() if c.get("table_pages")}
    assert merged, "the replica must give projects whose in-page table spans several pages"
    crawl = {key(r): r for r in dumped.records if key(r) in merged}
    again = {key(r): r for r in records if key(r) in merged}
    assert again == crawl
    assert all(len(r["other_themes"]) > 5 for r in again.values())


@pytest.mark.e2e
def test_crawled_at_is_the_warc_date_of_the_page(dumped: Dumped, reparsed: tuple) -> None:
    records, _, _ = reparsed
    for record in [*records, *dumped.records]:  # the crawl's records too: stamped as the response came in
        warc_date = dumped.captures[key(record)]["warc_date"]
        assert record["crawled_at"] == warc_date[:19] + "Z"


@pytest.mark.e2e
def test_the_report_counts_coverage_and_the_pages_that_gave_nothing(dumped: Dumped, reparsed: tuple) -> None:
    records, report, stderr = reparsed
    assert report["records"] == {
        "collectivity": sum(r["type"] == "collectivity" for r in records),
        "project": sum(r["type"] == "project" for r in records),
    }
    coverage = report["field_coverage"]["project"]
    assert coverage["records"] == report["records"]["project"]
    assert coverage["fields"]["title"]["found"] == coverage["records"]
    assert coverage["fields"]["embassy"]["found"] == sum(1 for r in records if r["type"] == "project" and r["embassy"])
    assert "unreadable" in report
    failed = {p["url"] for p in report["pages_without_records"]}
    assert failed == set(dumped.truth["failed_urls"])
    assert report["warc"]["responses"] > report["warc"]["pages"]  # retries and failed answers are in the dump
    assert report["processes"] >= 1
    assert "reparse: " in stderr and "pages/s" in stderr


@pytest.mark.e2e
def test_one_process_or_several_give_the_same_file(dumped: Dumped, reparsed: tuple, tmp_path: Path) -> None:
    records, _, _ = reparsed
    one, _, _ = run_reparse(*warc_files(dumped.directory), output=tmp_path / "one.jsonl", processes=1)
    assert one == records  # bare WARC files as input, one worker: the same records in the same order


@pytest.mark.e2e
def test_a_dump_cut_short_is_reparsed_up_to_its_last_complete_record(dumped: Dumped, tmp_path: Path) -> None:
    copy = shutil.copytree(dumped.directory, tmp_path / "dump")
    (copy / "manifest.json").unlink()
    path = warc_files(copy)[-1]
    with path.open("rb") as fh:
        members = list(iter_members(fh))
    cut = members[len(members) // 2]
    os.truncate(path, cut.offset + cut.length // 2)
    records, report, _ = run_reparse(copy, output=tmp_path / "cut.jsonl")
    assert report["warc"]["truncated_files"] == {path.name: report["warc"]["truncated_files"][path.name]}
    assert f"at offset {cut.offset}" in report["warc"]["truncated_files"][path.name]
    assert 0 < len(records) < len(dumped.records)
    crawl = {key(r): r for r in dumped.records}
    assert all(r == crawl[key(r)] for r in records)


# --- which answer is parsed -------------------------------------------------------------------------
def _answer(files: WarcFiles, url: str, status: int, body: bytes) -> None:
    head = b"HTTP/1.1 %d X\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % (
        status,
        len(body),
    )
    files.write(Record("response", url, warc_date(), body, head=head))


def test_the_last_whole_successful_answer_is_parsed(tmp_path: Path) -> None:
    """A soft error page (200), the real page, then a later 500 for the same address:
    the real page gives the record; a page that only ever failed gives none."""
    world = World(5, seed=1)
    base = "http://atlas.example/cncdext/dyn/public/atlas/"
    project = next(p for p in world.projects.values() if not p.seed)
    page = t.project(t.Ctx(), world, project, 1, "UTF-8").encode("utf-8")
    url = f"{base}detailProjet.html?criteres.prjId={project.id}"
    soft = t.soft_error(t.Ctx()).encode("utf-8")
    files = WarcFiles(tmp_path / "dump", "atlas", 10**9, {"software": "test"})
    _answer(files, url, 200, soft)
    _answer(files, url, 200, page)
    _answer(files, url, 500, b"Internal Server Error")
    failing = f"{base}detailProjet.html?criteres.prjId=999999"
    _answer(files, failing, 200, soft)
    _answer(files, failing, 503, b"Service Unavailable")
    files.close()
    records, report, _ = run_reparse(tmp_path / "dump", output=tmp_path / "out.jsonl", processes=1)
    assert [(r["type"], r["id"]) for r in records] == [("project", str(project.id))]
    assert [p["url"] for p in report["pages_without_records"]] == [failing]
    assert CHUNK > 1
