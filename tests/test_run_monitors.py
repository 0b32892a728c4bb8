"""``atlas_crawler/run/monitors.py``: each Spidermon close monitor passes and fails
on crafted stats, run the way Spidermon runs a suite at the end of a crawl
(``SpiderMonitorRunner``); ``MonitorResultsToStats`` keeps each outcome in the
stats for the run report."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.crawler import Crawler
from spidermon import MonitorSuite
from spidermon.contrib.scrapy import monitors as spidermon_monitors
from spidermon.contrib.scrapy.runners import SpiderMonitorRunner

from atlas_crawler import stats
from atlas_crawler.run import monitors
from atlas_crawler.run.monitors import AtlasCloseMonitorSuite, MonitorResultsToStats
from atlas_crawler.run.state import run_state
from tests.saved import project_crawler

#: Field coverage that meets every rule of the project's settings.
FULL_COVERAGE = {
    "spidermon_field_coverage/ProjectItem/id": 1.0,
    "spidermon_field_coverage/ProjectItem/url": 1.0,
    "spidermon_field_coverage/ProjectItem/title": 1.0,
    "spidermon_field_coverage/ProjectItem/theme": 0.9,
    "spidermon_field_coverage/ProjectItem/foreign_partners": 0.8,
    "spidermon_field_coverage/CollectivityItem/id": 1.0,
    "spidermon_field_coverage/CollectivityItem/name": 0.97,
}
ALL = {
    "Finish Reason Monitor",
    "FailedPagesMonitor",
    "InvalidRecordsMonitor",
    "DoubtedRecordsMonitor",
    "Field Coverage Monitor",
}


def crawl_with(crawled: dict[str, Any], missing: tuple[str, ...] = (), **settings: Any) -> Crawler:
    """A crawler whose stats are ``crawled`` (a finished run with full coverage unless
    said), without the stats ``missing``."""
    crawler = project_crawler(**settings)
    for key, value in {"finish_reason": "finished", "item_scraped_count": 10, **FULL_COVERAGE, **crawled}.items():
        if key not in missing:
            crawler.stats.set_value(key, value)
    return crawler


def run_suite(crawler: Crawler, suite: MonitorSuite | None = None) -> dict[str, dict[str, Any]]:
    """Run the suite as Spidermon does at the spider's close; each monitor's outcome."""
    suite = suite or AtlasCloseMonitorSuite(crawler=crawler)
    data = {"stats": crawler.stats.get_stats(), "crawler": crawler, "spider": crawler.spider}
    SpiderMonitorRunner(spider=crawler.spider).run(suite, stats_history=[], sc_spider_name="atlas", job=None, **data)
    return crawler.stats.get_value(stats.MONITORS)


def failed(outcomes: dict[str, dict[str, Any]]) -> set[str]:
    return {name for name, outcome in outcomes.items() if not outcome["passed"]}


def test_a_finished_clean_run_passes_every_monitor() -> None:
    outcomes = run_suite(crawl_with({}))
    assert set(outcomes) == ALL
    assert failed(outcomes) == set()
    assert all(outcome["reason"] is None for outcome in outcomes.values())


def test_the_project_runs_the_suite_at_close() -> None:
    crawler = project_crawler()
    suites = crawler.settings.getlist("SPIDERMON_SPIDER_CLOSE_MONITORS")
    assert suites == ["atlas_crawler.run.alerts.AlertingCloseMonitorSuite"]
    assert set(AtlasCloseMonitorSuite.monitors) == {
        spidermon_monitors.FinishReasonMonitor,
        monitors.FailedPagesMonitor,
        monitors.InvalidRecordsMonitor,
        monitors.DoubtedRecordsMonitor,
        spidermon_monitors.FieldCoverageMonitor,
    }
    assert AtlasCloseMonitorSuite.monitors_finished_actions == [MonitorResultsToStats]


# --- failed pages: the site's own refusals within the tolerance are known gaps ---------------------
def with_failures(failures: dict[str, str], linked: int = 100, **settings: Any) -> Crawler:
    crawler = crawl_with({}, **settings)
    state = run_state(crawler)
    state.failures.update(failures)
    state.linked.update(f"https://atlas.test/detailProjet.html?criteres.prjId={n}" for n in range(linked))
    return crawler


def refused(n: int) -> dict[str, str]:
    return {
        f"https://atlas.test/detailProjet.html?criteres.prjId={i}": "soft error: Erreur technique" for i in range(n)
    }


def test_pages_the_site_refuses_within_the_tolerance_are_known_gaps_not_failures() -> None:
    assert failed(run_suite(with_failures(refused(10)))) == set()  # ATLAS_MAX_FAILED_PAGES, 10 by default
    assert failed(run_suite(with_failures({"https://atlas.test/x?criteres.prjId=1": "HTTP 404"}))) == set()
    over = run_suite(with_failures(refused(11)))
    assert failed(over) == {"FailedPagesMonitor"}
    assert (
        "11 pages failed after retries, 11 of them refused by the site (over the tolerance of 10)"
        in (over["FailedPagesMonitor"]["reason"])
    )
    share = with_failures(refused(20), linked=2000, ATLAS_MAX_FAILED_PAGES=0)  # 1 % of 2000 linked pages
    assert failed(run_suite(share)) == set()


def test_any_other_failure_fails_the_monitor() -> None:
    network = {"https://atlas.test/detailProjet.html?criteres.prjId=7": "TimeoutError: took too long"}
    outcome = run_suite(with_failures({**refused(2), **network}))
    assert failed(outcome) == {"FailedPagesMonitor"}
    assert "1 pages failed after retries" in outcome["FailedPagesMonitor"]["reason"]
    assert failed(run_suite(with_failures({"https://atlas.test/y": "HTTP 503"}))) == {"FailedPagesMonitor"}


# --- the counted monitors: a stat, a tolerance setting (0 by default) ---------------------------------
COUNTED = [
    (monitors.InvalidRecordsMonitor, stats.RECORDS_INVALID, "ATLAS_MAX_INVALID_RECORDS"),
    (monitors.DoubtedRecordsMonitor, stats.DOUBTED_RECORDS, "ATLAS_MAX_DOUBTED_RECORDS"),
]


@pytest.mark.parametrize(("monitor_class", "stat", "setting"), COUNTED)
def test_a_counted_monitor_fails_above_its_tolerance(monitor_class: type, stat: str, setting: str) -> None:
    name = monitor_class.__name__
    assert monitor_class.stat_name == stat and monitor_class.threshold_setting == setting
    assert project_crawler().settings.getint(setting) == 0
    outcomes = run_suite(crawl_with({stat: 3}))
    assert failed(outcomes) == {name}
    assert stat in outcomes[name]["reason"] and "3" in outcomes[name]["reason"]


@pytest.mark.parametrize(("monitor_class", "stat", "setting"), COUNTED)
def test_a_counted_monitor_passes_within_its_tolerance(monitor_class: type, stat: str, setting: str) -> None:
    assert failed(run_suite(crawl_with({stat: 3}, **{setting: 3}))) == set()
    assert failed(run_suite(crawl_with({stat: 0}))) == set()
    assert failed(run_suite(crawl_with({stat: 4}, **{setting: 3}))) == {monitor_class.__name__}


@pytest.mark.parametrize(("monitor_class", "stat", "setting"), COUNTED)
def test_a_counted_monitor_passes_when_nothing_was_counted(monitor_class: type, stat: str, setting: str) -> None:
    crawler = crawl_with({})
    assert crawler.stats.get_value(stat) is None
    assert run_suite(crawler)[monitor_class.__name__] == {"passed": True, "reason": None}


# --- Spidermon's own monitors, as the project configures them ---------------------------------------------
@pytest.mark.parametrize("reason", ["shutdown", "site_unreachable", "robots_unavailable", "nothing_to_resume"])
def test_any_finish_reason_but_finished_fails(reason: str) -> None:
    outcomes = run_suite(crawl_with({"finish_reason": reason}))
    assert failed(outcomes) == {"Finish Reason Monitor"}
    assert reason in outcomes["Finish Reason Monitor"]["reason"]


def test_field_coverage_below_a_rule_fails() -> None:
    outcomes = run_suite(crawl_with({"spidermon_field_coverage/ProjectItem/title": 0.9}))
    assert failed(outcomes) == {"Field Coverage Monitor"}
    assert "ProjectItem/title (expected 0.95, got 0.9" in outcomes["Field Coverage Monitor"]["reason"]


def test_field_coverage_at_a_rule_passes() -> None:
    assert failed(run_suite(crawl_with({"spidermon_field_coverage/ProjectItem/title": 0.95}))) == set()


def test_a_field_never_found_fails_its_rule() -> None:
    outcomes = run_suite(crawl_with({}, missing=("spidermon_field_coverage/CollectivityItem/name",)))
    assert failed(outcomes) == {"Field Coverage Monitor"}
    assert "CollectivityItem/name (expected 0.95, got 0" in outcomes["Field Coverage Monitor"]["reason"]


# --- MonitorResultsToStats ---------------------------------------------------------------------------
def test_each_outcome_is_kept_in_the_stats_with_its_reason() -> None:
    crawler = with_failures({"https://atlas.test/a": "HTTP 500", "https://atlas.test/b": "HTTP 502"})
    crawler.stats.set_value("finish_reason", "shutdown")
    suite = MonitorSuite(
        monitors=[monitors.FailedPagesMonitor, spidermon_monitors.FinishReasonMonitor],
        monitors_finished_actions=[MonitorResultsToStats],
        crawler=crawler,
    )
    outcomes = run_suite(crawler, suite)
    assert set(outcomes) == {"FailedPagesMonitor", "Finish Reason Monitor"}
    assert all(outcome["passed"] is False and outcome["reason"] for outcome in outcomes.values())
    assert "2 pages failed after retries" in outcomes["FailedPagesMonitor"]["reason"]
