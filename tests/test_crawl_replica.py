"""End to end: the real spider crawls a 300-project replica with faults on
(500s, 503 + Retry-After, soft errors, slow pages, windows-1252 pages, several
markup families) and must write exactly the replica's ground truth."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from atlas_crawler.output.pipelines import load_schema
from tests.conftest import Crawl, run_crawl

pytestmark = pytest.mark.e2e


def _without_time(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "crawled_at"}


def test_the_crawl_finishes_cleanly(faulty_crawl: Crawl) -> None:
    report = faulty_crawl.report
    assert report["finish_reason"] == "finished"
    assert report["invalid_records"] == []
    assert report["warnings"] == []
    assert "ScrapyDeprecationWarning" not in faulty_crawl.log
    assert report["retries"] > 0 and report["soft_errors"] > 0


def test_every_project_and_collectivity_written_exactly_once(faulty_crawl: Crawl) -> None:
    keys = [(r["type"], r.get("kind"), r["id"]) for r in faulty_crawl.records]
    assert len(keys) == len(set(keys))
    expected = {(r["type"], r.get("kind"), r["id"]) for r in faulty_crawl.truth["records"]}
    assert set(keys) == expected
    counts = {t: sum(1 for k in keys if k[0] == t) for t in ("project", "collectivity")}
    assert counts == faulty_crawl.report["records"]
    assert counts["project"] == 300 - len(faulty_crawl.truth["failed_urls"])


def test_records_are_exactly_the_ground_truth(faulty_crawl: Crawl) -> None:
    expected = {(r["type"], r["id"]): r for r in faulty_crawl.truth["records"]}
    wrong = {
        (r["type"], r["id"]): sorted(
            k for k in r if k != "crawled_at" and r[k] != expected[(r["type"], r["id"])].get(k)
        )
        for r in faulty_crawl.records
        if _without_time(r) != expected[(r["type"], r["id"])]
    }
    assert wrong == {}


def test_soft_error_project_is_reported_not_written(faulty_crawl: Crawl) -> None:
    failed = faulty_crawl.truth["failed_urls"]
    assert failed
    written_urls = {r["url"] for r in faulty_crawl.records}
    assert not written_urls & set(failed)
    reported = {f["url"]: f["reason"] for f in faulty_crawl.report["failures"]}
    assert set(reported) == set(failed)
    assert all("Erreur technique" in reason for reason in reported.values())


def test_announced_list_counts_match_what_was_reached(faulty_crawl: Crawl) -> None:
    lists = {entry["url"]: entry for entry in faulty_crawl.report["lists"]["all"]}
    assert {u: e["announced"] for u, e in lists.items()} == faulty_crawl.truth["announced"]
    failed_ids = {u.rsplit("=", 1)[1] for u in faulty_crawl.truth["failed_urls"]}
    for entry in lists.values():
        assert entry["listed"] == entry["announced"], entry["url"]
        assert set(entry["missing_ids"]) <= failed_ids, entry["url"]
    incomplete = {e["url"] for e in faulty_crawl.report["lists"]["incomplete"]}
    assert incomplete == {u for u, e in lists.items() if e["missing_ids"]}
    assert any(e["pages"] > 7 for e in lists.values()), "the replica must exercise windowed pagination"


def test_no_template_key_reaches_the_output(faulty_crawl: Crawl) -> None:
    text = faulty_crawl.output.read_text("utf-8")
    assert "???" not in text
    for key in ("pagination.page", "commun.ico.loupe", "menu.atlas"):
        assert key not in text
    assert "\\u00" not in text and "é" in text


def test_every_record_validates_against_its_schema(faulty_crawl: Crawl) -> None:
    validators = {
        name: Draft202012Validator(load_schema(name), format_checker=FormatChecker())
        for name in ("project", "collectivity")
    }
    errors = [(r["url"], e.message) for r in faulty_crawl.records for e in validators[r["type"]].iter_errors(r)]
    assert errors == []
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["crawled_at"]) for r in faulty_crawl.records)


def test_spidermon_monitors_pass_with_only_the_pages_the_site_refuses_failed(faulty_crawl: Crawl) -> None:
    """The replica's « Erreur technique » projects are the site's own refusals, within the
    tolerance: known gaps, not failures (test_run_monitors.py: over it, or any other failure)."""
    monitors = faulty_crawl.report["monitors"]
    assert {name: m["passed"] for name, m in monitors.items()} == {
        "Finish Reason Monitor": True,
        "FailedPagesMonitor": True,
        "InvalidRecordsMonitor": True,
        "DoubtedRecordsMonitor": True,
        "Field Coverage Monitor": True,
    }
    gaps = {gap["url"] for gap in faulty_crawl.report["outcome"]["known_gaps"]}
    assert gaps == set(faulty_crawl.truth["failed_urls"]) != set()


def test_each_page_is_fetched_once(faulty_crawl: Crawl) -> None:
    report = faulty_crawl.report
    assert report["redundant_fetches"] == 0
    assert report["pages_fetched"] == report["distinct_pages"]


def test_field_coverage_is_reported(faulty_crawl: Crawl) -> None:
    coverage = faulty_crawl.report["field_coverage"]
    assert coverage["project"]["records"] == faulty_crawl.report["records"]["project"]
    assert coverage["project"]["never_found"] == []
    found = coverage["project"]["fields"]["embassy"]["found"]
    assert found == sum(1 for r in faulty_crawl.records if r["type"] == "project" and r["embassy"])


def test_without_cookies_every_link_carries_a_session_and_pages_are_still_fetched_once(tmp_path) -> None:
    """No JSESSIONID cookie: the replica writes ;jsessionid= into every link."""
    crawl = run_crawl(tmp_path, projects=60, faults=False, settings={"COOKIES_ENABLED": "False"})
    assert crawl.report["redundant_fetches"] == 0
    assert crawl.report["finish_reason"] == "finished"
    assert len(crawl.records) == len(crawl.truth["records"])
    assert all(";jsessionid" not in json.dumps(r) for r in crawl.records)
    assert all(m["passed"] for m in crawl.report["monitors"].values())
