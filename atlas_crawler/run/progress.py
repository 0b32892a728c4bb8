"""A progress line for long polite crawls (about a day for the whole atlas).

Scrapy's ``LogStats`` says pages and items per minute; this says where the crawl
stands: pages done, requests pending, records written, lists complete out of the
lists seen, and an estimate of the time left from the counts the lists announce
(``263 projet(s) trouvé(s)``): rows written so far against rows announced so far,
at the run's average pace. Lists not reached yet are not counted, so the estimate
is low early on and firms up once every list's first page has been read."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from atlas_crawler import signals as atlas_signals

logger = logging.getLogger(__name__)


@dataclass
class _List:
    kind: str
    announced: int | None = None
    ids: set[str] = field(default_factory=set)


class Progress:
    """``ATLAS_PROGRESS_INTERVAL`` seconds (default 60; 0 turns it off) between lines."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.lists: dict[str, _List] = {}
        self.written: dict[str, set[str]] = defaultdict(set)
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
        crawler.signals.connect(progress.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(progress.list_page_parsed, signal=atlas_signals.list_page_parsed)
        return progress

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Spider) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def item_scraped(self, item: Any) -> None:
        adapter = ItemAdapter(item)
        self.written[adapter.get("type")].add(str(adapter.get("id")))

    def list_page_parsed(self, list_url: str, announced: int | None, ids: list[str], kind: str, **_: Any) -> None:
        entry = self.lists.setdefault(list_url, _List(kind))
        entry.ids.update(ids)
        if announced is not None:
            entry.announced = announced

    # --- the line -------------------------------------------------------------------
    def log(self) -> None:
        logger.info(self.line())

    def line(self) -> str:
        stats = self.crawler.stats
        engine = self.crawler.engine
        pending = 0
        if engine is not None and engine.scheduler is not None:
            pending = len(engine.scheduler) + len(engine.downloader.active)
        complete, done, announced = self.lists_done()
        eta = self.eta(done, announced)
        return (
            f"progress: {stats.get_value('response_received_count', 0)} pages done, {pending} requests pending, "
            f"{stats.get_value('item_scraped_count', 0)} records written, "
            f"lists {complete}/{len(self.lists)} complete, {done}/{announced} announced rows written, "
            f"time left {eta}"
        )

    def lists_done(self) -> tuple[int, int, int]:
        """(lists complete, rows written, rows announced) over the lists seen so far."""
        complete = done = announced = 0
        for entry in self.lists.values():
            written = len(entry.ids & self.written["project" if entry.kind == "project" else "collectivity"])
            expected = entry.announced if entry.announced is not None else len(entry.ids)
            complete += written >= expected
            done += min(written, expected)
            announced += expected
        return complete, done, announced

    def eta(self, done: int, announced: int) -> str:
        """Time left at the run's average pace, as ``2h05m`` (``unknown`` before any row)."""
        if not done:
            return "unknown"
        left = (announced - done) * (time.monotonic() - self.started) / done
        minutes = round(left / 60)
        return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m" if minutes else "<1m"
