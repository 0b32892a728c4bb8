"""``baseline``: fetches exactly the pages ``atlas`` fetches but only follows
links (no parsing into items, no pipelines, no report): the framework's
ceiling for this crawl, against which ``make bench`` measures ``atlas``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from atlas_crawler import urls
from atlas_crawler.pages.common import links
from atlas_crawler.spiders.atlas import without_browser


class BaselineSpider(Spider):
    name = "baseline"
    custom_settings = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "SPIDERMON_ENABLED": False,
        "DOWNLOADER_MIDDLEWARES": {"atlas_crawler.middlewares.SoftErrorMiddleware": None},
    }

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BaselineSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        without_browser(crawler.settings)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        self.base = urls.canonicalize(self.settings.get("ATLAS_BASE_URL"))
        yield Request(self.base + urls.HOME_PAGE, callback=self.parse_home)

    def parse_home(self, response: Response) -> Iterator[Request]:
        for url in links(response):
            if urls.page_name(url) in (urls.COUNTRIES_PAGE, urls.REGIONS_PAGE):
                yield Request(url)

    def parse(self, response: Response) -> Iterator[Request]:
        """Every in-atlas link with a query: lists, their pages, details, table pages."""
        for url in links(response):
            if url.startswith(self.base) and "?" in url:
                yield Request(self.record_page(url))

    @staticmethod
    def record_page(url: str) -> str:
        """A detail page under its record address, as ``atlas`` requests it."""
        if urls.project_id(url) and not urls.page_params(url):
            return urls.project_url(url)
        if urls.collectivity_id(url):
            return urls.collectivity_url(url)
        return url
