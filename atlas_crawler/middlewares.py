"""Downloader middlewares: soft errors become retried failures; Retry-After is
honoured; the User-Agent carries the contact address."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

from atlas_crawler import stats
from atlas_crawler.pages.common import soft_error

logger = logging.getLogger(__name__)


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


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retry, but a 429/503 with ``Retry-After`` waits that long
    (capped by ``ATLAS_RETRY_AFTER_MAX``) before its retry is scheduled."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("ATLAS_RETRY_AFTER_MAX")

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        wait = retry_after_seconds(response) if response.status in (429, 503) else None
        if wait and not request.meta.get("dont_retry", False):
            wait = min(wait, self.max_wait)
            self.crawler.stats.inc_value(stats.RETRY_AFTER_WAITS)
            logger.info("%s asked to wait %.1fs (Retry-After) before %s", response.status, wait, request.url)
            await asyncio.sleep(wait)
        return super().process_response(request, response)


def retry_after_seconds(response: Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """``USER_AGENT`` with ``{contact}`` filled from ``ATLAS_CONTACT``."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        agent = crawler.settings.get("USER_AGENT", "")
        return cls(agent.replace("{contact}", crawler.settings.get("ATLAS_CONTACT", "")))
