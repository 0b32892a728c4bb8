"""Soft errors: a 200 page that says it failed (``Erreur technique``, maintenance)
is retried like a 500, then failed, never parsed."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from atlas_crawler import stats
from atlas_crawler.pages.common import soft_error


class SoftError(IgnoreRequest):
    """A page that answered 200 with an error (``Erreur technique``, maintenance)."""


class SoftErrorMiddleware:
    """A 200 page whose heading says ``Erreur technique`` (or maintenance) is a
    failed fetch: retried like a 500, then failed with ``SoftError``, never parsed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SoftErrorMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status != 200:
            return response
        reason = soft_error(response)
        if reason is None:
            return response
        self.crawler.stats.inc_value(stats.SOFT_ERRORS)
        retry = get_retry_request(request, spider=self.crawler.spider, reason=reason)
        if retry is not None:
            return retry
        raise SoftError(reason)
