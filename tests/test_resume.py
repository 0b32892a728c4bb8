"""A long crawl paused and resumed with Scrapy's ``JOBDIR``: the job as a whole
fetches every page once, writes every record once, and its last report covers
every run; resuming with ``-O`` is refused before it can empty the file."""

from __future__ import annotations

import json

import pytest

from atlas_crawler.outcome import EXIT_INCOMPLETE
from atlas_crawler.replica.localrun import crawl, replica

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def resumed_job(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("resume")
    output, truth = tmp / "atlas.jsonl", tmp / "truth.json"
    job = {"JOBDIR": str(tmp / "job")}
    with replica(projects=120, faults=False, truth=truth) as base:
        paused = crawl(base, output, settings={**job, "CLOSESPIDER_PAGECOUNT": "150"})
        first_report = json.loads((tmp / "atlas.report.json").read_text("utf-8"))
        first_records = output.read_text("utf-8").splitlines()
        resumed = crawl(base, output, settings=job, append=True)
        after = output.read_bytes()
        refused = crawl(base, output, settings=job)
    return {
        "paused": paused,
        "first_report": first_report,
        "first_records": first_records,
        "resumed": resumed,
        "records": [json.loads(line) for line in after.decode("utf-8").splitlines()],
        "report": json.loads((tmp / "atlas.report.json").read_text("utf-8")),
        "truth": json.loads(truth.read_text("utf-8")),
        "refused": refused,
        "output_after_refusal": output.read_bytes() == after,
    }


def test_the_first_run_stops_part_way(resumed_job: dict) -> None:
    # stopped part way on purpose: an incomplete run, to be resumed
    assert resumed_job["paused"].returncode == EXIT_INCOMPLETE, resumed_job["paused"].stdout[-3000:]
    assert resumed_job["first_report"]["finish_reason"] == "closespider_pagecount"
    assert 0 < len(resumed_job["first_records"]) < len(resumed_job["truth"]["records"])


def test_the_resumed_job_writes_every_record_exactly_once(resumed_job: dict) -> None:
    assert resumed_job["resumed"].returncode == 0, resumed_job["resumed"].stdout[-3000:]
    keys = [(r["type"], r.get("kind"), r["id"]) for r in resumed_job["records"]]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(r["type"], r.get("kind"), r["id"]) for r in resumed_job["truth"]["records"]}


def test_the_last_report_covers_the_whole_job(resumed_job: dict) -> None:
    report, first = resumed_job["report"], resumed_job["first_report"]
    assert report["runs"] == 2 and report["finish_reason"] == "finished"
    assert report["started_at"] == first["started_at"]
    assert sum(report["records"].values()) == len(resumed_job["records"])
    assert report["pages_fetched"] > first["pages_fetched"]
    assert report["redundant_fetches"] == 0
    assert report["lists"]["incomplete"] == []
    assert report["field_coverage"]["project"]["records"] == report["records"]["project"]


def test_resuming_with_overwrite_is_refused_and_loses_nothing(resumed_job: dict) -> None:
    refused = resumed_job["refused"]
    assert refused.returncode != 0
    assert "resume with -o (append)" in refused.stdout
    assert resumed_job["output_after_refusal"]
