"""A job paused and resumed (``JOBDIR``): the run state is carried across runs,
so the report of the last run covers the whole job."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from atlas_crawler import stats as names
from atlas_crawler.report.state import RunState, replace_run_state, run_state

logger = logging.getLogger(__name__)
#: Scrapy stats a resumed job adds up over its runs (the rest describe the last run).
CARRIED_STATS = ("downloader/request_count", "retry/count", names.PREFIX, "spidermon_item_scraped_count/")


class JobState:
    """Keeps the run state in ``JOBDIR/atlas-report.json`` at the end of each run
    and restores it when the job resumes."""

    def __init__(self, crawler: Crawler, jobdir: str | None) -> None:
        self.crawler = crawler
        if not jobdir:
            return  # a one-off run: nothing to carry across runs
        self.path = Path(jobdir) / "atlas-report.json"
        if self.path.exists():
            refuse_to_overwrite_earlier_records(crawler.settings.getdict("FEEDS") or {}, jobdir)
            state = RunState.from_json(json.loads(self.path.read_text("utf-8")))
            replace_run_state(crawler, state)
            logger.info("resuming job: run %d, %d pages fetched before", state.runs, len(state.fetched))
        crawler.signals.connect(self.save, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobState:
        return cls(crawler, crawler.settings.get("JOBDIR"))

    def save(self) -> None:
        stats = job_stats(self.crawler)
        saved = run_state(self.crawler).to_json()
        saved["stats"] = {k: v for k, v in stats.items() if k.startswith(CARRIED_STATS) and isinstance(v, int)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)


def job_stats(crawler: Crawler) -> dict[str, Any]:
    """This run's stats, with the counters of the job's earlier runs added."""
    stats = dict(crawler.stats.get_stats())
    for key, value in run_state(crawler).earlier_stats.items():
        stats[key] = stats.get(key, 0) + value
    return stats


def refuse_to_overwrite_earlier_records(feeds: dict[str, Any], jobdir: str) -> None:
    """Resuming a job with ``-O`` would empty the file its earlier runs wrote."""
    overwritten = [str(uri) for uri, options in feeds.items() if options.get("overwrite")]
    if overwritten:
        raise UsageError(
            f"JOBDIR={jobdir} is a job being resumed: -O would overwrite the records of its "
            f"earlier runs in {', '.join(overwritten)}; resume with -o (append) instead"
        )
