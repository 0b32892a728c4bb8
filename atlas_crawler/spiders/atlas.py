"""The walk of the atlas: from the home page, every atlas link, each page
fetched once. What a page *is* and what it *says* is the page types' business
(``atlas_crawler.pages.registry``); this module only decides what to fetch next."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.http import Response, TextResponse
from scrapy_playwright.page import PageMethod
from twisted.python.failure import Failure

from atlas_crawler import signals, stats, urls
from atlas_crawler.crawl.browser import browser_problem, close_page, with_browser
from atlas_crawler.crawl.drops import Dropped
from atlas_crawler.crawl.robots import RobotsUnavailable
from atlas_crawler.items import RECORD_TYPES
from atlas_crawler.outcome import REASON_SITE_UNREACHABLE
from atlas_crawler.pages import registry
from atlas_crawler.pages.common import announced_count, fetched_at, links
from atlas_crawler.pages.registry import RecordAssembly
from atlas_crawler.run.accounting import failed_page, failure_reason

ENTRIES = ("lists", "map")
#: Addresses that are never pages of the atlas (files the pages merely use).
_NOT_PAGES = (".css", ".js", ".gif", ".png", ".jpg", ".jpeg", ".ico", ".svg", ".pdf", ".zip", ".xls", ".doc")


class AtlasSpider(Spider):
    """``scrapy crawl atlas [-a entry=lists|map]``: every project and collectivity
    of the atlas at ``ATLAS_BASE_URL``."""

    name = "atlas"
    #: Held to the scope (``atlas_crawler.crawl.scope``): every request and every
    #: redirect hop under ``ATLAS_BASE_URL``. Scrapy's default spider (``scrapy shell
    #: URL``) has no such attribute and fetches what its user typed.
    stays_on_atlas = True

    def __init__(self, entry: str = "lists", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if problems := self.argument_problems({"entry": entry}):
            raise ValueError(problems[0])
        self.entry = entry

    @classmethod
    def argument_problems(cls, arguments: Mapping[str, Any]) -> list[str]:
        """What is wrong with these ``-a`` arguments, one line each: the crawl command
        asks before anything starts. Others pass (Scrapyd adds ``_job``)."""
        entry = arguments.get("entry", "lists")
        return [] if entry in ENTRIES else [f"-a entry={entry}: no such entry (one of: {', '.join(ENTRIES)})"]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> AtlasSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.entry == "map":
            with_browser(crawler.settings)
        return spider

    @property
    def base(self) -> str:
        return urls.canonicalize(self.settings.get("ATLAS_BASE_URL"))

    @property
    def home(self) -> str:
        return urls.canonicalize(self.settings.get("ATLAS_HOME_PAGE"), self.base)

    async def start(self) -> AsyncIterator[Request]:
        """The home page (a resumed ``JOBDIR`` job starts from the pages it has left
        instead: ``atlas_crawler.run.ledger.LedgerMiddleware``)."""
        yield Request(self.home, callback=self.parse_home, errback=self.home_failed)

    # --- pages ------------------------------------------------------------------
    def parse_home(self, response: Response) -> Iterator[Request]:
        """The atlas home: every atlas link it holds. With ``entry=map`` the world
        map is rendered by the browser and the country list kept as its fallback."""
        if self.entry != "map":
            yield from self.parse(response)
            return
        found = [u for u in links(response) if self.in_atlas(u)]
        by_name = {urls.page_name(u): u for u in found}
        countries = by_name.get(urls.COUNTRIES_PAGE)
        if urls.MAP_PAGE in by_name:
            yield self.map_request(by_name[urls.MAP_PAGE], fallback=countries)
        else:
            self.warn(f"no link to {urls.MAP_PAGE} on {response.url}: the countries come from the other menus")
        yield from self.follow_all(u for u in found if u not in (countries, by_name.get(urls.MAP_PAGE)))

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Any atlas page: recognised by its page type, its record (if it gives
        one) assembled, its links followed. ``scrapy parse URL`` lands here too."""
        if not isinstance(response, TextResponse):
            if registry.record_of_url(registry.requested_url(response)):  # a record's address: it must end somewhere
                kind = response.headers.get("Content-Type", b"no Content-Type").decode("latin-1")
                raise registry.NotADataPageError(f"not a page: the answer is {kind}")
            return
        page_type, assembly = registry.parse(response, crawled_at=fetched_at(response))
        self.crawler.stats.inc_value(stats.page_type(page_type.name))
        if page_type is registry.LIST:
            self.list_parsed(response)
        yield from self.follow_all(links(response))
        if assembly is not None:
            yield from self.assemble(assembly)

    def parse_table_page(self, response: TextResponse, assembly: RecordAssembly, field: str) -> Iterator[Any]:
        """A further page of an in-page table: its rows join the same record. A page
        from another version of the record page (the site changed it between page 1
        and this one) is not merged: the record's pages are fetched again once, from
        page 1; a second disagreement fails the record (the exception's message)."""
        try:
            assembly.add_table_page(field, response)
        except registry.TableVersionChanged as changed:
            if assembly.attempt > 1:
                raise
            self.warn(f"{changed}: the record's pages are fetched again")
            meta = {registry.ATTEMPT_META: assembly.attempt + 1}
            yield Request(assembly.url, callback=self.parse, errback=self.failed, dont_filter=True, meta=meta)
            return
        yield from self.assemble(assembly)

    def assemble(self, assembly: RecordAssembly) -> Iterator[Any]:
        """The record when complete, else the request for its next table page."""
        step = assembly.next_page()
        if step is None:
            yield assembly.item
            return
        field, url = step
        yield Request(
            url,
            callback=self.parse_table_page,
            errback=self.failed,
            cb_kwargs={"assembly": assembly, "field": field},
            meta={"record_url": assembly.item["url"]},
            dont_filter=assembly.attempt > 1,  # fetched again: the first attempt had them
        )

    def list_parsed(self, response: TextResponse) -> None:
        """What a list page lists (the ids of the first record type it has rows of)
        and announces, for the run's list checks."""
        listed: dict[str, set[str]] = {t.name: set() for t in RECORD_TYPES}
        for url in links(response):
            if (record := registry.record_of_url(url)) is not None:
                listed[record[0]].add(record[1])
        kind = next((name for name, ids in listed.items() if ids), RECORD_TYPES[0].name)
        self.crawler.signals.send_catch_log(
            signals.list_page_parsed,
            list_url=urls.without_page_params(urls.canonicalize(response.url)),
            page_url=response.url,
            announced=announced_count(response),
            ids=sorted(listed[kind]),
            kind=kind,
        )

    # --- the world map (entry=map) ------------------------------------------------
    def map_request(self, url: str, fallback: str | None) -> Request:
        """The world map through the browser; anything wrong falls back to the country list."""
        executable = (self.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
        fallback = fallback or self.base + urls.COUNTRIES_PAGE
        broken = executable and browser_problem(executable)
        if broken:
            self.warn(f"{broken}: world map skipped, countries taken from {fallback}")
            return self.request(fallback)
        timeout = self.settings.getint("ATLAS_MAP_TIMEOUT_MS")
        selector = self.settings.get("ATLAS_MAP_LINK_SELECTOR")
        meta = {
            "fallback": fallback,
            "dont_retry": True,
            "playwright": True,
            "playwright_include_page": True,
            "playwright_page_methods": [PageMethod("wait_for_selector", selector, state="attached", timeout=timeout)],
        }
        return Request(url, callback=self.parse_map, errback=self.map_failed, meta=meta)

    async def parse_map(self, response: Response) -> AsyncIterator[Request]:
        """The rendered map: its country links, after the browser page and
        context are closed (the browser keeps only its idle process)."""
        await close_page(response.meta.get("playwright_page"))
        for request in self.follow_all(links(response)):
            yield request

    async def map_failed(self, failure: Failure) -> AsyncIterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        await close_page(request.meta.get("playwright_page"))
        reason = (failure.getErrorMessage() or failure.type.__name__).splitlines()[0][:200]
        self.warn(f"world map could not be rendered ({reason}): countries taken from {request.meta['fallback']}")
        yield self.request(request.meta["fallback"])

    # --- links ---------------------------------------------------------------------
    def in_atlas(self, url: str) -> bool:
        """An atlas page: in scope (``urls.in_scope``: host and path prefix, dot
        segments and percent-encoding resolved) and not a file the pages use."""
        return urls.in_scope(url, self.base) and not urls.page_name(url).lower().endswith(_NOT_PAGES)

    def follow_all(self, found: Iterator[str] | list[str]) -> Iterator[Request]:
        for url in found:
            if self.in_atlas(url):
                yield self.request(url)

    def request(self, url: str) -> Request:
        """The request for an atlas page, under its page type's canonical address
        (a link to a project's table page is a link to the project)."""
        page_type = registry.type_of_url(url)
        if page_type is registry.PROJECT_TABLE_PAGE:
            page_type = registry.PROJECT
        canonical = page_type.canonical_url(url) if page_type is not None else urls.canonicalize(url)
        return Request(canonical, callback=self.parse, errback=self.failed)

    # --- failures ------------------------------------------------------------------
    def failed(self, failure: Failure) -> None:
        """A page that failed for good (after retries): reported by URL. A
        failed table page fails its whole record, which is not written. A page
        with no query (a menu-like page linked from the chrome) that does not
        exist (404) is only warned of: it holds no data. A request dropped on
        purpose (robots.txt, a limit: ``Dropped``) is skipped, with its rule; any
        other ``IgnoreRequest`` (Scrapy's for an answer over ``DOWNLOAD_MAXSIZE``,
        decompressed or not, or for "max redirections reached") fails its page."""
        request = failure.request  # type: ignore[attr-defined]
        url = failed_page(request)
        if failure.check(Dropped):
            self.crawler.signals.send_catch_log(signals.page_skipped, url=url, rule=failure.value.rule)
            return
        reason = failure_reason(failure.value)
        if request.meta.get("redirect_urls"):
            hops = len(request.meta["redirect_urls"])
            reason = f"{reason} after {hops} redirects (last to {request.url})"
        elif url != request.url:
            reason = f"{reason} (table page {request.url})"
        response = getattr(failure.value, "response", None)
        if "?" not in url and response is not None and response.status == 404:
            self.warn(f"{url} does not exist (HTTP 404); it is linked from the atlas but is not a list or a detail")
            return
        self.crawler.stats.inc_value(stats.PAGES_FAILED)
        self.crawler.signals.send_catch_log(signals.page_failed, url=url, reason=reason, request=request)

    def home_failed(self, failure: Failure) -> None:
        """Without the home page there is no atlas to walk: the run stops as
        'site unreachable' (its own exit status)."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(RobotsUnavailable):
            return  # the robots.txt policy stopped the run before any page, with its own reason
        response = getattr(failure.value, "response", None)
        reason = f"HTTP {response.status}" if response is not None else failure.getErrorMessage()
        self.crawler.stats.inc_value(stats.PAGES_FAILED)
        self.crawler.signals.send_catch_log(signals.page_failed, url=request.url, reason=reason, request=request)
        raise CloseSpider(REASON_SITE_UNREACHABLE)

    def warn(self, message: str) -> None:
        self.crawler.signals.send_catch_log(signals.crawl_warning, message=message)

    def log(self, message: Any, level: int = logging.DEBUG, **kw: Any) -> None:
        """Spidermon's runner still logs through the deprecated ``Spider.log``;
        forwarding to ``self.logger`` keeps its report and our deprecation-free runs."""
        self.logger.log(level, message, **kw)
