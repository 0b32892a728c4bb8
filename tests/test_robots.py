"""robots.txt rules hold for every spelling of an address; an unreadable robots.txt stops everything."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

from atlas_crawler.crawl.robots import AtlasRobotsTxtMiddleware, RobotsUnavailable

BASE = "https://atlas.test/cncdext/dyn/public/atlas/"
ROBOTS = b"User-agent: *\nDisallow: /cncdext/dyn/public/atlas/rechercheAtlas.html\nDisallow: /cncdext/dyn/admin/\n"


class _Spider(Spider):
    name = "robots-test"


@pytest.fixture
def middleware() -> AtlasRobotsTxtMiddleware:
    crawler = get_crawler(_Spider, {"ROBOTSTXT_OBEY": True, "ATLAS_BASE_URL": BASE})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    return AtlasRobotsTxtMiddleware.from_crawler(crawler)


@pytest.mark.parametrize(
    "url",
    [
        BASE + "rechercheAtlas.html",
        BASE + "x/../rechercheAtlas.html",
        BASE + "%2e/rechercheAtlas.html",
        BASE + "x/%2e%2e/rechercheAtlas.html",
        BASE + "x;jsessionid=1/..;jsessionid=2/rechercheAtlas.html",
    ],
)
def test_every_spelling_of_a_disallowed_page_is_disallowed(middleware, url: str) -> None:
    parser = ProtegoRobotParser(ROBOTS, None)
    with pytest.raises(IgnoreRequest, match=r"Forbidden by robots\.txt"):
        middleware.process_request_2(parser, Request(url))


def test_allowed_pages_pass(middleware) -> None:
    parser = ProtegoRobotParser(ROBOTS, None)
    assert middleware.process_request_2(parser, Request(BASE + "listePays.html")) is None
    assert middleware.process_request_2(parser, Request(BASE + "x/../listePays.html")) is None


def test_nothing_passes_once_robots_txt_is_unavailable(middleware) -> None:
    middleware.unavailable["atlas.test"] = "robots.txt answered 503: the atlas asks crawlers to wait; try again later"
    with pytest.raises(RobotsUnavailable, match="answered 503"):
        middleware.process_request_2(None, Request(BASE + "listePays.html"))
