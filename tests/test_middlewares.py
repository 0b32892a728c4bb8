"""Soft errors are retried then failed; Retry-After is honoured; the User-Agent names a contact."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from atlas_crawler.crawl.politeness import ContactUserAgentMiddleware, RetryAfterMiddleware, retry_after_seconds
from atlas_crawler.crawl.softerrors import SoftError, SoftErrorMiddleware
from tests.saved import project_crawler

URL = "https://atlas.test/cncdext/dyn/public/atlas/detailProjet.html?criteres.prjId=1"


def _crawler(**settings):
    return project_crawler(**settings)


@pytest.mark.parametrize(
    "body",
    [
        "<html><body><h1>Erreur technique</h1><p>Une erreur est survenue.</p></body></html>",
        "<html><head><title>Maintenance</title></head><body><p>Site en maintenance</p></body></html>",
    ],
)
def test_soft_errors_are_retried_then_fail(body: str) -> None:
    crawler = _crawler(RETRY_TIMES=2)
    mw = SoftErrorMiddleware.from_crawler(crawler)
    request = Request(URL)
    response = HtmlResponse(URL, body=body.encode(), encoding="utf-8", request=request)
    for attempt in range(2):
        retry = mw.process_response(request, response)
        assert isinstance(retry, Request), attempt
        request = retry
    with pytest.raises(SoftError, match="soft error"):
        mw.process_response(request, response)
    assert crawler.stats.get_value("atlas/soft_errors") == 3


def test_real_pages_pass_through() -> None:
    mw = SoftErrorMiddleware.from_crawler(_crawler())
    response = HtmlResponse(URL, body=b"<html><body><h1>Atlas</h1><label>Titre</label></body></html>", encoding="utf-8")
    assert mw.process_response(Request(URL), response) is response


def test_retry_after_values() -> None:
    def reply(value: str) -> HtmlResponse:
        return HtmlResponse(URL, status=503, headers={"Retry-After": value}, body=b"")

    assert retry_after_seconds(reply("7")) == 7
    assert retry_after_seconds(reply("Wed, 21 Oct 2015 07:28:00 GMT")) == 0
    assert retry_after_seconds(reply("bientôt")) is None
    assert retry_after_seconds(HtmlResponse(URL, status=503, body=b"")) is None


def test_retry_after_is_waited_for_then_retried() -> None:
    crawler = _crawler()
    mw = RetryAfterMiddleware.from_crawler(crawler)
    response = HtmlResponse(URL, status=503, headers={"Retry-After": "3600"}, body=b"")
    retried = asyncio.run(mw.process_response(Request(URL), response))
    assert isinstance(retried, Request)
    assert crawler.stats.get_value("atlas/retry_after_waits") == 1


def test_user_agent_carries_the_contact() -> None:
    crawler = _crawler(ATLAS_CONTACT="data@example.org")
    mw = ContactUserAgentMiddleware.from_crawler(crawler)
    assert mw.user_agent.startswith("atlas-crawler/")
    assert "data@example.org" in mw.user_agent
