"""The walk of the atlas: menus, every list page, every project and collectivity
page, each fetched once. What a page *says* is the parsers' business
(``atlas_crawler.pages``); this module only decides what to fetch next."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import Settings
from scrapy_playwright.page import PageMethod
from twisted.python.failure import Failure

from atlas_crawler import signals, urls
from atlas_crawler.items import ProjectItem
from atlas_crawler.pages.collectivity import parse_collectivity
from atlas_crawler.pages.common import announced_count, links, utc_now
from atlas_crawler.pages.project import parse_project, parse_project_table_page

ENTRIES = ("lists", "map")


class AtlasSpider(Spider):
    """``scrapy crawl atlas [-a entry=lists|map]``: every project and collectivity
    of the atlas at ``ATLAS_BASE_URL``."""

    name = "atlas"

    def __init__(self, entry: str = "lists", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if entry not in ENTRIES:
            raise ValueError(f"entry must be one of {ENTRIES}, not {entry!r}")
        self.entry = entry

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> AtlasSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.entry != "map":
            without_browser(crawler.settings)
        return spider

    @property
    def base(self) -> str:
        return urls.canonicalize(self.settings.get("ATLAS_BASE_URL"))

    async def start(self) -> AsyncIterator[Request]:
        yield Request(self.base + urls.HOME_PAGE, callback=self.parse_home, errback=self.failed)

    # --- menus --------------------------------------------------------------
    def parse_home(self, response: Response) -> Iterator[Request]:
        """The atlas menu: the country menu (or the world map) and the region menu."""
        found = {urls.page_name(u): u for u in links(response) if self.in_atlas(u)}
        map_url = found.get(urls.MAP_PAGE)
        countries = found.get(urls.COUNTRIES_PAGE)
        if self.entry == "map" and map_url:
            yield self.map_request(map_url, fallback=countries)
        elif countries:
            yield Request(countries, callback=self.parse_menu, errback=self.failed)
        if self.entry == "map" and not map_url:
            self.warn(f"no link to {urls.MAP_PAGE} on {response.url}: countries taken from {urls.COUNTRIES_PAGE}")
        if urls.REGIONS_PAGE in found:
            yield Request(found[urls.REGIONS_PAGE], callback=self.parse_menu, errback=self.failed)
        missing = [p for p in (urls.COUNTRIES_PAGE, urls.REGIONS_PAGE) if p not in found]
        if missing:
            self.warn(f"menu links not found on {response.url}: {', '.join(missing)}")

    def map_request(self, url: str, fallback: str | None) -> Request:
        """The world map through the browser; anything wrong falls back to the country list."""
        executable = (self.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
        meta = {"fallback": fallback, "dont_retry": True}
        if executable and not os.access(executable, os.X_OK):
            self.warn(
                f"browser not found at {executable}: world map skipped, countries taken from {urls.COUNTRIES_PAGE}"
            )
            return Request(fallback or self.base + urls.COUNTRIES_PAGE, callback=self.parse_menu, errback=self.failed)
        timeout = self.settings.getint("ATLAS_MAP_TIMEOUT_MS")
        selector = self.settings.get("ATLAS_MAP_LINK_SELECTOR")
        meta.update(
            playwright=True,
            playwright_include_page=True,
            playwright_page_methods=[PageMethod("wait_for_selector", selector, state="attached", timeout=timeout)],
        )
        return Request(url, callback=self.parse_map, errback=self.map_failed, meta=meta)

    async def parse_map(self, response: Response) -> AsyncIterator[Request]:
        """The rendered map: its country links, after the browser page and
        context are closed (the browser keeps only its idle process)."""
        await close_page(response.meta.get("playwright_page"))
        for request in self.parse_menu(response):
            yield request

    async def map_failed(self, failure: Failure) -> AsyncIterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        await close_page(request.meta.get("playwright_page"))
        fallback = request.meta.get("fallback") or self.base + urls.COUNTRIES_PAGE
        reason = (failure.getErrorMessage() or failure.type.__name__).splitlines()[0][:200]
        self.warn(f"world map could not be rendered ({reason}): countries taken from {urls.COUNTRIES_PAGE}")
        yield Request(fallback, callback=self.parse_menu, errback=self.failed)

    def parse_menu(self, response: Response) -> Iterator[Request]:
        """A menu (countries, regions, map): every list it links to."""
        for url in links(response):
            request = self.follow(url)
            if request is not None:
                yield request

    # --- lists ----------------------------------------------------------------
    def parse_listing(self, response: Response) -> Iterator[Request]:
        """A list page: its rows' detail pages and its other pages."""
        found = links(response)
        projects = sorted({pid for u in found if (pid := urls.project_id(u))})
        collectivities = sorted({cid for u in found if urls.collectivity_kind(u) and (cid := urls.collectivity_id(u))})
        self.crawler.signals.send_catch_log(
            signals.list_page_parsed,
            list_url=urls.without_page_params(urls.canonicalize(response.url)),
            page_url=response.url,
            announced=announced_count(response),
            ids=projects or collectivities,
            kind="project" if projects else "collectivity",
        )
        yield from self.follow_all(found)

    # --- details ---------------------------------------------------------------
    def parse_project(self, response: TextResponse) -> Iterator[Any]:
        page = parse_project(response, crawled_at=utc_now())
        yield from self.follow_all(links(response))
        yield from self.finish_project(page.item, page.next_pages)

    def parse_project_table_page(self, response: TextResponse, item: ProjectItem, field: str) -> Iterator[Any]:
        """A further page of an in-page table: its rows join the same record."""
        page = parse_project_table_page(response, field)
        item[field] = list(item[field]) + list(page.item[field])
        nxt = {field: page.next_pages[field]} if field in page.next_pages else {}
        pending = response.meta["pending"]
        yield from self.finish_project(item, {**nxt, **pending})

    def finish_project(self, item: ProjectItem, next_pages: dict[str, str]) -> Iterator[Any]:
        if not next_pages:
            yield item
            return
        field, url = next(iter(next_pages.items()))
        pending = {k: v for k, v in next_pages.items() if k != field}
        yield Request(
            urls.canonicalize(url),
            callback=self.parse_project_table_page,
            errback=self.failed,
            cb_kwargs={"item": item, "field": field},
            meta={"pending": pending, "record_url": item["url"]},
        )

    def parse_collectivity(self, response: TextResponse) -> Iterator[Any]:
        yield parse_collectivity(response, crawled_at=utc_now())
        yield from self.follow_all(links(response))

    # --- links -------------------------------------------------------------------
    def in_atlas(self, url: str) -> bool:
        return url.startswith(self.base)

    def follow_all(self, found: list[str]) -> Iterator[Request]:
        for url in found:
            request = self.follow(url)
            if request is not None:
                yield request

    def follow(self, url: str) -> Request | None:
        """The request for a link: a project, a collectivity, or another list
        page; None for what lies outside the atlas or is only chrome."""
        if not self.in_atlas(url):
            return None
        if urls.project_id(url):
            return Request(urls.project_url(url), callback=self.parse_project, errback=self.failed)
        if urls.collectivity_id(url) and urls.collectivity_kind(url):
            return Request(urls.collectivity_url(url), callback=self.parse_collectivity, errback=self.failed)
        if "?" in url:
            return Request(url, callback=self.parse_listing, errback=self.failed)
        return None

    # --- failures ------------------------------------------------------------------
    def failed(self, failure: Failure) -> None:
        """A page that failed for good (after retries): reported by URL. A
        failed table page fails its whole record, which is not written."""
        request = failure.request  # type: ignore[attr-defined]
        reason = failure.getErrorMessage() or failure.type.__name__
        response = getattr(failure.value, "response", None)
        if response is not None:
            reason = f"HTTP {response.status}"
        url = request.meta.get("record_url") or request.url
        if url != request.url:
            reason = f"{reason} (table page {request.url})"
        self.crawler.stats.inc_value("atlas/pages_failed")
        self.crawler.signals.send_catch_log(signals.page_failed, url=url, reason=reason)

    def warn(self, message: str) -> None:
        self.crawler.signals.send_catch_log(signals.crawl_warning, message=message)

    def log(self, message: Any, level: int = logging.DEBUG, **kw: Any) -> None:
        """Spidermon's runner still logs through the deprecated ``Spider.log``;
        forwarding to ``self.logger`` keeps its report and our deprecation-free runs."""
        self.logger.log(level, message, **kw)


def without_browser(settings: Settings) -> None:
    """Scrapy's own download handlers: a crawl that needs no browser starts none
    (scrapy-playwright would start its driver process at launch)."""
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    plain = {scheme: path for scheme, path in handlers.items() if "scrapy_playwright" not in str(path)}
    if plain != handlers and not settings.frozen:
        settings.set("DOWNLOAD_HANDLERS", plain, priority="spider")


async def close_page(page: Any) -> None:
    if page is not None:
        await page.close()
        await page.context.close()
