"""``plain``: the benchmark's baseline, plain Scrapy. A minimal spider that fetches
the pages ``atlas`` fetches (every atlas link of the replica, each page once) and
writes one trivially extracted item per project or collectivity page, run by
``scrapy runspider`` with Scrapy's default settings: no project settings, no
project middleware, extension or pipeline, no robots.txt (``ROBOTSTXT_OBEY`` is
off by default). ``benchmarks/run.py`` copies this file into an empty temporary
folder and runs it there, without ``scrapy.cfg``, ``SCRAPY_SETTINGS_MODULE`` or
the project on ``PYTHONPATH``; only the concurrency and the log level are given
with ``-s``.

It imports nothing but Scrapy and the standard library, so that it measures the
framework alone. The few lines of URL spelling below are what any spider of this
site needs to fetch each page once (the site writes ``;jsessionid`` and tracking
parameters into its links); they follow ``atlas_crawler.urls.canonicalize`` and the
page types' canonical addresses, and ``run.py`` checks that both spiders fetched
the same number of pages.

    scrapy runspider plain_spider.py -a base=http://127.0.0.1:8765/cncdext/dyn/public/atlas/ -O plain.jsonl
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response, TextResponse

#: Parameters that never change what a page shows (tracking, displaytag sorting and export).
DROPPED = re.compile(r"^(origine|source|from|utm_\w+|xtor|d-\d+-[soe]|6578706f7274)$")
PAGE_PARAM = re.compile(r"^d-\d+-p$")
JSESSIONID = re.compile(r";jsessionid=[^?#/;]*", re.IGNORECASE)
NOT_PAGES = (".css", ".js", ".gif", ".png", ".jpg", ".jpeg", ".ico", ".svg", ".pdf", ".zip", ".xls", ".doc")
RECORD_PARAMS = {"criteres.prjId": "project", "idCollectivite": "collectivity"}


@lru_cache(maxsize=32768)
def canonical(url: str) -> str:
    """No ``;jsessionid``, no fragment, no tracking or sorting parameters, no
    ``d-N-p=1``, parameters sorted; a project page (not one of its table pages)
    keeps only its id. Cached, as the atlas spider caches its own: the menus and
    partners are linked from thousands of pages."""
    parts = urlsplit(JSESSIONID.sub("", url))
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not DROPPED.match(k) and not (PAGE_PARAM.match(k) and v in ("", "1"))
    ]
    keys = {k for k, _ in params}
    if "criteres.prjId" in keys and not any(PAGE_PARAM.match(k) for k in keys):
        params = [(k, v) for k, v in params if k == "criteres.prjId"]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, urlencode(sorted(params), safe="."), ""))


class PlainSpider(scrapy.Spider):
    name = "plain"

    def __init__(self, base: str, home: str = "accesAtlas.html", skip: str = "rechercheAtlas.html", **kwargs: Any):
        super().__init__(**kwargs)
        self.base = base if base.endswith("/") else base + "/"
        self.prefix = urlsplit(self.base)
        self.home = self.base + home
        #: Page names left out: the replica's robots.txt disallows them, so ``atlas`` never fetches them.
        self.skip = set(filter(None, skip.split(",")))

    async def start(self) -> Any:
        yield scrapy.Request(self.home)

    def in_atlas(self, url: str) -> bool:
        parts = urlsplit(url)
        name = parts.path.rsplit("/", 1)[-1]
        return (
            parts.netloc == self.prefix.netloc
            and parts.path.startswith(self.prefix.path)
            and name not in self.skip
            and not name.lower().endswith(NOT_PAGES)
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        for href in response.xpath("//a/@href").getall():
            if href.startswith(("javascript:", "mailto:", "#")):
                continue
            url = canonical(response.urljoin(href))
            if self.in_atlas(url):
                yield scrapy.Request(url)
        query = dict(parse_qsl(urlsplit(response.url).query))
        kind = next((k for p, k in RECORD_PARAMS.items() if p in query), None)
        if kind is not None and not any(PAGE_PARAM.match(k) for k in query):
            yield {
                "type": kind,
                "id": query["criteres.prjId" if kind == "project" else "idCollectivite"],
                "url": response.url,
                "title": response.xpath("normalize-space(//title)").get() or None,
                "headings": [h for h in response.xpath("//h2").xpath("normalize-space()").getall() if h],
            }
