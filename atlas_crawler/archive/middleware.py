"""The downloader middleware that writes every exchange of a crawl to WARC.

It sits below Scrapy's HttpCompressionMiddleware (a higher order number: its
``process_response`` runs first), so it records the body as the server sent it,
before decompression, with headers that still say so; and below the retry, soft
error and redirect middlewares, so it sees every attempt, every failed answer and
every redirect hop. See the comment in ``settings.py``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from atlas_crawler.archive import rendered
from atlas_crawler.archive.captures import CaptureIndex
from atlas_crawler.archive.dump import git_commit, prepare, warcinfo
from atlas_crawler.archive.finish import finish_dump
from atlas_crawler.archive.http import request_head, response_head
from atlas_crawler.archive.layout import CAPTURES, warc_files
from atlas_crawler.archive.warcfiles import Record, WarcFiles, warc_date, warc_fields
from atlas_crawler.archive.writer import ArchiveWriter
from atlas_crawler.files import RunFiles
from atlas_crawler.pages.common import FETCHED_AT
from atlas_crawler.urls import canonicalize

logger = logging.getLogger(__name__)
#: request.meta key: the WARC-Date of the attempt this middleware saw leave (one per attempt).
SENT = "atlas_warc_sent"


class ArchiveMiddleware:
    """``ATLAS_ARCHIVE=True``: a ``request`` and a ``response`` record for every
    exchange (a ``request`` and a ``metadata`` record for an attempt that got no
    answer), the world map's rendered DOM as a ``conversion`` record, a line of
    ``captures.jsonl`` for every record written, and at the end the index, the
    WACZ package and the manifest."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.directory = RunFiles.of(settings).archive
        first_number = prepare(self.directory, resuming=resuming(settings))
        self.commit = git_commit()
        self.started_at = datetime.now(UTC)
        self.finish_reason: str | None = None
        spider = getattr(crawler, "spider", None)
        user_agent = str(settings.get("USER_AGENT")).replace("{contact}", str(settings.get("ATLAS_CONTACT")))
        info = warcinfo(settings, spider.name if spider else "atlas", user_agent, self.commit)
        files = WarcFiles(self.directory, "atlas", settings.getint("ATLAS_WARC_MAX_SIZE"), info, first_number)
        self.writer = ArchiveWriter(files, self.directory / CAPTURES)
        self.captures = CaptureIndex()
        self.first_page: tuple[str, str] | None = None
        self.failed = False
        if first_number:  # a resumed job: its records may come from pages fetched by earlier runs
            self.captures.recall(warc_files(self.directory), self.writer.locations)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        logger.info("archiving every exchange to %s", self.directory)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        if not crawler.settings.getbool("ATLAS_ARCHIVE"):
            raise NotConfigured  # ATLAS_ARCHIVE off (no warning: the default)
        return cls(crawler)

    # --- exchanges ---------------------------------------------------------------------
    def process_request(self, request: Request) -> None:
        request.meta[SENT] = warc_date()
        if request.meta.get("playwright"):
            rendered.watch(request)

    async def process_response(self, request: Request, response: Response) -> Response:
        sent = request.meta.pop(SENT, None)
        if sent is None:  # answered above this middleware (e.g. a cache): not an exchange with the site
            return response
        if "playwright" in response.flags:
            record_id, date = await rendered.record(self.writer, request, response, sent)
        else:
            record_id, date = self._exchange(request, response, sent)
        if record_id:
            request.meta[FETCHED_AT] = date  # the record's crawled_at (the spider reads it: fetched_at)
            self._remember(request, response, record_id, date)
        self._check_writer()
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """An attempt that got no answer (timeout, refused connection): its request, and the error."""
        sent = request.meta.pop(SENT, None)
        if sent is None:  # never left (e.g. refused by robots.txt before reaching this middleware)
            return
        rendered.forget(request)
        req = Record("request", request.url, sent, request.body or b"", head=request_head(request))
        error = warc_fields({"error": f"{type(exception).__name__}: {exception}"})
        failure = Record("metadata", request.url, warc_date(), error, fields=(("WARC-Concurrent-To", req.record_id),))
        self.writer.record(req)
        self.writer.record(failure)

    def _exchange(self, request: Request, response: Response, sent: str) -> tuple[str, str]:
        date = warc_date()
        fields: list[tuple[str, str]] = []
        if response.ip_address is not None:
            fields.append(("WARC-IP-Address", str(response.ip_address)))
        if "dataloss" in response.flags:
            fields.append(("WARC-Truncated", "disconnect"))  # Scrapy kept a body cut short
        resp = Record("response", response.url, date, response.body, head=response_head(response), fields=tuple(fields))
        req = Record(
            "request",
            request.url,
            sent,
            request.body or b"",
            head=request_head(request),
            fields=(("WARC-Concurrent-To", resp.record_id),),
        )
        self.writer.record(resp)
        self.writer.record(req)
        return resp.record_id, date

    def _remember(self, request: Request, response: Response, record_id: str, date: str) -> None:
        """The last response of each page, for the line its record gets in ``captures.jsonl``."""
        self.captures.remember(canonicalize(response.url), record_id, date, request.meta.get("record_url"))
        if self.first_page is None and response.status == 200 and b"html" in response.headers.get("Content-Type", b""):
            self.first_page = (response.url, date)

    def _check_writer(self) -> None:
        """A writer that failed (disk full, …) stops the crawl: a dump with holes is no dump."""
        if self.writer.error is None or self.failed:
            return
        self.failed = True
        logger.error("the archive cannot be written (%s): stopping the crawl", self.writer.error)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="archive_failed"))

    # --- records -> captures ---------------------------------------------------------------
    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        """A record was written: its line in ``captures.jsonl`` names the response it
        was parsed from (for a record assembled from table pages, the main page) and
        the table pages' responses."""
        self.writer.capture(self.captures.line(item, response.url))

    # --- the end ---------------------------------------------------------------------------
    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.finish_reason = reason

    async def engine_stopped(self) -> None:
        """Every record is queued and the feeds are closed: index, package, manifest, in a
        thread (a minute for a full dump) so that the reactor's last timers still run."""
        await maybe_deferred_to_future(deferToThread(self.finish))

    def finish(self) -> None:
        self.writer.close()
        if self.writer.error is not None:
            logger.error("archive %s is incomplete: %s", self.directory, self.writer.error)
            return
        finish_dump(
            self.directory,
            self.crawler.settings,
            started_at=self.started_at,
            finish_reason=self.finish_reason,
            commit=self.commit,
            first_page=self.first_page,
            known_counts=self.writer.files.counts,
        )


def resuming(settings: Any) -> bool:
    """A job resumed with ``JOBDIR`` (its directory holds an earlier run's state)."""
    jobdir = settings.get("JOBDIR")
    return bool(jobdir) and Path(jobdir).is_dir() and any(Path(jobdir).iterdir())
