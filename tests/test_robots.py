"""robots.txt rules hold for every spelling of an address, and a page they forbid is
dropped with the rule in words; an unreadable robots.txt stops everything."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

from atlas_crawler.crawl.drops import Dropped
from atlas_crawler.crawl.robots import AtlasRobotsTxtMiddleware, RobotsUnavailable, forbidding_rule

BASE = "https://atlas.test/cncdext/dyn/public/atlas/"
ROBOTS = b"User-agent: *\nDisallow: /cncdext/dyn/public/atlas/rechercheAtlas.html\nDisallow: /cncdext/dyn/admin/\n"


class _Spider(Spider):
    name = "robots-test"


@pytest.fixture
def middleware() -> AtlasRobotsTxtMiddleware:
    crawler = get_crawler(_Spider, {"ROBOTSTXT_OBEY": True, "ATLAS_BASE_URL": BASE})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    middleware = AtlasRobotsTxtMiddleware.from_crawler(crawler)
    middleware.texts["atlas.test"] = ROBOTS.decode()  # as _parse_robots keeps it
    return middleware


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
    with pytest.raises(Dropped) as dropped:
        middleware.process_request_2(parser, Request(url))
    rule = "forbidden by robots.txt (User-agent: *, Disallow: /cncdext/dyn/public/atlas/rechercheAtlas.html)"
    assert dropped.value.rule == str(dropped.value) == rule
    assert isinstance(dropped.value, IgnoreRequest)  # Scrapy's own handling of a dropped request
    assert middleware.crawler.stats.get_value("robotstxt/forbidden") == 1  # Scrapy's stat, kept


def test_allowed_pages_pass(middleware) -> None:
    parser = ProtegoRobotParser(ROBOTS, None)
    assert middleware.process_request_2(parser, Request(BASE + "listePays.html")) is None
    assert middleware.process_request_2(parser, Request(BASE + "x/../listePays.html")) is None


def test_nothing_passes_once_robots_txt_is_unavailable(middleware) -> None:
    middleware.unavailable["atlas.test"] = "robots.txt answered 503: the atlas asks crawlers to wait; try again later"
    with pytest.raises(RobotsUnavailable, match="answered 503"):
        middleware.process_request_2(None, Request(BASE + "listePays.html"))


ATLAS_TXT = """# the atlas
User-agent: *
Disallow: /cncdext/dyn/admin/
Disallow: /cncdext/dyn/public/atlas/detailCollectivite
Disallow: /cncdext/dyn/public/atlas/detailCollectiviteEtrangere.html
Allow: /cncdext/dyn/public/atlas/detailCollectiviteFrancaise.html
Crawl-delay: 5

User-agent: otherbot
User-agent: atlas-crawler
Disallow: /*.pdf$
Disallow: /cncdext/dyn/public/atlas/rechercheAtlas

Sitemap: https://atlas.test/sitemap.xml
User-agent: *
Disallow: /cncdext/dyn/public/atlas/carteMonde.html
"""
FOREIGN = BASE + "detailCollectiviteEtrangere.html?idCollectivite=7"


@pytest.mark.parametrize(
    ("url", "agent", "rule"),
    [
        # The most specific Disallow of the group, as RFC 9309 picks it.
        (FOREIGN, "somebot/1.0", "User-agent: *, Disallow: /cncdext/dyn/public/atlas/detailCollectiviteEtrangere.html"),
        # A later group of the same agent adds to it (Protego merges them too).
        (BASE + "carteMonde.html", "somebot", "User-agent: *, Disallow: /cncdext/dyn/public/atlas/carteMonde.html"),
        # Our own group, found as a token of the full User-Agent, wins over *.
        (
            BASE + "x/report.pdf",
            "atlas-crawler/1.0 (contact: me@example.org)",
            "User-agent: atlas-crawler, Disallow: /*.pdf$",
        ),
        (
            BASE + "rechercheAtlas.html",
            "atlas-crawler/1.0 (contact: me@example.org)",
            "User-agent: atlas-crawler, Disallow: /cncdext/dyn/public/atlas/rechercheAtlas",
        ),
    ],
)
def test_the_rule_that_forbids_a_page_in_words(url: str, agent: str, rule: str) -> None:
    assert not ProtegoRobotParser(ATLAS_TXT.encode(), None).allowed(url, agent)  # Protego agrees it is forbidden
    assert forbidding_rule(ATLAS_TXT, url, agent) == f"forbidden by robots.txt ({rule})"


def test_no_rule_found_still_says_robots_txt() -> None:
    assert forbidding_rule("", FOREIGN, "somebot") == "forbidden by robots.txt"
    assert forbidding_rule("User-agent: otherbot\nDisallow: /\n", FOREIGN, "somebot") == "forbidden by robots.txt"


def test_the_project_user_agent_is_matched_as_scrapy_matches_it(middleware) -> None:
    """The rule is looked up for the same User-Agent Scrapy's check used (USER_AGENT
    before the User-Agent middleware has set the header)."""
    middleware.texts["atlas.test"] = ATLAS_TXT
    parser = ProtegoRobotParser(ATLAS_TXT.encode(), None)
    middleware._default_useragent = "atlas-crawler/1.0 (research crawler; contact: {contact})"
    with pytest.raises(
        Dropped, match=r"User-agent: atlas-crawler, Disallow: /cncdext/dyn/public/atlas/rechercheAtlas\)"
    ):
        middleware.process_request_2(parser, Request(BASE + "rechercheAtlas.html"))
    assert middleware.process_request_2(parser, Request(FOREIGN)) is None  # * rules are not ours
