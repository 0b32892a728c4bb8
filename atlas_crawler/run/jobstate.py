"""A job paused, killed and resumed (``JOBDIR``): the run state is carried across
runs, so the report of the last run covers the whole job."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from twisted.internet.task import LoopingCall

from atlas_crawler import stats as names
from atlas_crawler.records import read_records
from atlas_crawler.run.ledger import ledger_of
from atlas_crawler.run.state import RunState, replace_run_state, run_state

logger = logging.getLogger(__name__)
#: Scrapy stats a resumed job adds up over its runs (the rest describe the last run).
CARRIED_STATS = ("downloader/request_count", "retry/count", names.PREFIX, "spidermon_item_scraped_count/")


class JobState:
    """Keeps the run state in the job's ledger (``JOBDIR/ledger.sqlite``, see
    ``atlas_crawler.run.ledger``): saved every ``ATLAS_JOB_STATE_INTERVAL`` seconds and
    at the end of each run, so that a job killed with ``kill -9`` still has it, and
    restored when the job resumes. The records written come from the job's working
    copy of its feed, the failures and list pages from the ledger: exact whenever
    the kill came (pages fetched, warnings, rejected records and the doubts of records written in
    the last seconds may be missing)."""

    def __init__(self, crawler: Crawler, jobdir: str | None) -> None:
        self.crawler = crawler
        self.saver: AsyncioLoopingCall | LoopingCall | None = None
        self.ledger = ledger_of(crawler)
        if self.ledger is None:
            return  # a one-off run: nothing to carry across runs
        if self.ledger.resumed:
            refuse_to_overwrite_earlier_records(crawler.settings.getdict("FEEDS"), str(jobdir))
            saved = self.ledger.run_state()
            state = RunState.from_json(saved) if saved else RunState()
            for record in read_records(self.ledger.feed) if self.ledger.feed and self.ledger.feed.exists() else ():
                state.record_written(record)  # the job's working copy of its feed is the truth
            state.doubts.keep(state.written)
            state.failures.update(self.ledger.failures())
            for parsed in self.ledger.list_pages():
                state.list_page(parsed["list_url"], parsed["announced"], parsed["ids"], parsed["kind"])
            replace_run_state(crawler, state)
            crawler.signals.connect(self.whole_job_stats, signal=signals.spider_opened)
            logger.info("resuming job: run %d, %d pages fetched before", state.runs, len(state.fetched))
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobState:
        return cls(crawler, crawler.settings.get("JOBDIR"))

    def whole_job_stats(self) -> None:
        """A resumed job's run counts on from its earlier runs' counters, so that
        the monitors (field coverage, failed pages) judge the whole job, not the
        last run's share of it (a complete job resumed does nothing at all)."""
        state = run_state(self.crawler)
        for key, value in state.earlier_stats.items():
            self.crawler.stats.set_value(key, value)
        state.earlier_stats = {}

    def engine_started(self) -> None:
        interval = self.crawler.settings.getfloat("ATLAS_JOB_STATE_INTERVAL")
        self.saver = create_looping_call(self.save)
        self.saver.start(interval, now=True)  # now: a run killed at once still counts as a run of the job

    def engine_stopped(self) -> None:
        if self.saver is not None and self.saver.running:
            self.saver.stop()
        self.save()

    def save(self) -> None:
        stats = job_stats(self.crawler)
        saved = run_state(self.crawler).to_json()
        saved["stats"] = {k: v for k, v in stats.items() if k.startswith(CARRIED_STATS) and isinstance(v, int)}
        assert self.ledger is not None
        self.ledger.save_run_state(saved)


def job_stats(crawler: Crawler) -> dict[str, Any]:
    """This run's stats, with the counters of the job's earlier runs added."""
    stats = dict(crawler.stats.get_stats())
    for key, value in run_state(crawler).earlier_stats.items():
        stats[key] = stats.get(key, 0) + value
    return stats


def refuse_to_overwrite_earlier_records(feeds: dict[str, Any], jobdir: str) -> None:
    """Resuming a job with ``-O`` would empty the file its earlier runs wrote (a
    remote feed's too: every feed, not only the local files)."""
    overwritten = [str(uri) for uri, options in feeds.items() if (options or {}).get("overwrite")]
    if overwritten:
        raise UsageError(
            f"JOBDIR={jobdir} is a job being resumed: -O would overwrite the records of its "
            f"earlier runs in {', '.join(overwritten)}; resume with -o (append) instead"
        )
