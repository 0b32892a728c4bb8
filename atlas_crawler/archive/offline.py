"""The project's item pipelines run outside a crawl (re-parse): the same
``ITEM_PIPELINES``, in the same order, given what they use of a crawler
(settings, stats, signals: ``item_scraped`` and ``item_dropped`` as the engine
sends them, ``record_written`` as the records file's exporter does, ``close_spider``
at the end) without an engine, a spider or a reactor;
the run collector fills the run state from the same signals, as in a crawl."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from scrapy import signals as scrapy_signals
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import build_from_crawler, load_object

from atlas_crawler import signals as atlas_signals
from atlas_crawler.run.collector import RunCollector


def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("atlas_crawler.settings", priority="project")
    return settings


class OfflineCrawler:
    """What pipelines read from a crawler: ``settings``, ``stats`` and ``signals``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.signals = SignalManager(self)
        self.stats = MemoryStatsCollector(self)  # type: ignore[arg-type]
        self.spider = None
        self.engine = None


class OfflinePipelines:
    """``process(item)``: the item after every pipeline, or None when one dropped it
    (the reason kept in ``dropped``)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.crawler = OfflineCrawler(settings or project_settings())
        paths = build_component_list(self.crawler.settings.getwithbase("ITEM_PIPELINES"))
        self.pipelines = [build_from_crawler(load_object(path), self.crawler) for path in paths]  # type: ignore[arg-type]
        self.dropped: list[str] = []
        #: The run state fills as in a crawl (records written, rejected, unreadable, coverage).
        self.collector = RunCollector(self.crawler)  # type: ignore[arg-type]
        self.loop: asyncio.AbstractEventLoop | None = None

    def process(self, item: Any) -> Any | None:
        try:
            for pipeline in self.pipelines:
                item = pipeline.process_item(item)
                if inspect.isawaitable(item):  # an async pipeline: awaited on a private loop
                    self.loop = self.loop or asyncio.new_event_loop()
                    item = self.loop.run_until_complete(item)
        except DropItem as reason:
            self.dropped.append(str(reason))
            self.crawler.signals.send_catch_log(scrapy_signals.item_dropped, item=item, exception=reason)
            return None
        self.crawler.signals.send_catch_log(scrapy_signals.item_scraped, item=item)
        # The re-parse writes every record it is given back: written, as the crawl's exporter says.
        self.crawler.signals.send_catch_log(atlas_signals.record_written, item=item)
        return item

    def close(self) -> None:
        for pipeline in self.pipelines:
            if hasattr(pipeline, "close_spider"):
                pipeline.close_spider()
        if self.loop is not None:
            self.loop.close()
