"""Collects the run from signals into the shared run state."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from atlas_crawler import signals as atlas_signals
from atlas_crawler.run.state import RunState, run_state
from atlas_crawler.urls import canonicalize, is_robots_txt

logger = logging.getLogger(__name__)


class RunCollector:
    """Records written, pages fetched, failures, lists seen, warnings, rejected
    records and unreadable values, as the crawl goes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        connect = crawler.signals.connect
        connect(self.record_written, signal=atlas_signals.record_written)
        connect(self.response_received, signal=signals.response_received)
        connect(self.page_failed, signal=atlas_signals.page_failed)
        connect(self.page_skipped, signal=atlas_signals.page_skipped)
        connect(self.list_page_parsed, signal=atlas_signals.list_page_parsed)
        connect(self.crawl_warning, signal=atlas_signals.crawl_warning)
        connect(self.record_rejected, signal=atlas_signals.record_rejected)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunCollector:
        return cls(crawler)

    @property
    def state(self) -> RunState:  # the job state may replace it when a job resumes
        return run_state(self.crawler)

    def record_written(self, item: Any) -> None:
        self.state.record_written(item)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if not is_robots_txt(request.url):  # not an atlas page; each run of a job reads it anew
            self.state.fetched[canonicalize(request.url)] += 1

    def page_failed(self, url: str, reason: str) -> None:
        self.state.failures[url] = reason

    def page_skipped(self, url: str, rule: str) -> None:
        self.state.page_skipped(url, rule)

    def crawl_warning(self, message: str) -> None:
        logger.warning(message)
        self.state.warnings.append(message)

    def record_rejected(self, record_type: str, record_id: str, url: str, errors: list[str]) -> None:
        self.state.rejected.append({"type": record_type, "id": record_id, "url": url, "errors": errors})

    def list_page_parsed(self, list_url: str, announced: int | None, ids: list[str], kind: str, **_: Any) -> None:
        self.state.list_page(list_url, announced, ids, kind)
