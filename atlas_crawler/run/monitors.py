"""Spidermon run monitors: at the end of every crawl, did it finish, did pages
fail, are the essential fields there, did the parse explain every page? Results
go to the run report."""

from __future__ import annotations

from spidermon import Monitor, MonitorSuite
from spidermon import settings as spidermon_settings
from spidermon.contrib.scrapy.monitors import BaseStatMonitor, FieldCoverageMonitor, FinishReasonMonitor
from spidermon.core.actions import Action

from atlas_crawler import stats
from atlas_crawler.outcome import Tolerance, refused_by_site, split_failures
from atlas_crawler.run.state import run_state


class FailedPagesMonitor(Monitor):
    """No page failed after its retries, but those the site itself refuses (its error
    page on every retry, 404/410) within the tolerance (``ATLAS_MAX_FAILED_PAGES`` or
    ``ATLAS_MAX_FAILED_SHARE`` of the record pages linked): the run's known gaps."""

    def test_failed_pages(self) -> None:
        crawler = self.data.crawler
        state = run_state(crawler)
        allowed = Tolerance.from_settings(crawler.settings).allowed(len(state.linked))
        _gaps, failed = split_failures(state.failures, allowed)
        refused = sum(refused_by_site(why) for why in failed.values())
        over = f", {refused} of them refused by the site (over the tolerance of {allowed})" if refused else ""
        self.assertFalse(bool(failed), msg=f"{len(failed)} pages failed after retries{over}")


class InvalidRecordsMonitor(BaseStatMonitor):
    """Records rejected by the schema (``ATLAS_MAX_INVALID_RECORDS``, default 0)."""

    stat_name = stats.RECORDS_INVALID
    threshold_setting = "ATLAS_MAX_INVALID_RECORDS"
    assert_type = "<="
    fail_if_stat_missing = False


class DoubtedRecordsMonitor(BaseStatMonitor):
    """Records written with doubts (``ATLAS_MAX_DOUBTED_RECORDS``, default 0): the
    parse left text on their page unexplained or read it two ways (the doubts file
    beside the records says what). The doubts pipeline sets the stat before the
    close monitors run."""

    stat_name = stats.DOUBTED_RECORDS
    threshold_setting = "ATLAS_MAX_DOUBTED_RECORDS"
    assert_type = "<="
    fail_if_stat_missing = False


class MonitorResultsToStats(Action):
    """Keeps each monitor's outcome in the crawl stats, for the run report."""

    def run_action(self) -> None:
        outcomes = {}
        for result in self.result.monitor_results:
            passed = result.status in spidermon_settings.MONITOR.STATUSES.SUCCESSFUL
            outcomes[result.monitor.monitor_name] = {"passed": passed, "reason": None if passed else result.reason}
        self.data.crawler.stats.set_value(stats.MONITORS, outcomes)


class AtlasCloseMonitorSuite(MonitorSuite):
    monitors = [
        FinishReasonMonitor,
        FailedPagesMonitor,
        InvalidRecordsMonitor,
        DoubtedRecordsMonitor,
        FieldCoverageMonitor,
    ]
    monitors_finished_actions = [MonitorResultsToStats]
