"""Every file a run writes, named once (atlas_crawler/files.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings

from atlas_crawler import files
from atlas_crawler.commands.crawl import use_run_folder
from atlas_crawler.files import RunFiles, beside, records_of_report, render_feed_uris
from atlas_crawler.replica.localrun import crawl, replica


def _feeds(*feeds: tuple[Path | str, str]) -> Settings:
    return Settings({"FEEDS": {str(path): {"format": fmt} for path, fmt in feeds}})


def test_a_feed_names_its_report_doubts_archive_tables_and_lock(tmp_path: Path) -> None:
    run = RunFiles.of(_feeds((tmp_path / "atlas.jsonl", "jsonl")))
    assert run.records == tmp_path / "atlas.jsonl"
    assert run.report == tmp_path / "atlas.report.json"
    assert run.report_view == tmp_path / "atlas.report.html"
    assert run.doubts == tmp_path / "atlas.doubts.jsonl"
    assert run.archive == tmp_path / "atlas.archive"
    assert run.tables("csv") == tmp_path / "atlas.tables" / "csv"
    assert run.lock == tmp_path / ".atlas.jsonl.lock"


def test_a_run_folder_names_its_files_without_a_prefix(tmp_path: Path) -> None:
    settings = _feeds((tmp_path / "extra.csv", "csv"))
    run_folder = use_run_folder(settings, tmp_path / "2026-11-30T031500Z")
    run = RunFiles.of(settings)
    assert run.records == run_folder / files.RECORDS
    assert run.report == run_folder / files.REPORT
    assert run.doubts == run_folder / files.DOUBTS
    assert run.archive == run_folder / files.ARCHIVE
    assert run.tables("parquet") == run_folder / files.TABLES / "parquet"
    assert [feed.path for feed in run.feeds] == [run_folder / files.RECORDS, tmp_path / "extra.csv"]


def test_the_records_are_the_first_json_lines_feed_whatever_the_order(tmp_path: Path) -> None:
    run = RunFiles.of(_feeds((tmp_path / "projects.csv", "csv"), (tmp_path / "atlas.jl", "jl")))
    assert run.records == tmp_path / "atlas.jl"
    assert run.report == tmp_path / "atlas.report.json"


def test_without_json_lines_the_files_lie_beside_the_first_local_feed(tmp_path: Path) -> None:
    run = RunFiles.of(_feeds(("s3://bucket/atlas.jsonl", "jsonl"), (tmp_path / "p.csv", "csv")))
    assert run.records is None and run.tables("csv") is None
    assert run.report == tmp_path / "p.report.json"
    assert run.lock == tmp_path / ".p.csv.lock"


def test_no_local_feed_and_explicit_paths(tmp_path: Path) -> None:
    bare = RunFiles.of(Settings({"FEEDS": {"stdout:": {"format": "jsonl"}}}))
    assert (bare.records, bare.report, bare.archive, bare.lock) == (
        None,
        files.DEFAULT_REPORT,
        files.DEFAULT_ARCHIVE,
        None,
    )
    assert bare.doubts == files.DEFAULT_REPORT.with_name(files.DOUBTS)
    chosen = RunFiles.of(
        Settings(
            {
                "ATLAS_REPORT_PATH": str(tmp_path / "r" / "my.json"),
                "ATLAS_ARCHIVE_DIR": str(tmp_path / "dump"),
                "ATLAS_RUNS_DIR": str(tmp_path / "runs"),
            }
        )
    )
    assert chosen.report == tmp_path / "r" / "my.json"
    assert chosen.doubts == tmp_path / "r" / files.DOUBTS
    assert chosen.archive == tmp_path / "dump"
    assert chosen.lock == tmp_path / "runs" / files.LOCK


def test_a_job_names_its_working_copies_and_its_own_lock(tmp_path: Path) -> None:
    settings = _feeds((tmp_path / "atlas.jsonl", "jsonl"), (tmp_path / "other" / "atlas.jsonl", "jsonl"))
    assert RunFiles.of(settings).records_written == tmp_path / "atlas.jsonl"  # no job: the feed itself
    assert RunFiles.of(settings).job_lock is None
    settings.set("JOBDIR", str(tmp_path / "job"))
    run = RunFiles.of(settings)
    assert run.job_lock == tmp_path / "job" / files.JOB_LOCK
    assert run.records == tmp_path / "atlas.jsonl"  # what is published, and read by the exports
    written = run.records_written
    assert written is not None and written.parent == tmp_path / "job" / files.JOB_FEEDS
    assert written.name.endswith("-atlas.jsonl")
    assert run.working(tmp_path / "other" / "atlas.jsonl") != written  # two feeds, one name: two copies
    assert RunFiles.of(settings).records_written == written  # the same copy for every run of the job


def test_file_uris_are_local_paths(tmp_path: Path) -> None:
    run = RunFiles.of(Settings({"FEEDS": {f"file://{tmp_path}/a%20b.jsonl": {"format": "jsonl"}}}))
    assert run.records == tmp_path / "a b.jsonl"


def test_templated_uris_are_rendered_once_so_every_file_names_the_same_feed(tmp_path: Path) -> None:
    feeds = {str(tmp_path / "%(name)s-%(time)s.jsonl"): {"format": "jsonl"}, "s3://b/%(batch_id)d.jl": {}}
    rendered = render_feed_uris(feeds, {"name": "atlas"}, datetime(2026, 12, 6, 3, 15, 0, 42, tzinfo=UTC))
    assert list(rendered) == [str(tmp_path / "atlas-2026-12-06T03-15-00+00-00.jsonl"), "s3://b/%(batch_id)d.jl"]
    run = RunFiles.of(Settings({"FEEDS": rendered}))
    assert run.report == tmp_path / "atlas-2026-12-06T03-15-00+00-00.report.json"
    assert run.lock == tmp_path / ".atlas-2026-12-06T03-15-00+00-00.jsonl.lock"
    # Left as it is (the exporter renders it per batch), it names no one file.
    assert RunFiles.of(Settings({"FEEDS": {str(tmp_path / "%(batch_id)d.jl"): {"format": "jl"}}})).records is None


def test_beside_and_back() -> None:
    assert beside(Path("out/atlas.jsonl"), files.REPORT) == Path("out/atlas.report.json")
    assert beside(Path("runs/x/records.jsonl"), files.REPORT) == Path("runs/x/report.json")


def test_the_records_of_a_report_are_found_beside_it(tmp_path: Path) -> None:
    assert records_of_report(tmp_path / "atlas.report.json") is None
    (tmp_path / "atlas.jsonl").write_text("", encoding="utf-8")
    (tmp_path / files.RECORDS).write_text("", encoding="utf-8")
    assert records_of_report(tmp_path / "atlas.report.json") == tmp_path / "atlas.jsonl"
    assert records_of_report(tmp_path / files.REPORT) == tmp_path / files.RECORDS


@pytest.mark.e2e
def test_a_templated_feed_gets_its_report_doubts_and_lock_under_the_same_name(tmp_path: Path) -> None:
    """``-O out-%(name)s-%(time)s.jsonl``: rendered once by the crawl command, so the
    report and the doubts file name the file the records went to."""
    with replica(projects=5, faults=False) as base:
        result = crawl(base, tmp_path / "out-%(name)s-%(time)s.jsonl")
    assert result.returncode == 0, result.stdout[-3000:]
    [records] = (p for p in tmp_path.glob("out-atlas-*.jsonl") if not p.name.endswith(".doubts.jsonl"))
    stem = records.name.removesuffix(".jsonl")
    assert "%(" not in stem
    assert (tmp_path / f"{stem}.report.json").is_file()
    assert (tmp_path / f"{stem}.doubts.jsonl").is_file()
    assert not (tmp_path / f".{records.name}.lock").exists()  # removed when the run ends
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == sorted([records.name, f"{stem}.doubts.jsonl"])
