"""Never off the atlas: the scope rule, the request check, every redirect hop."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from atlas_crawler import signals
from atlas_crawler.crawl.scope import (
    MAX_WARNINGS,
    OffAtlas,
    ScopedMetaRefreshMiddleware,
    ScopedRedirectMiddleware,
    ScopeMiddleware,
)
from atlas_crawler.spiders.atlas import AtlasSpider
from atlas_crawler.urls import in_scope

BASE = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"
HOST = "https://pastel.diplomatie.gouv.fr"
PAGE = BASE + "detailProjet.html?criteres.prjId=1"


@pytest.mark.parametrize(
    "url",
    [
        PAGE,
        BASE + "detailProjet.html;jsessionid=AB12?criteres.prjId=1",
        BASE + "listeProjetsPays.html?codePays=ML&d-4012-p=2",
        BASE.rstrip("/"),
        BASE + "a/../listePays.html",  # resolves under the base
        BASE + "%2e/listePays.html",
        "HTTPS://PASTEL.diplomatie.gouv.fr:443/cncdext/dyn/public/atlas/listePays.html",
        "https://pastel.diplomatie.gouv.fr./cncdext/dyn/public/atlas/listePays.html",  # the root of DNS
        BASE + "%2E%2E/atlas/listePays.html",  # leaves and comes back
        " " + PAGE + "\n",
    ],
)
def test_addresses_on_the_atlas(url: str) -> None:
    assert in_scope(url, BASE)


@pytest.mark.parametrize(
    "url",
    [
        BASE + "../admin/",
        BASE + "%2e%2e/%2e%2e/admin/x.html",
        BASE + "%2E%2E/%2E%2E/admin/x.html",
        BASE + "..%2f..%2fadmin%2fx.html",
        BASE + "%2e%2e%2f%2e%2e%2fadmin",
        BASE + "%252e%252e/%252e%252e/admin/",  # decoded twice by some server
        BASE + "%25252525252e%25252525252e/x",  # still encoded after every round: refused
        BASE + ".%2e/.%2e/admin/",
        BASE + "..;jsessionid=1/..;x/admin/",  # Tomcat reads "..;x" as ".."
        BASE + "..\\..\\admin\\x.html",
        BASE + "%5c..%5c..%5cadmin",
        HOST + "/cncdext/dyn/public/atlasbis/x.html",  # a prefix of a segment is not the path
        HOST + "/cncdext//dyn/public/atlas/x.html",
        HOST + "/robots.txt",  # not a page: the middleware's own exception
        "http://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/x.html",  # another scheme
        "https://pastel.diplomatie.gouv.fr:8443/cncdext/dyn/public/atlas/x.html",  # another port
        "https://evil.example/cncdext/dyn/public/atlas/x.html",
        "https://pastel.diplomatie.gouv.fr.evil.example/cncdext/dyn/public/atlas/x.html",
        "https://user:pw@pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/x.html",
        "https://pastel.diplomatie.gouv.fr\\@evil.example/cncdext/dyn/public/atlas/x.html",
        "https://evil.example\\@pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/x.html",
        "https://pastel.diplomatie.gouv.fr:99999/cncdext/dyn/public/atlas/x.html",
        "http://169.254.169.254/latest/meta-data/",
        "ftp://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/x.html",
        "javascript:alert(1)",
        "",
    ],
)
def test_addresses_off_the_atlas(url: str) -> None:
    assert not in_scope(url, BASE)


# --- the middlewares, through a crawler ------------------------------------------------


class _Spider(Spider):
    name = "not-the-atlas-walk"


@pytest.fixture
def crawler():
    crawler = get_crawler(AtlasSpider, {"ATLAS_BASE_URL": BASE, "REDIRECT_MAX_TIMES": 5})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    crawler.warnings = []

    def warned(message: str) -> None:
        crawler.warnings.append(message)

    crawler.signals.connect(warned, signal=signals.crawl_warning, weak=False)
    return crawler


def test_requests_off_the_atlas_are_dropped_and_reported(crawler) -> None:
    middleware = ScopeMiddleware.from_crawler(crawler)
    assert middleware.process_request(Request(PAGE)) is None
    assert middleware.process_request(Request(HOST + "/robots.txt")) is None
    assert middleware.process_request(Request("https://PASTEL.diplomatie.gouv.fr:443/robots.txt")) is None
    for url in (BASE + "%2e%2e/%2e%2e/admin/", "https://evil.example/robots.txt", HOST + "/robots.txt?x=1"):
        with pytest.raises(OffAtlas):
            middleware.process_request(Request(url))
    assert crawler.stats.get_value("atlas/offsite_dropped") == 3
    assert crawler.warnings[0] == f"request off the atlas dropped: {BASE}%2e%2e/%2e%2e/admin/"


def test_warnings_are_capped_the_stat_is_not(crawler) -> None:
    middleware = ScopeMiddleware.from_crawler(crawler)
    for i in range(MAX_WARNINGS + 10):
        with pytest.raises(OffAtlas):
            middleware.process_request(Request(f"https://evil.example/{i}"))
    assert crawler.stats.get_value("atlas/offsite_dropped") == MAX_WARNINGS + 10
    assert len(crawler.warnings) == MAX_WARNINGS + 1
    assert "more than" in crawler.warnings[-1]


def _redirect(location: str, status: int = 302) -> Response:
    return Response(PAGE, status=status, headers={"Location": location})


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:9/canary",
        "http://169.254.169.254/latest/meta-data/",
        "//evil.example/cncdext/dyn/public/atlas/x.html",
        "/cncdext/dyn/admin/",
        "%2e%2e/%2e%2e/admin/",
        "http://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/x.html",  # a downgrade to http
    ],
)
def test_a_redirect_off_the_atlas_is_not_followed(crawler, location: str) -> None:
    middleware = ScopedRedirectMiddleware.from_crawler(crawler)
    with pytest.raises(OffAtlas, match="redirect off the atlas not followed"):
        middleware.process_response(Request(PAGE), _redirect(location))
    assert crawler.stats.get_value("atlas/offsite_dropped") == 1
    assert crawler.warnings and PAGE in crawler.warnings[0]


def test_every_hop_is_checked(crawler) -> None:
    """A first hop on the atlas is followed; its own redirect off the atlas is not."""
    middleware = ScopedRedirectMiddleware.from_crawler(crawler)
    hop = middleware.process_response(Request(PAGE), _redirect(BASE + "listePays.html", 301))
    assert isinstance(hop, Request) and hop.url == BASE + "listePays.html"
    with pytest.raises(OffAtlas):
        middleware.process_response(hop, Response(hop.url, status=307, headers={"Location": "https://evil.example/"}))


def test_a_redirect_to_another_spelling_of_the_same_page_is_not_filtered_as_a_duplicate(crawler) -> None:
    from atlas_crawler.crawl.fingerprint import CanonicalRequestFingerprinter  # noqa: PLC0415 - the project's own

    crawler.request_fingerprinter = CanonicalRequestFingerprinter.from_crawler(crawler)
    middleware = ScopedRedirectMiddleware.from_crawler(crawler)
    same = BASE + "detailProjet.html;jsessionid=AB12?criteres.prjId=1"
    hop = middleware.process_response(Request(PAGE), _redirect(same))
    assert isinstance(hop, Request) and hop.dont_filter
    other = middleware.process_response(Request(PAGE), _redirect(BASE + "listePays.html"))
    assert isinstance(other, Request) and other.dont_filter  # a record's address ends in an answer of its own
    menu = BASE + "accesAtlas.html"
    moved = middleware.process_response(
        Request(menu), HtmlResponse(menu, status=302, headers={"Location": "listePays.html"})
    )
    assert isinstance(moved, Request) and not moved.dont_filter  # a menu's hop to a page seen: filtered


def test_a_meta_refresh_off_the_atlas_is_not_followed(crawler) -> None:
    middleware = ScopedMetaRefreshMiddleware.from_crawler(crawler)
    body = b'<html><head><meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/canary"></head></html>'
    with pytest.raises(OffAtlas):
        middleware.process_response(Request(PAGE), HtmlResponse(PAGE, body=body))
    body = b'<html><head><meta http-equiv="refresh" content="0;url=listePays.html"></head></html>'
    hop = middleware.process_response(Request(PAGE), HtmlResponse(PAGE, body=body))
    assert isinstance(hop, Request) and hop.url == BASE + "listePays.html"


def test_only_the_atlas_walk_is_scoped() -> None:
    """``scrapy shell URL`` runs Scrapy's default spider: it fetches what its user typed."""
    crawler = get_crawler(_Spider, {"ATLAS_BASE_URL": BASE})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    assert ScopeMiddleware.from_crawler(crawler).process_request(Request("http://elsewhere.example/")) is None
