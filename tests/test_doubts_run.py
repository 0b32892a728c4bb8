"""The run side of doubts: the pipeline takes them off every record and keeps only
those of records written; boilerplate is learnt from the run's own records; the
doubts file lies beside the feed (``doubts.jsonl`` in a run folder); the report,
the stats and the monitor judge them, so that a doubted run is incomplete; the
tables let an analyst leave doubted records out; a resumed job keeps them."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from frictionless import validate
from scrapy import Request, signals
from scrapy.exceptions import DropItem
from spidermon.contrib.scrapy.runners import SpiderMonitorRunner
from spidermon.core.actions import Action

from atlas_crawler import files, outcome, stats
from atlas_crawler import signals as atlas_signals
from atlas_crawler.archive.offline import OfflinePipelines
from atlas_crawler.extract.doubts import AMBIGUOUS, CLAIMED_TWICE, UNCLAIMED
from atlas_crawler.items import DOUBTS, ProjectItem
from atlas_crawler.output.export import export, export_file, records_file
from atlas_crawler.output.pipelines import DoubtsPipeline
from atlas_crawler.pages.project import parse_project
from atlas_crawler.records import read_records
from atlas_crawler.replica.world import World
from atlas_crawler.run.alerts import AlertingCloseMonitorSuite
from atlas_crawler.run.doubts import Boilerplate, DoubtLog, judge, report_section
from atlas_crawler.run.jobstate import JobState
from atlas_crawler.run.ledger import ledger_of
from atlas_crawler.run.report.writer import ReportWriter
from atlas_crawler.run.state import RunState, run_state
from tests.saved import project_crawler, saved_response

BASE = "http://127.0.0.1:8765/cncdext/dyn/public/atlas/"
RULE = Boilerplate(share=0.5, min_records=20)
COOKIES = "Ce site utilise des cookies. Accepter"


def reason(text: str, rule: str = UNCLAIMED, field: str | None = None) -> dict[str, Any]:
    return {"rule": rule, "field": field, "text": text}


def project_key(n: int) -> tuple[str, str, str]:
    return ("project", "", str(n))


def url(n: int) -> str:
    return f"{BASE}detailProjet.html?criteres.prjId={n}"


def log_of(reasons_by_record: Iterable[list[dict[str, Any]]]) -> DoubtLog:
    """Projects 1, 2, … written with these reasons."""
    log = DoubtLog()
    for n, reasons in enumerate(reasons_by_record, 1):
        log.add(project_key(n), url(n), reasons)
    return log


@pytest.fixture
def record() -> ProjectItem:
    item = parse_project(saved_response("project-2431-seed")).item
    item[DOUBTS] = [reason("Chef de file : Ville de Brest")]
    return item


def scraped(crawler: Any, item: Any) -> None:
    """The record is in the feed (the JSON Lines exporter says so once its line is on disk)."""
    crawler.signals.send_catch_log(atlas_signals.record_written, item=item)


# --- the pipeline ------------------------------------------------------------------
def test_the_pipeline_takes_the_doubts_off_and_notes_them_once_the_record_is_written(record) -> None:
    crawler = project_crawler()
    pipeline = DoubtsPipeline.from_crawler(crawler)
    out = pipeline.process_item(record)
    assert DOUBTS not in out and DOUBTS not in dict(out)
    assert run_state(crawler).doubts.records == {}  # not written yet
    scraped(crawler, out)
    log = run_state(crawler).doubts
    assert log.records == {("project", "", "2431"): (record["url"], (0,))}
    assert log.reasons == [(UNCLAIMED, None, "Chef de file : Ville de Brest")]
    assert log.written == {"project": 1}
    assert pipeline.pending == {}


def test_a_share_of_0_is_refused_at_the_start() -> None:
    with pytest.raises(ValueError, match="ATLAS_BOILERPLATE_SHARE"):
        DoubtsPipeline.from_crawler(project_crawler(ATLAS_BOILERPLATE_SHARE=0))


def test_a_record_dropped_or_failed_leaves_no_doubt_and_nothing_pending(record) -> None:
    crawler = project_crawler()
    pipeline = DoubtsPipeline.from_crawler(crawler)
    for signal, extra in ((signals.item_dropped, {"exception": DropItem("duplicate")}), (signals.item_error, {})):
        item = record.copy()
        item[DOUBTS] = [reason("x")]
        pipeline.process_item(item)
        assert len(pipeline.pending) == 1
        crawler.signals.send_catch_log(signal, item=item, response=None, spider=crawler.spider, **extra)
        assert pipeline.pending == {}
    assert run_state(crawler).doubts == DoubtLog()


def test_through_every_pipeline_only_written_records_are_listed(record) -> None:
    """The project's ITEM_PIPELINES as the re-parse runs them (with the engine's signals):
    the doubts never reach validation, a duplicate and an invalid record are not listed."""
    pipelines = OfflinePipelines()
    written = pipelines.process(record)
    assert written is not None and DOUBTS not in written
    duplicate = record.copy()
    duplicate[DOUBTS] = [reason("the duplicate's")]
    invalid = record.copy()
    invalid.update({"id": "2432", "end_date": "30/09/2013", DOUBTS: [reason("the invalid one's")]})
    assert pipelines.process(duplicate) is None and pipelines.process(invalid) is None
    pipelines.close()
    judged = judge(run_state(pipelines.crawler).doubts, RULE)  # type: ignore[arg-type]
    assert [(r["id"], [x["text"] for x in r["reasons"]]) for r in judged.records] == [
        ("2431", ["Chef de file : Ville de Brest"])
    ]
    [rejected] = run_state(pipelines.crawler).rejected  # type: ignore[arg-type]
    assert rejected["id"] == "2432" and [e.split(":")[0] for e in rejected["errors"]] == ["end_date"]
    assert pipelines.crawler.stats.get_value(stats.DOUBTED_RECORDS) == 1  # close_spider set the stats
    assert pipelines.crawler.stats.get_value(stats.doubts(UNCLAIMED)) == 1
    assert pipelines.crawler.stats.get_value(stats.doubts(CLAIMED_TWICE)) == 0


# --- learnt boilerplate --------------------------------------------------------------
def test_a_text_on_most_records_of_a_type_is_boilerplate_not_a_doubt() -> None:
    """30 projects: the cookie banner on 60 % of them (spelt two ways) is chrome; a
    text on 10 % stays a doubt, and so do other rules' reasons with the same words."""
    reasons: list[list[dict[str, Any]]] = [[] for _ in range(30)]
    for n in range(18):
        reasons[n].append(reason(COOKIES if n % 2 else "ce site utilise des  COOKIES. accepter"))
    for n in range(3):
        reasons[n].append(reason("Chef de file : Ville de Brest"))
    reasons[20].append(reason(COOKIES, CLAIMED_TWICE, "title"))
    judged = judge(log_of(reasons), RULE)
    assert judged.boilerplate == {"project": ["ce site utilise des  COOKIES. accepter"]}  # the first wording seen
    assert [r["id"] for r in judged.records] == ["1", "2", "3", "21"]
    assert judged.records[0]["reasons"] == [reason("Chef de file : Ville de Brest")]
    assert judged.records[3]["reasons"] == [reason(COOKIES, CLAIMED_TWICE, "title")]


def test_nothing_is_learnt_below_the_minimum_of_records() -> None:
    judged = judge(log_of([[reason(COOKIES)]] * 19), RULE)
    assert judged.boilerplate == {}
    assert len(judged.records) == 19
    assert judge(log_of([[reason(COOKIES)]] * 20), RULE).records == []


def test_the_judgement_is_derived_afresh_from_what_was_collected() -> None:
    """Chrome at 20 records stops being chrome when the type grows without it."""
    log = log_of([[reason(COOKIES)]] * 20)
    assert judge(log, RULE).records == []
    for n in range(21, 62):
        log.add(project_key(n), url(n), [])
    assert len(judge(log, RULE).records) == 20


# --- the file -------------------------------------------------------------------------
def test_the_writer_writes_the_file_sorted_and_the_report_key(tmp_path: Path) -> None:
    feed = tmp_path / "atlas.jsonl"
    stale = tmp_path / "atlas.doubts.jsonl"
    stale.write_text('{"from": "last week"}\n', encoding="utf-8")
    crawler = project_crawler(FEEDS={str(feed): {"format": "jsonl"}})
    writer = ReportWriter.from_crawler(crawler)
    log = run_state(crawler).doubts
    log.add(("collectivity", "foreign", "7"), f"{BASE}c7", [reason("Pays : Togo", AMBIGUOUS)])
    log.add(("collectivity", "french", "12"), f"{BASE}c12", [reason("Région : Bretagne")])
    log.add(project_key(100), url(100), [reason("a"), reason("b", CLAIMED_TWICE, "title")])
    log.add(project_key(20), url(20), [reason("a")])
    log.add(project_key(3), url(3), [])
    writer.spider_closed(crawler.spider, "finished")
    lines = list(read_records(stale))
    assert [(r["type"], r["kind"], r["id"]) for r in lines] == [
        ("collectivity", "foreign", "7"), ("collectivity", "french", "12"), ("project", None, "20"),
        ("project", None, "100")]  # fmt: skip
    assert lines[3] == {"type": "project", "kind": None, "id": "100", "url": url(100),
                        "reasons": [reason("a"), reason("b", CLAIMED_TWICE, "title")]}  # fmt: skip
    writer.engine_stopped()
    report = json.loads((tmp_path / "atlas.report.json").read_text("utf-8"))
    doubts = report["doubts"]
    assert doubts["records"] == 4 and doubts["file"] == str(stale)
    assert doubts["by_reason"] == {UNCLAIMED: 3, CLAIMED_TWICE: 1, AMBIGUOUS: 1}
    assert doubts["groups"][0] == {**reason("a"), "records": 2, "example_url": url(20)}
    assert [g["records"] for g in doubts["groups"]] == [2, 1, 1, 1]
    assert doubts["examples"] == lines[:4] and doubts["boilerplate"] == {}
    page = (tmp_path / "atlas.report.html").read_text("utf-8")
    assert "Enregistrements douteux" in page and f'<a href="{url(20)}">' in page


def test_every_run_writes_the_file_empty_when_nothing_is_doubted(tmp_path: Path) -> None:
    old = tmp_path / "atlas.doubts.jsonl"
    old.write_text('{"from": "last week"}\n', encoding="utf-8")
    crawler = project_crawler(FEEDS={str(tmp_path / "atlas.jsonl"): {"format": "jsonl"}})
    ReportWriter.from_crawler(crawler).spider_closed(crawler.spider, "finished")
    assert old.read_text("utf-8") == ""
    assert [p.name for p in tmp_path.iterdir()] == [old.name]  # moved into place, nothing left beside


def test_the_report_lists_the_boilerplate_learnt() -> None:
    reasons = [[reason(COOKIES), reason("Chef de file")]] * 8 + [[reason(COOKIES)]] * 17
    section = report_section(judge(log_of(reasons), RULE), Path("atlas.doubts.jsonl"))
    assert section["boilerplate"] == {"project": [COOKIES]}
    assert section["records"] == 8 and section["by_reason"] == {UNCLAIMED: 8}
    assert section["groups"] == [{**reason("Chef de file"), "records": 8, "example_url": url(1)}]
    assert [r["id"] for r in section["examples"]] == ["1", "2", "3", "4", "5"]


# --- the monitor, the exit status, the alert --------------------------------------------
class RecordAlert(Action):
    """A stand-in alert (ATLAS_ALERTS takes an action's import path)."""

    sent: list[str] = []

    def run_action(self) -> None:
        RecordAlert.sent.append("alert")


@pytest.mark.parametrize(("doubted", "tolerated", "passed"), [(0, 0, True), (3, 0, False), (3, 3, True)])
def test_the_monitor_fails_above_its_tolerance_and_the_run_is_incomplete(
    doubted: int, tolerated: int, passed: bool
) -> None:
    crawler = project_crawler(
        ATLAS_MAX_DOUBTED_RECORDS=tolerated,
        ATLAS_ALERTS=["tests.test_doubts_run.RecordAlert"],
        SPIDERMON_FIELD_COVERAGE_RULES={},
    )
    log = run_state(crawler).doubts
    for n in range(doubted):
        log.add(project_key(n), url(n), [reason("x")])
    DoubtsPipeline.from_crawler(crawler).close_spider()  # sets the stats, as before spider_closed
    crawler.stats.set_value("finish_reason", "finished")
    RecordAlert.sent = []
    suite = AlertingCloseMonitorSuite(crawler=crawler)
    data = {"stats": crawler.stats.get_stats(), "crawler": crawler, "spider": crawler.spider}
    SpiderMonitorRunner(spider=crawler.spider).run(suite, stats_history=[], sc_spider_name="atlas", job=None, **data)
    monitors = crawler.stats.get_value(stats.MONITORS)
    assert monitors["DoubtedRecordsMonitor"]["passed"] is passed
    assert all(m["passed"] for name, m in monitors.items() if name != "DoubtedRecordsMonitor")
    assert RecordAlert.sent == ([] if passed else ["alert"])
    report = {"finish_reason": "finished", "records": {"project": 5}, "monitors": monitors}
    expected = outcome.EXIT_COMPLETE if passed else outcome.EXIT_INCOMPLETE
    assert outcome.exit_code(report, responses=10) == expected


# --- the tables ------------------------------------------------------------------------
def _records() -> list[dict[str, Any]]:
    records = World(projects=5, seed=3).truth(BASE)["records"]
    return [{**r, "crawled_at": "2026-11-26T04:00:00Z"} for r in records]


def _doubt_lines(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    project = next(r for r in records if r["type"] == "project")
    foreign = next(r for r in records if r.get("kind") == "foreign")
    return [
        {"type": "collectivity", "kind": "foreign", "id": foreign["id"], "url": foreign["url"],
         "reasons": [reason("Pays : Togo", AMBIGUOUS)]},
        {"type": "project", "kind": None, "id": project["id"], "url": project["url"],
         "reasons": [reason("a"), reason("a"), reason("b", CLAIMED_TWICE, "title")]},
    ]  # fmt: skip


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_tables_have_a_doubts_table_and_a_doubted_column(tmp_path: Path) -> None:
    records = _records()
    lines = _doubt_lines(records)
    [done] = export(records, {"csv": tmp_path}, doubts=lines)
    assert done.rows["doubts"] == 4
    rows = _csv(tmp_path / "doubts.csv")
    assert rows[0] == {"type": "collectivity", "kind": "foreign", "id": lines[0]["id"], "row_no": "1",
                       "rule": AMBIGUOUS, "field": "", "text": "Pays : Togo"}  # fmt: skip
    assert [(r["kind"], r["row_no"], r["text"]) for r in rows[1:]] == [("", "1", "a"), ("", "2", "a"), ("", "3", "b")]
    doubted = {r["id"] for r in _csv(tmp_path / "projects.csv") if r["doubted"] == "true"}
    assert doubted == {lines[1]["id"]}
    assert {r["doubted"] for r in _csv(tmp_path / "projects.csv")} == {"true", "false"}
    collectivities = {(r["kind"], r["id"]): r["doubted"] for r in _csv(tmp_path / "collectivities.csv")}
    assert collectivities[("foreign", lines[0]["id"])] == "true"
    assert sum(v == "true" for v in collectivities.values()) == 1
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])[:20]
    package = json.loads((tmp_path / "datapackage.json").read_text("utf-8"))
    described = {r["name"]: r for r in package["resources"]}
    assert described["doubts"]["schema"]["primaryKey"] == ["type", "kind", "id", "row_no"]
    assert "doubted" in {f["name"] for f in described["projects"]["schema"]["fields"]}


def test_without_a_doubts_file_doubted_is_null(tmp_path: Path, caplog) -> None:
    records = _records()
    feed = tmp_path / "atlas.jsonl"
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    [done] = export_file(feed, ["csv"])
    assert {r["doubted"] for r in _csv(done.directory / "projects.csv")} == {""}
    assert done.rows["doubts"] == 0 and "no doubts file" in caplog.text


def test_the_export_reads_the_doubts_file_beside_the_records(tmp_path: Path) -> None:
    records = _records()
    lines = _doubt_lines(records)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    doubts = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in lines)
    run = tmp_path / "2026-11-30T031500Z"
    run.mkdir()
    for folder, records_name, doubts_name in ((tmp_path, "atlas.jsonl", "atlas.doubts.jsonl"),
                                              (run, files.RECORDS, files.DOUBTS)):  # fmt: skip
        (folder / records_name).write_text(text, encoding="utf-8")
        (folder / doubts_name).write_text(doubts, encoding="utf-8")
        assert records_file(folder) == folder / records_name  # the doubts file is no records file
        [done] = export_file(folder, ["sqlite"])
        db = sqlite3.connect(done.directory / "atlas.sqlite")
        assert db.execute("SELECT count(*) FROM doubts").fetchone() == (4,)
        assert db.execute("SELECT id FROM projects WHERE doubted").fetchall() == [(lines[1]["id"],)]
        kept = db.execute("SELECT count(*) FROM projects WHERE NOT doubted").fetchone()[0]
        assert kept == sum(r["type"] == "project" for r in records) - 1
        db.close()


# --- a resumed job ---------------------------------------------------------------------
def test_the_run_state_keeps_the_doubts_across_runs_of_a_job() -> None:
    state = RunState()
    state.doubts = log_of([[reason(COOKIES)], [], [reason("b", CLAIMED_TWICE, "title"), reason(COOKIES)]])
    saved = json.loads(json.dumps(state.to_json()))
    again = RunState.from_json(saved)
    assert again.doubts == state.doubts
    assert judge(again.doubts, RULE) == judge(state.doubts, RULE)
    again.doubts.add(project_key(4), url(4), [reason(COOKIES)])  # numbers go on from the saved ones
    assert again.doubts.records[project_key(4)] == (url(4), (0,))
    older = {k: v for k, v in saved.items() if k != "doubts"}  # saved by a version without doubts
    assert RunState.from_json(older).doubts == DoubtLog()


def test_a_resumed_job_keeps_the_doubts_of_the_records_its_feed_holds() -> None:
    """A record whose line the kill cut off is fetched again: its reasons are added anew."""
    log = log_of([[reason("a")], [reason("b")], []])
    log.keep({project_key(1), project_key(3), ("collectivity", "french", "9")})
    assert set(log.records) == {project_key(1)}
    assert log.written == {"project": 2, "collectivity": 1}


def test_a_job_resumed_after_a_kill_judges_the_doubts_of_its_earlier_runs(tmp_path: Path) -> None:
    """JOBDIR: the state the first run saved in its ledger comes back in the next run,
    for the records its feed holds (record 2's line was cut off: it is fetched again)."""
    feed, jobdir = tmp_path / "atlas.jsonl", str(tmp_path / "job")
    settings = {"JOBDIR": jobdir, "FEEDS": {str(feed): {"format": "jsonl"}}}
    first = project_crawler(**settings)
    ledger_of(first).pending(Request(url(1)))  # the job has begun
    run_state(first).doubts = log_of([[reason("a")], [reason("b")]])
    JobState.from_crawler(first).save()
    written = files.RunFiles.of(first.settings).records_written  # the job's working copy of its feed
    assert written is not None
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text(json.dumps({"type": "project", "id": "1"}) + "\n", encoding="utf-8")
    second = project_crawler(**settings)
    JobState.from_crawler(second)
    assert run_state(second).runs == 2
    assert [(r["id"], r["reasons"]) for r in judge(run_state(second).doubts, RULE).records] == [("1", [reason("a")])]
