"""``baseline``: fetches the pages ``atlas`` fetches but only follows links (no
page types, no records, no pipelines, no report): the framework's ceiling for
this crawl, against which ``make bench`` measures ``atlas``. It lives with the
benchmarks, so ``scrapy list`` shows only ``atlas``; the benchmark adds this
module to ``SPIDER_MODULES``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response

from atlas_crawler import urls
from atlas_crawler.pages.common import links
from atlas_crawler.spiders.atlas import AtlasSpider


class BaselineSpider(AtlasSpider):
    name = "baseline"
    custom_settings = {
        "ITEM_PIPELINES": {},
        "EXTENSIONS": {},
        "SPIDERMON_ENABLED": False,
        "DOWNLOADER_MIDDLEWARES": {"atlas_crawler.crawl.softerrors.SoftErrorMiddleware": None},
    }

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Request]:
        """Every atlas link, table pages of projects included."""
        yield from self.follow_all(links(response))

    def request(self, url: str) -> Request:
        if urls.project_id(url) and urls.page_params(url):
            return Request(urls.canonicalize(url), callback=self.parse)
        return super().request(url)
