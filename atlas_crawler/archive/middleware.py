"""The downloader middleware that writes every exchange of a crawl to WARC.

It sits below Scrapy's HttpCompressionMiddleware (a higher order number: its
``process_response`` runs first), so it records the body as the server sent it,
before decompression, with headers that still say so; and below the retry, soft
error and redirect middlewares, so it sees every attempt, every failed answer and
every redirect hop. See the comment in ``settings.py``."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from atlas_crawler.archive import browser
from atlas_crawler.archive.dump import archive_dir, git_commit, prepare, warcinfo
from atlas_crawler.archive.finish import finish_dump
from atlas_crawler.archive.http import request_head, response_head
from atlas_crawler.archive.layout import CAPTURES, warc_files
from atlas_crawler.archive.scan import TruncatedError, iter_members, read_head
from atlas_crawler.archive.warcfiles import Location, Record, WarcFiles, warc_date, warc_fields
from atlas_crawler.archive.writer import ArchiveWriter
from atlas_crawler.pages import registry
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
        self.directory = archive_dir(settings)
        first_number = prepare(self.directory, resuming=resuming(settings))
        self.commit = git_commit()
        self.started_at = datetime.now(UTC)
        self.finish_reason: str | None = None
        spider = getattr(crawler, "spider", None)
        user_agent = str(settings.get("USER_AGENT", "")).replace("{contact}", str(settings.get("ATLAS_CONTACT", "")))
        info = warcinfo(settings, spider.name if spider else "atlas", user_agent, self.commit)
        files = WarcFiles(self.directory, "atlas", settings.getint("ATLAS_WARC_MAX_SIZE"), info, first_number)
        self.writer = ArchiveWriter(files, self.directory / CAPTURES)
        #: canonical URL -> (WARC-Record-ID, WARC-Date) of its last response
        self.latest: dict[str, tuple[str, str]] = {}
        #: record URL -> {table page canonical URL: (WARC-Record-ID, WARC-Date)}
        self.table_pages: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        self.first_page: tuple[str, str] | None = None
        self.failed = False
        if first_number:  # a resumed job: its records may come from pages fetched by earlier runs
            self._recall(warc_files(self.directory))
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        logger.info("archiving every exchange to %s", self.directory)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        if not crawler.settings.getbool("ATLAS_ARCHIVE"):
            raise NotConfigured("ATLAS_ARCHIVE is off")
        return cls(crawler)

    # --- exchanges ---------------------------------------------------------------------
    def process_request(self, request: Request) -> None:
        request.meta[SENT] = warc_date()
        if request.meta.get("playwright"):
            browser.watch(request)

    async def process_response(self, request: Request, response: Response) -> Response:
        sent = request.meta.pop(SENT, None)
        if sent is None:  # answered above this middleware (e.g. a cache): not an exchange with the site
            return response
        if "playwright" in response.flags:
            record_id, date = await browser.record(self.writer, request, response, sent)
        else:
            record_id, date = self._exchange(request, response, sent)
        if record_id:
            self._remember(request, response, record_id, date)
        self._check_writer()
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        """An attempt that got no answer (timeout, refused connection): its request, and the error."""
        sent = request.meta.pop(SENT, None)
        if sent is None:  # never left (e.g. refused by robots.txt before reaching this middleware)
            return
        browser.forget(request)
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
        self._remember_url(canonicalize(response.url), record_id, date, request.meta.get("record_url"))
        if self.first_page is None and response.status == 200 and b"html" in response.headers.get("Content-Type", b""):
            self.first_page = (response.url, date)

    def _remember_url(self, url: str, record_id: str, date: str, record_url: str | None) -> None:
        self.latest[url] = (record_id, date)
        if record_url:  # a further page of a project's in-page table
            self.table_pages[record_url][url] = (record_id, date)

    def _check_writer(self) -> None:
        """A writer that failed (disk full, …) stops the crawl: a dump with holes is no dump."""
        if self.writer.error is None or self.failed:
            return
        self.failed = True
        logger.error("the archive cannot be written (%s): stopping the crawl", self.writer.error)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="archive_failed"))

    def _recall(self, files: list[Path]) -> None:
        """The last response of every page in the dump's earlier files, read back: a
        record completed in this run may come from pages an earlier run fetched."""
        for path in files:
            for location, url, record_id, date in responses_in(path):
                self.writer.locations[record_id] = location
                self._remember_url(url, record_id, date, record_url=table_page_owner(url))

    # --- records -> captures ---------------------------------------------------------------
    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        """A record was written: its line in ``captures.jsonl`` names the response it
        was parsed from (for a record assembled from table pages, the main page) and
        the table pages' responses."""
        record = ItemAdapter(item)
        url = canonicalize(str(record.get("url") or response.url))
        main = self.latest.pop(url, None) or self.latest.get(canonicalize(response.url))
        line = capture_line(record, url, main, self.table_pages.pop(url, {}))
        self.writer.capture(line)

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


def table_page_owner(url: str) -> str | None:
    """The record address a further page of an in-page table belongs to (None for other pages)."""
    if registry.type_of_url(url) is registry.PROJECT_TABLE_PAGE:
        return registry.PROJECT.canonical_url(url)
    return None


def responses_in(path: Path) -> Iterator[tuple[Location, str, str, str]]:
    """``(location, canonical URL, WARC-Record-ID, WARC-Date)`` of every response record
    of a file, up to a record cut by a killed run."""
    with path.open("rb") as fh:
        try:
            for member in iter_members(fh):
                fields, _ = read_head(member)
                if fields.get("warc-type") == "response":
                    location = Location(path.name, member.offset, member.length)
                    url = canonicalize(fields.get("warc-target-uri", ""))
                    yield location, url, fields.get("warc-record-id", ""), fields.get("warc-date", "")
        except TruncatedError:
            return


def capture_line(
    record: ItemAdapter,
    url: str,
    main: tuple[str, str] | None,
    table_pages: Mapping[str, tuple[str, str]],
) -> dict[str, Any]:
    line: dict[str, Any] = {"type": record.get("type")}
    if record.get("kind"):
        line["kind"] = record.get("kind")
    line |= {"id": record.get("id"), "url": url}
    line |= {"warc_record_id": main[0] if main else None, "warc_filename": None, "warc_offset": None}
    line["warc_date"] = main[1] if main else None
    if table_pages:
        line["table_pages"] = [
            {"url": page, "warc_record_id": rid, "warc_filename": None, "warc_offset": None}
            for page, (rid, _) in table_pages.items()
        ]
    return line
