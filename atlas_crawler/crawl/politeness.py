"""Politeness the operator can check: the site can reach whoever crawls it (the
contact in the User-Agent), is waited for when it asks (``Retry-After``), and never
sees two requests closer together than ``DOWNLOAD_DELAY``."""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import re
import time
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.settings import BaseSettings

from atlas_crawler import signals as atlas_signals
from atlas_crawler import stats

logger = logging.getLogger(__name__)

#: An e-mail address or a web address: something the site's operators can write to.
_CONTACT = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+|https?://\S+")


class ContactCheck:
    """Extension: a warning at start when ``ATLAS_CONTACT`` names no contact (the
    default is a reminder, not an address). Against the live site (any host but
    a loopback one) the warning also goes into the run report."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactCheck:
        return cls(crawler)

    def spider_opened(self) -> None:
        contact = (self.crawler.settings.get("ATLAS_CONTACT") or "").strip()
        if has_contact(contact):
            return
        message = (
            f"ATLAS_CONTACT is not set ({contact!r}): the User-Agent gives the atlas no way to reach you; "
            'run with -s ATLAS_CONTACT="you@example.org"'
        )
        if _is_loopback(self.crawler.settings.get("ATLAS_BASE_URL") or ""):
            logger.warning(message)
        else:
            self.crawler.signals.send_catch_log(atlas_signals.crawl_warning, message=message)


def has_contact(contact: str) -> bool:
    return bool(_CONTACT.search(contact))


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DelayFloor:
    """Extension: no two requests to the site closer than ``DOWNLOAD_DELAY``, as
    the site sees them.

    Scrapy spaces the moments its downloader *takes* requests from a slot's queue;
    a request is put on the wire a little later, once the event loop has finished
    what it was doing (parsing a page: a few milliseconds, more on a busy machine).
    One request sent late and the next on time arrive closer than the delay
    (measured: 5 ms short of 0.3 s). So the slots wait ``ATLAS_DELAY_MARGIN`` (a
    share of ``DOWNLOAD_DELAY``, default 10 %) longer: AutoThrottle's floor is
    raised, and every slot's delay is lifted to it when a request reaches it.
    The jitter must stay off (``DOWNLOAD_DELAY_JITTER = 0``): it would draw delays
    below the floor; a warning says so."""

    def __init__(self, crawler: Crawler) -> None:
        delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        if delay <= 0:
            raise NotConfigured  # no DOWNLOAD_DELAY: nothing to keep (no warning: a chosen setting)
        self.crawler = crawler
        self.floor = delay * (1 + crawler.settings.getfloat("ATLAS_DELAY_MARGIN"))
        if crawler.settings.getfloat("DOWNLOAD_DELAY_JITTER") > 0:
            logger.warning("DOWNLOAD_DELAY_JITTER > 0: some requests will be closer than DOWNLOAD_DELAY")
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.request_reached_downloader, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DelayFloor:
        return cls(crawler)

    def engine_started(self) -> None:
        throttle = self.crawler.get_extension(AutoThrottle)
        if throttle is not None:  # set at spider_opened, which comes first
            throttle.mindelay = max(throttle.mindelay, self.floor)

    def request_reached_downloader(self, request: Request) -> None:
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(request.meta.get("download_slot", "")) if engine else None
        if slot is not None and slot.delay < self.floor:
            slot.delay = self.floor


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
        agent = crawler.settings.get("USER_AGENT")
        return cls(agent.replace("{contact}", crawler.settings.get("ATLAS_CONTACT")))
