"""Every record page ends written, failed or skipped: the links the spider gives and
the ends nobody else reports.

``PageAccounting`` is a spider middleware closest to the spider (it sees every
request a callback gives before the trap limits drop any) and an extension of the
crawl's signals:

- each request for a record page (a list row, a project's partner) is noted as
  linked in the run state, which checks at the end that each one was written,
  failed or skipped (``RunState.pages``);
- an exception raised by a callback (a page the parser cannot read, an answer
  that is not the record page) fails its page with the exception, instead of
  Scrapy's "spider error" that leaves the page done and counted nowhere;
- an exception in a pipeline fails the record's page; a record dropped as a
  duplicate is skipped with that rule;
- with this project's exporters (JSON Lines, CSV), a record is written once its
  line is on disk: they send ``record_written`` (``atlas_crawler.output.feeds``);
  with only Scrapy's own (``-o x.xml``), once the feeds have it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from atlas_crawler import signals as atlas_signals
from atlas_crawler import stats
from atlas_crawler.pages.registry import record_of_url, requested_url
from atlas_crawler.run.state import DUPLICATE, record_page, run_state

logger = logging.getLogger(__name__)


def exporters_report_writes(settings: BaseSettings) -> bool:
    """Whether a feed of the run is written by an exporter that says which records
    it wrote (this project's JSON Lines and CSV ones: ``reports_writes``); with only
    Scrapy's own (XML, JSON, …), a record handed to the feeds counts as written."""
    exporters = settings.getwithbase("FEED_EXPORTERS")
    formats = {(options or {}).get("format") for options in settings.getdict("FEEDS").values()}
    return any(getattr(load_object(exporters[f]), "reports_writes", False) for f in formats if f in exporters)


def failed_page(request: Request) -> str:
    """The address a request's end is reported under: its record's page for a table
    page, else the address the atlas linked (a redirect's first hop)."""
    return request.meta.get("record_url") or (request.meta.get("redirect_urls") or [request.url])[0]


def failure_reason(exception: BaseException) -> str:
    """An exception in words for the report: this project's exceptions say what
    happened by themselves; anything else is named with its type (a bug to report)."""
    if isinstance(exception, HttpError) and exception.response is not None:
        return f"HTTP {exception.response.status}"
    message = str(exception).splitlines()[0][:300] if str(exception) else ""
    if type(exception).__module__.startswith("atlas_crawler") and message:
        return message
    return f"{type(exception).__name__}: {message}" if message else type(exception).__name__


class PageAccounting:
    """``SPIDER_MIDDLEWARES`` 900 (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        connect = crawler.signals.connect
        connect(self.item_error, signal=signals.item_error)
        connect(self.item_dropped, signal=signals.item_dropped)
        if not exporters_report_writes(crawler.settings):
            connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageAccounting:
        return cls(crawler)

    # --- the spider's output -------------------------------------------------------
    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        try:
            for element in result:
                self.note(element)
                yield element
        except CloseSpider:
            raise
        except Exception as exception:  # any error of a callback fails its page, never "done"
            self.callback_failed(response, exception)
        else:
            self.redirected(response)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for element in result:
                self.note(element)
                yield element
        except CloseSpider:
            raise
        except Exception as exception:  # any error of a callback fails its page, never "done"
            self.callback_failed(response, exception)
        else:
            self.redirected(response)

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any] | None:
        """A callback that raised before giving anything (or a request without an
        errback whose answer an earlier middleware refused): its page fails."""
        if isinstance(exception, CloseSpider):
            return None
        self.callback_failed(response, exception)
        return ()

    def note(self, element: Any) -> None:
        if isinstance(element, Request) and "record_url" not in element.meta and record_of_url(element.url):
            run_state(self.crawler).page_linked(element.url)

    def redirected(self, response: Response) -> None:
        """A record address the atlas redirects to another record's page (a merged
        project), read without error: it ends with that page, as its duplicate. (Its
        redirect to anything else fails it: ``registry.parse`` refuses the answer.)"""
        first = requested_url(response)
        if record_of_url(first) and record_of_url(response.url) and record_page(first) != record_page(response.url):
            rule = f"{DUPLICATE} of {record_page(response.url)}: the atlas redirects there"
            self.crawler.signals.send_catch_log(atlas_signals.page_skipped, url=first, rule=rule)

    def callback_failed(self, response: Response, exception: BaseException) -> None:
        request = response.request
        url = failed_page(request) if request is not None else response.url
        reason = failure_reason(exception)
        if url != response.url and record_page(url) != record_page(response.url):
            reason = f"{reason} ({'table page' if url != requested_url(response) else 'answered by'} {response.url})"
        if not type(exception).__module__.startswith("atlas_crawler"):
            logger.error("the page %s failed: %s", response.url, reason, exc_info=exception)
        self.crawler.stats.inc_value(stats.PAGES_FAILED)
        self.crawler.signals.send_catch_log(atlas_signals.page_failed, url=url, reason=reason, request=request)

    # --- the pipelines' ends --------------------------------------------------------
    def item_error(self, item: Any, response: Response, failure: Failure) -> None:
        url = ItemAdapter(item).get("url") or response.url
        reason = f"the record could not be processed: {failure_reason(failure.value)}"
        logger.error("the record of %s failed: %s", url, reason, exc_info=failure.value)
        self.crawler.stats.inc_value(stats.PAGES_FAILED)
        self.crawler.signals.send_catch_log(atlas_signals.page_failed, url=url, reason=reason, request=None)

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        if isinstance(exception, DropItem) and str(exception).startswith(DUPLICATE):
            url = ItemAdapter(item).get("url")
            if url:
                self.crawler.signals.send_catch_log(atlas_signals.page_skipped, url=url, rule=str(exception))

    def item_scraped(self, item: Any) -> None:
        self.crawler.signals.send_catch_log(atlas_signals.record_written, item=item)
