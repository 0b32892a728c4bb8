"""A page is a page only when whole: broken answers are retried, then failed by URL."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from atlas_crawler.crawl import wholepage
from atlas_crawler.crawl.wholepage import BrokenPage, WholePageMiddleware, broken_reason
from atlas_crawler.pages.registry import incomplete_reason

URL = "https://atlas.test/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId=1"
PAGE = b"<!DOCTYPE html>\n<html><head><title>Projet</title></head><body><p>Titre</p></body></html>"


def html(body: bytes, **headers: str) -> HtmlResponse:
    return HtmlResponse(URL, body=body, headers={"Content-Type": "text/html;charset=UTF-8", **headers})


@pytest.mark.parametrize(
    "response",
    [
        html(PAGE),
        html(PAGE + b"\n\n"),
        html(PAGE.replace(b"</html>", b"</HTML >") + b"\r\n"),
        html(PAGE + b"\n<!-- served by node 3 -->\n<!-- 12 ms -->\n"),
        html(PAGE, **{"Content-Length": str(len(PAGE))}),
        html(b"<p>a fragment, no document</p>"),
        TextResponse(URL, body=b'{"json": true}', headers={"Content-Type": "application/json"}),
    ],
)
def test_whole_pages_pass(response: Response) -> None:
    assert broken_reason(response) is None


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (html(b""), "empty body"),
        (html(b"  \r\n "), "empty body"),
        (html(PAGE[:50], **{"Content-Length": str(len(PAGE))}), "body shorter than its Content-Length"),
        (HtmlResponse(URL, body=PAGE, flags=["dataloss"]), "body shorter than its Content-Length"),
        (html(PAGE[:-20]), "cut off (no closing </html>)"),
        (html(PAGE + b"<!-- an unclosed comment"), "cut off (no closing </html>)"),
        (Response(URL, body=PAGE[:-10]), "cut off (no closing </html>)"),  # no Content-Type: sniffed
    ],
)
def test_broken_answers(response: Response, reason: str) -> None:
    assert (broken_reason(response) or "").startswith(reason)


class _Spider(Spider):
    name = "wholepage-test"


@pytest.fixture
def crawler(monkeypatch: pytest.MonkeyPatch):
    """A crawler; the middleware built from it checks only what any HTML page must
    be (the page types' own check is tested apart)."""
    monkeypatch.setattr(wholepage, "incomplete_reason", lambda response: None)
    crawler = get_crawler(_Spider, {"RETRY_TIMES": 2})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    return crawler


def test_a_broken_page_is_retried_then_fails(crawler) -> None:
    middleware = WholePageMiddleware.from_crawler(crawler)
    request = Request(URL)
    cut = html(PAGE[:-20])
    for _ in range(2):
        retry = middleware.process_response(request, cut)
        assert isinstance(retry, Request) and retry.url == URL
        request = retry
    with pytest.raises(BrokenPage, match="broken page: cut off"):
        middleware.process_response(request, cut)
    stats = crawler.stats
    assert stats.get_value("atlas/broken_answers") == 3
    assert stats.get_value("atlas/broken_pages") == 1
    assert stats.get_value("retry/count") == 2


def test_whole_pages_robots_txt_and_other_statuses_pass(crawler) -> None:
    middleware = WholePageMiddleware.from_crawler(crawler)
    whole = html(PAGE)
    assert middleware.process_response(Request(URL), whole) is whole
    robots = TextResponse("https://atlas.test/robots.txt", body=b"")
    assert middleware.process_response(Request("https://atlas.test/robots.txt"), robots) is robots
    error = HtmlResponse(URL, status=500, body=b"")
    assert middleware.process_response(Request(URL), error) is error
    assert crawler.stats.get_value("atlas/broken_answers") is None


def test_short_bodies_caught_by_the_http_handler_are_counted(crawler) -> None:
    middleware = WholePageMiddleware.from_crawler(crawler)
    assert middleware.process_exception(Request(URL), ResponseDataLossError("short")) is None
    assert crawler.stats.get_value("atlas/broken_answers/data loss") == 1


def test_the_page_types_say_what_is_missing(crawler) -> None:
    middleware = WholePageMiddleware.from_crawler(crawler)
    middleware.page_check = lambda response: "cut short: a project page without Titre"
    retry = middleware.process_response(Request(URL), html(PAGE))
    assert isinstance(retry, Request)
    assert crawler.stats.get_value("atlas/broken_answers/cut short: a project page without Titre") == 1


def test_the_page_types_check_is_the_registrys() -> None:
    crawler = get_crawler(_Spider)
    assert WholePageMiddleware.from_crawler(crawler).page_check is incomplete_reason
