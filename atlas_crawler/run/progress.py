"""A progress line for long polite crawls (about a day for the whole atlas).

Scrapy's ``LogStats`` says pages and items per minute; this says where the crawl
stands: pages done, requests pending, records written, lists complete out of the
lists seen, and an estimate of the time left from the counts the lists announce
(``263 projet(s) trouvé(s)``): rows written so far against rows announced so far,
at the run's average pace. Lists not reached yet are not counted, so the estimate
is low early on and firms up once every list's first page has been read. While
the atlas has asked to wait (``Retry-After``), the line says until when: a run
that has fetched nothing for an hour is waiting, not stuck."""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from atlas_crawler.crawl.politeness import retry_after_pause
from atlas_crawler.run.state import run_state

logger = logging.getLogger(__name__)


class Progress:
    """``ATLAS_PROGRESS_INTERVAL`` seconds (default 60; 0 turns it off) between lines."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("ATLAS_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    # --- the line -------------------------------------------------------------------
    def log(self) -> None:
        logger.info(self.line())

    def line(self) -> str:
        stats = self.crawler.stats
        engine = self.crawler.engine
        pending = 0
        if engine is not None and engine.scheduler is not None:
            pending = len(engine.scheduler) + len(engine.downloader.active)
        state = run_state(self.crawler)
        complete, done, announced = state.lists_done()
        eta = self.eta(done, announced)
        line = (
            f"progress: {stats.get_value('response_received_count', 0)} pages done, {pending} requests pending, "
            f"{stats.get_value('item_scraped_count', 0)} records written, "
            f"lists {complete}/{len(state.lists)} complete, {done}/{announced} announced rows written, "
            f"time left {eta}"
        )
        pause = retry_after_pause(self.crawler)
        if pause is not None:
            line += f"; waiting: {pause.describe()} ({_duration(pause.left())} left)"
        return line

    def eta(self, done: int, announced: int) -> str:
        """Time left at the run's average pace, as ``2h05m`` (``unknown`` before any row)."""
        if not done:
            return "unknown"
        return _duration((announced - done) * (time.monotonic() - self.started) / done)


def _duration(seconds: float) -> str:
    """``2h05m``, ``7m``, ``<1m``."""
    minutes = round(seconds / 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m" if minutes else "<1m"
