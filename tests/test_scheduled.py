"""Scheduled crawls as cron runs them: the exit status of ``scrapy crawl atlas`` says
how the run went, run folders keep every run apart, ``latest`` only ever points at
a complete run, a run that reached nothing never replaces a good file, and a second
run started while one holds the lock is refused at once."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from scrapy.spiders import Spider as DefaultSpider
from scrapy.utils.test import get_crawler

from atlas_crawler import outcome
from atlas_crawler.files import (
    CHANGES,
    DOUBTS,
    LATEST,
    LOCK,
    LOG,
    RECORDS,
    REPORT,
    REPORT_VIEW,
    RUN_SEQUENCE,
    write_atomically,
)
from atlas_crawler.output.storage import AtomicFileFeedStorage
from atlas_crawler.replica.localrun import PROJECT_ROOT, REPLICA_SETTINGS, crawl, free_port, replica
from atlas_crawler.run import folders
from tests.scheduled import key, read_jsonl

PROJECTS = 40
EMAIL_ALERT = {  # Spidermon's own e-mail action, in its "fake" mode: the message goes to the log
    "ATLAS_ALERTS": "email",
    "SPIDERMON_EMAIL_FAKE": "True",
    "SPIDERMON_EMAIL_TO": "ops@example.org",
    "SPIDERMON_EMAIL_SENDER": "crawler@example.org",
    "SPIDERMON_EMAIL_SUBJECT": "atlas crawl needs attention",
    "SPIDERMON_BODY_TEXT": "a close monitor failed",
    "SPIDERMON_SMTP_HOST": "localhost",
    "SPIDERMON_SMTP_USER": "crawler",
    "SPIDERMON_SMTP_PASSWORD": "unused in fake mode",
}


# --- end to end ------------------------------------------------------------------
@pytest.fixture(scope="module")
def scheduled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A complete run, a site-down run, a run with failed pages allowed none (and an
    alert), then the same site with the default tolerance (complete with known gaps),
    in turn into one runs folder; a plain ``-O`` run with the site down over a good file."""
    tmp = tmp_path_factory.mktemp("scheduled")
    runs_dir = tmp / "runs"
    folder = {"ATLAS_RUNS_DIR": str(runs_dir)}
    out: dict[str, Any] = {"runs_dir": runs_dir}
    with replica(projects=PROJECTS, faults=False, truth=tmp / "truth.json") as base:
        progress = {"ATLAS_PROGRESS_INTERVAL": "0.2", "LOG_LEVEL": "INFO"}
        out["complete"] = crawl(base, None, settings={**folder, **progress})
    out["truth"] = json.loads((tmp / "truth.json").read_text("utf-8"))
    out["complete_run"] = folders.latest_complete(runs_dir)
    closed = f"http://127.0.0.1:{free_port()}/cncdext/dyn/public/atlas/"
    out["down"] = crawl(closed, None, settings=folder)
    out["down_run"] = folders.all_runs(runs_dir)[-1]
    out["latest_after_down"] = folders.latest_complete(runs_dir)
    out["down_run_report"] = report_of(out["down_run"])  # read now: the last run below prunes it
    out["down_run_changes"] = read_jsonl(out["down_run"] / CHANGES)
    good = tmp / "atlas.jsonl"
    good.write_bytes((runs_dir / "latest" / RECORDS).read_bytes())
    out["good_before"] = good.read_bytes()
    out["down_overwrite"] = crawl(closed, good, settings={})
    out["good_after"] = good.read_bytes()
    out["down_report"] = json.loads((tmp / "atlas.report.json").read_text("utf-8"))
    strict = {"ATLAS_MAX_FAILED_PAGES": "0", "ATLAS_MAX_FAILED_SHARE": "0"}  # no page may fail
    with replica(projects=PROJECTS, faults=True, truth=tmp / "faulty-truth.json", slow_seconds=0.2) as base:
        out["faulty"] = crawl(
            base, None, settings={**folder, **EMAIL_ALERT, **strict, "LOG_LEVEL": "INFO", "ATLAS_KEEP_RUNS": "1"}
        )
        out["faulty_run"] = folders.all_runs(runs_dir)[-1]
        out["latest_after_faulty"] = folders.latest_complete(runs_dir)
        out["gaps"] = crawl(base, None, settings={**folder, "LOG_LEVEL": "INFO"})  # the default tolerance
    out["faulty_truth"] = json.loads((tmp / "faulty-truth.json").read_text("utf-8"))
    out["gaps_run"] = folders.all_runs(runs_dir)[-1]
    return out


def report_of(run: Path) -> dict[str, Any]:
    return json.loads((run / REPORT).read_text("utf-8"))


@pytest.mark.e2e
def test_a_complete_run_exits_0_and_becomes_latest(scheduled: dict[str, Any]) -> None:
    result, run = scheduled["complete"], scheduled["complete_run"]
    assert result.returncode == outcome.EXIT_COMPLETE, result.stdout[-3000:]
    assert run is not None and run.parent == scheduled["runs_dir"]
    assert {p.name for p in run.iterdir()} == {
        RECORDS, REPORT, REPORT_VIEW, DOUBTS, LOG, CHANGES, RUN_SEQUENCE}  # fmt: skip
    records = read_jsonl(run / RECORDS)
    assert sorted(map(key, records)) == sorted(map(key, scheduled["truth"]["records"]))
    report = report_of(run)
    assert report["outcome"] == {
        "exit_code": 0,
        "meaning": "complete",
        "incomplete_because": [],
        "known_gaps": [],
        "run_folder": str(run),
    }
    assert report["changes"] == {"since": None, "counts": {}}
    assert (run / CHANGES).read_bytes() == b""
    assert "run outcome: complete (exit 0)" in result.stdout
    assert "run outcome: complete (exit 0)" in (run / LOG).read_text("utf-8")


@pytest.mark.e2e
def test_the_progress_line_says_where_the_crawl_stands(scheduled: dict[str, Any]) -> None:
    log = (scheduled["complete_run"] / LOG).read_text("utf-8")
    lines = re.findall(
        r"progress: (\d+) pages done, (\d+) requests pending, (\d+) records written, "
        r"lists (\d+)/(\d+) complete, (\d+)/(\d+) announced rows written, time left (\S+)",
        log,
    )
    assert lines, log[-2000:]
    pages = [int(line[0]) for line in lines]
    assert pages == sorted(pages) and pages[-1] > 0
    for *_, complete, seen, done, announced, _eta in lines:
        assert int(complete) <= int(seen) and int(done) <= int(announced)


@pytest.mark.e2e
def test_site_down_exits_3_and_latest_stays(scheduled: dict[str, Any]) -> None:
    result = scheduled["down"]
    assert result.returncode == outcome.EXIT_SITE_UNREACHABLE, result.stdout[-3000:]
    assert scheduled["latest_after_down"] == scheduled["complete_run"]
    report = scheduled["down_run_report"]
    assert report["records"] == {} and report["outcome"]["exit_code"] == outcome.EXIT_SITE_UNREACHABLE
    # nothing was reached, so nothing is known to be removed: every earlier record is "unknown"
    changes = scheduled["down_run_changes"]
    assert {c["change"] for c in changes} == {"unknown"}
    assert sorted(key(c) for c in changes) == sorted(map(key, scheduled["truth"]["records"]))
    assert report["changes"]["since"] == scheduled["complete_run"].name


@pytest.mark.e2e
def test_site_down_leaves_the_previous_records_byte_identical(scheduled: dict[str, Any]) -> None:
    result = scheduled["down_overwrite"]
    assert result.returncode == outcome.EXIT_SITE_UNREACHABLE, result.stdout[-3000:]
    assert scheduled["good_after"] == scheduled["good_before"] != b""
    assert scheduled["down_report"]["records"] == {}
    assert scheduled["down_report"]["outcome"]["exit_code"] == outcome.EXIT_SITE_UNREACHABLE
    assert not list(Path(scheduled["runs_dir"]).parent.glob(".atlas.jsonl.*.part"))


@pytest.mark.e2e
def test_failed_pages_exit_1_and_latest_stays_on_the_complete_run(scheduled: dict[str, Any]) -> None:
    result, run = scheduled["faulty"], scheduled["faulty_run"]
    assert result.returncode == outcome.EXIT_INCOMPLETE, result.stdout[-3000:]
    assert scheduled["latest_after_faulty"] == scheduled["complete_run"]
    report = report_of(run)
    assert report["outcome"]["exit_code"] == outcome.EXIT_INCOMPLETE
    assert {f["url"] for f in report["failures"]} == set(scheduled["faulty_truth"]["failed_urls"]) != set()
    assert any("pages failed after retries" in why for why in report["outcome"]["incomplete_because"])
    assert "latest left at" in result.stdout


@pytest.mark.e2e
def test_pages_the_site_refuses_give_a_complete_run_with_known_gaps(scheduled: dict[str, Any]) -> None:
    """The replica refuses a few projects for good (« Erreur technique »), as the live site
    does for months: within the tolerance the run is complete, latest moves, and the
    changes say those records are unknown, not removed."""
    result, run = scheduled["gaps"], scheduled["gaps_run"]
    assert result.returncode == outcome.EXIT_COMPLETE, result.stdout[-3000:]
    assert folders.latest_complete(scheduled["runs_dir"]) == run
    failed = set(scheduled["faulty_truth"]["failed_urls"])
    said = report_of(run)["outcome"]
    assert said["meaning"] == "complete with known gaps" and said["incomplete_because"] == []
    assert {gap["url"] for gap in said["known_gaps"]} == failed != set()
    assert f"run outcome: complete with known gaps (exit 0): {len(failed)} pages the site refuses" in result.stdout
    assert all(f"known gap: {url}" in result.stdout for url in failed)
    unknown = {c["id"] for c in read_jsonl(run / CHANGES) if c["change"] == "unknown"}
    assert unknown == {url.rsplit("=", 1)[1] for url in failed}  # in the complete run: unknown, not removed
    status = json.loads((scheduled["runs_dir"] / "status.json").read_text("utf-8"))
    assert status["last_run"]["folder"] == run.name and status["last_complete_run"]["folder"] == run.name


@pytest.mark.e2e
def test_a_failed_monitor_sends_the_configured_alert(scheduled: dict[str, Any]) -> None:
    log = (scheduled["faulty_run"] / LOG).read_text("utf-8")
    assert "Subject: atlas crawl needs attention" in log
    assert "To: ops@example.org" in log
    assert "Subject: atlas crawl needs attention" not in (scheduled["complete_run"] / LOG).read_text("utf-8")


@pytest.mark.e2e
def test_old_runs_are_pruned_but_never_the_latest_complete_one(scheduled: dict[str, Any]) -> None:
    left = folders.all_runs(scheduled["runs_dir"])
    assert left == [scheduled["complete_run"], scheduled["faulty_run"], scheduled["gaps_run"]]
    assert not scheduled["down_run"].exists()
    assert f"old run removed: {scheduled['down_run'].name}" in scheduled["faulty"].stdout


@pytest.mark.e2e
def test_a_second_run_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    lock = folders.RunLock(runs_dir / LOCK)
    assert lock.acquire()
    try:
        result = crawl("http://127.0.0.1:9/atlas/", None, settings={"ATLAS_RUNS_DIR": str(runs_dir)})
    finally:
        lock.release()
    assert result.returncode == outcome.EXIT_LOCKED, result.stdout[-3000:]
    assert f"another crawl holds the lock {runs_dir / LOCK} (pid {os.getpid()} since" in result.stdout
    assert folders.all_runs(runs_dir) == []


@pytest.mark.e2e
def test_make_crawl_crawls_the_mirror_the_environment_names_with_the_given_settings(tmp_path: Path) -> None:
    """``ATLAS_BASE_URL=<mirror> make crawl ARGS='-s …'``: that mirror, those settings, the
    crawl's own status (bad arguments: tests/test_refusals.py). ``-o install``: no pip here."""
    runs = tmp_path / "runs"
    args = " ".join(f"-s {name}={value}" for name, value in {**REPLICA_SETTINGS, "ATLAS_EXPORT": "csv"}.items())
    clean = {name: value for name, value in os.environ.items() if not name.startswith("ATLAS_")}
    with replica(projects=5, faults=False, truth=tmp_path / "truth.json") as base:
        env = {**clean, "ATLAS_BASE_URL": base, "ATLAS_RUNS_DIR": str(runs), "ATLAS_CONTACT": "ops@example.org"}
        result = subprocess.run(
            ["make", "--no-print-directory", "-o", "install", "crawl", f"ARGS={args}"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "run outcome: complete (exit 0)" in result.stdout
    run = runs / LATEST
    assert report_of(run)["base_url"] == base
    records = read_jsonl(run / RECORDS)
    assert records and all(record["url"].startswith(base) for record in records)
    truth = json.loads((tmp_path / "truth.json").read_text("utf-8"))
    assert sorted(map(key, records)) == sorted(map(key, truth["records"]))
    assert (run / "tables" / "csv").is_dir()  # ARGS reached the crawl: -s ATLAS_EXPORT=csv


# --- the exit-code table ---------------------------------------------------------------
def report(**changes: Any) -> dict[str, Any]:
    base = {
        "finish_reason": "finished",
        "monitors": {"FinishReasonMonitor": {"passed": True, "reason": None}},
        "failures": [],
        "lists": {"incomplete": []},
        "invalid_records": [],
        "pages_fetched": 120,
        "records": {"project": 40, "collectivity": 70},
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({}, outcome.EXIT_COMPLETE),
        ({"failures": [{"url": "u", "reason": "HTTP 500"}]}, outcome.EXIT_INCOMPLETE),
        ({"lists": {"incomplete": [{"url": "l"}]}}, outcome.EXIT_INCOMPLETE),
        ({"invalid_records": [{"id": "1"}]}, outcome.EXIT_INCOMPLETE),
        ({"monitors": {"FieldCoverageMonitor": {"passed": False, "reason": "title"}}}, outcome.EXIT_INCOMPLETE),
        ({"finish_reason": "closespider_pagecount"}, outcome.EXIT_INCOMPLETE),
        ({"finish_reason": "shutdown"}, outcome.EXIT_INTERRUPTED),
        ({"finish_reason": outcome.REASON_SITE_UNREACHABLE}, outcome.EXIT_SITE_UNREACHABLE),
        ({"finish_reason": outcome.REASON_ROBOTS_UNAVAILABLE}, outcome.EXIT_ROBOTS_UNAVAILABLE),
        ({"finish_reason": outcome.REASON_NOTHING_TO_RESUME}, outcome.EXIT_NOTHING_TO_RESUME),
        (
            {"records": {}, "pages_fetched": 0, "failures": [{"url": "home", "reason": "refused"}]},
            outcome.EXIT_SITE_UNREACHABLE,
        ),
    ],
)
def test_exit_code_table(changes: dict[str, Any], code: int) -> None:
    assert outcome.exit_code(report(**changes)) == code


def test_robots_txt_that_never_answered_means_the_site_is_down() -> None:
    down = report(finish_reason=outcome.REASON_ROBOTS_UNAVAILABLE, records={}, pages_fetched=0)
    assert outcome.exit_code(down, responses=0) == outcome.EXIT_SITE_UNREACHABLE
    assert outcome.exit_code(down, responses=3) == outcome.EXIT_ROBOTS_UNAVAILABLE  # it answered 503
    assert outcome.exit_code(report(), responses=0) == outcome.EXIT_COMPLETE  # records written: it was reached


def test_no_report_is_an_incomplete_run() -> None:
    assert outcome.exit_code(None) == outcome.EXIT_INCOMPLETE


def test_every_exit_code_is_distinct_and_in_the_readme() -> None:
    codes = {name: value for name, value in vars(outcome).items() if name.startswith("EXIT_")}
    assert len(set(codes.values())) == len(codes)
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    for name, value in codes.items():
        assert re.search(rf"\| `?{value}`? \| `{name}`", readme), name


# --- run folders, latest, the lock, the safe feed storage -------------------------------
def test_latest_is_switched_by_one_rename(tmp_path: Path) -> None:
    first, second = folders.new_run(tmp_path), folders.new_run(tmp_path)
    for run in (first, second):
        (run / RECORDS).write_text("")
    assert second.name == first.name + ".2"
    folders.point_latest(tmp_path, first)
    folders.point_latest(tmp_path, second)
    assert os.readlink(tmp_path / LATEST) == second.name  # relative: the folder can move
    assert folders.latest_complete(tmp_path) == second.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name, LATEST])


def test_the_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    one, two = folders.RunLock(tmp_path / ".lock"), folders.RunLock(tmp_path / ".lock")
    assert one.acquire()
    assert not two.acquire()
    assert two.holder().startswith(f"pid {os.getpid()} since ")
    one.release()
    assert two.acquire()
    two.release()


def test_write_atomically_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_atomically(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def storage_for(tmp_path: Path, items: int, overwrite: bool) -> tuple[AtomicFileFeedStorage, Path]:
    crawler = get_crawler()
    crawler.stats.set_value("item_scraped_count", items)
    target = tmp_path / "atlas.jsonl"
    return AtomicFileFeedStorage.from_crawler(crawler, str(target), feed_options={"overwrite": overwrite}), target


@pytest.mark.parametrize(
    ("items", "overwrite", "expected"),
    [(2, True, b"new\n"), (0, True, b"old\n"), (2, False, b"old\nnew\n"), (0, False, b"old\n")],
)
def test_the_feed_changes_only_when_the_run_ends_and_only_if_it_scraped_something(
    tmp_path: Path, items: int, overwrite: bool, expected: bytes
) -> None:
    storage, target = storage_for(tmp_path, items, overwrite)
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    file = storage.open(DefaultSpider(name="atlas"))
    file.write(b"new\n" if items else b"")
    assert target.read_bytes() == b"old\n"  # untouched while the run goes on
    storage.store(file)
    assert target.read_bytes() == expected
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["atlas.jsonl"]


def test_a_first_run_that_scraped_nothing_still_creates_the_file(tmp_path: Path) -> None:
    storage, target = storage_for(tmp_path, 0, True)
    storage.store(storage.open(DefaultSpider(name="atlas")))
    assert target.read_bytes() == b""
