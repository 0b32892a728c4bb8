"""Politeness the operator can check: the site can reach whoever crawls it (the
contact in the User-Agent), is waited for when it asks (``Retry-After``, however
long up to ``ATLAS_RETRY_AFTER_MAX``), and never sees two requests closer together
than ``DOWNLOAD_DELAY`` or robots.txt's ``Crawl-delay``, whichever is longer."""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import ipaddress
import logging
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached

from atlas_crawler import signals as atlas_signals
from atlas_crawler import stats

logger = logging.getLogger(__name__)

#: An e-mail address or a web address: something the site's operators can write to.
_CONTACT = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+|https?://\S+")
#: How often a request waiting for a Retry-After looks whether the crawl is stopping, seconds.
_WAIT_STEP = 0.5


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
    """Extension: no two requests to the site closer than the larger of
    ``DOWNLOAD_DELAY`` and robots.txt's ``Crawl-delay``, as the site sees them.

    Scrapy spaces the moments its downloader *takes* requests from a slot's queue;
    a request is put on the wire a little later, once the event loop has finished
    what it was doing (parsing a page: a few milliseconds, more on a busy machine).
    One request sent late and the next on time arrive closer than the delay
    (measured: 5 ms short of 0.3 s). So the slots wait ``ATLAS_DELAY_MARGIN`` (a
    share of the delay, default 10 %) longer: AutoThrottle's floor is raised, and
    every slot's delay is lifted to it when a request reaches it.
    The jitter must stay off (``DOWNLOAD_DELAY_JITTER = 0``): it would draw delays
    below the floor; a warning says so.

    Scrapy reads robots.txt's rules but never its ``Crawl-delay``: it is read here
    when robots.txt is parsed (``robots_parsed``, sent before any page request
    that waited for the rules goes on), for the group of ``ROBOTSTXT_USER_AGENT``
    (else ``USER_AGENT``; Protego falls back to ``*``), and honoured up to
    ``ATLAS_CRAWL_DELAY_MAX``, with a warning in the report when cut."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.download_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.margin = settings.getfloat("ATLAS_DELAY_MARGIN")
        self.max_crawl_delay = settings.getfloat("ATLAS_CRAWL_DELAY_MAX")
        self.agent: str = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.crawl_delays: dict[str, float] = {}  # downloader slot -> the Crawl-delay honoured
        if self.download_delay <= 0 and not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured  # no delay and no robots.txt: nothing to keep (no warning: a chosen setting)
        if settings.getfloat("DOWNLOAD_DELAY_JITTER") > 0:
            logger.warning("DOWNLOAD_DELAY_JITTER > 0: some requests will be closer than DOWNLOAD_DELAY")
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DelayFloor:
        return cls(crawler)

    @property
    def floor(self) -> float:
        """The least delay of any slot, Crawl-delay included."""
        return max([self.download_delay, *self.crawl_delays.values()]) * (1 + self.margin)

    def floor_for(self, slot_key: str) -> float:
        return max(self.download_delay, self.crawl_delays.get(slot_key, 0.0)) * (1 + self.margin)

    def engine_started(self) -> None:
        self._raise_throttle()

    def _raise_throttle(self) -> None:
        """AutoThrottle keeps each delay between its ``mindelay`` and ``maxdelay`` after
        every answer (``maxdelay`` wins a conflict), so both go up to the floor."""
        throttle = self.crawler.get_extension(AutoThrottle)
        if throttle is not None and hasattr(throttle, "mindelay"):  # set at spider_opened, which comes first
            throttle.mindelay = max(throttle.mindelay, self.floor)
            throttle.maxdelay = max(throttle.maxdelay, self.floor)

    def request_reached_downloader(self, request: Request) -> None:
        engine = self.crawler.engine
        key = request.meta.get("download_slot", "")
        slot = engine.downloader.slots.get(key) if engine else None
        floor = self.floor_for(key)
        if slot is not None and slot.delay < floor:
            slot.delay = floor

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        asked = crawl_delay(robotparser, self.agent)
        engine = self.crawler.engine
        if asked is None or engine is None:
            return
        key = engine.downloader.get_slot_key(request)
        honoured = min(asked, self.max_crawl_delay)
        self.crawl_delays[key] = honoured
        if asked > self.max_crawl_delay:
            message = (
                f"robots.txt asks for Crawl-delay: {_seconds(asked)} s, more than ATLAS_CRAWL_DELAY_MAX "
                f"({_seconds(self.max_crawl_delay)} s): {_seconds(honoured)} s between requests, faster than "
                "the atlas asks; ask its operators, or raise ATLAS_CRAWL_DELAY_MAX"
            )
            logger.warning(message)
            self.crawler.signals.send_catch_log(atlas_signals.crawl_warning, message=message)
        elif asked > self.download_delay:
            logger.info(
                "robots.txt asks for Crawl-delay: %s s: at least %s s between requests",
                _seconds(asked),
                _seconds(asked),
            )
        else:
            logger.info(
                "robots.txt asks for Crawl-delay: %s s: DOWNLOAD_DELAY (%s s) is longer and stays",
                _seconds(asked),
                _seconds(self.download_delay),
            )
        self._raise_throttle()
        slot = engine.downloader.slots.get(key)
        if slot is not None and slot.delay < self.floor_for(key):
            slot.delay = self.floor_for(key)


def crawl_delay(robotparser: RobotParser, agent: str) -> float | None:
    """robots.txt's ``Crawl-delay`` for ``agent`` (its own group, else ``*``), or None.
    Scrapy's ``RobotParser`` interface has no such method; its parsers keep the
    library's parser as ``rp``, and Protego's and the standard library's both
    have ``crawl_delay(user_agent)``."""
    read = getattr(getattr(robotparser, "rp", None), "crawl_delay", None)
    value = read(agent) if read is not None else None
    try:
        return None if value is None else max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _seconds(value: float) -> str:
    """``5``, ``0.5``, ``3600``: seconds as robots.txt and Retry-After write them."""
    return f"{round(value, 1):g}"


@dataclass
class Pause:
    """The atlas asked (``Retry-After``) that nothing reach it before ``until``
    (``time.monotonic``); ``until_utc`` is the same moment on the wall clock, for people."""

    until: float
    until_utc: datetime.datetime
    asked: float
    url: str

    def left(self) -> float:
        return max(0.0, self.until - time.monotonic())

    def describe(self) -> str:
        return (
            f"the atlas asks to wait {_seconds(self.asked)} s (Retry-After) on {self.url}: "
            f"waiting until {self.until_utc:%H:%M:%S} UTC"
        )


class RetryAfterTooLongError(Exception):
    """A 429/503 asks for a longer wait than ``ATLAS_RETRY_AFTER_MAX``: the page fails."""


class StoppedWhileWaiting(IgnoreRequest):
    """robots.txt was waiting for a ``Retry-After`` when the crawl stopped."""


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retry, but a 429/503 with ``Retry-After`` pauses the atlas: no
    request reaches its host (the retry included) before that moment, so the
    other request in flight waits too. An ask up to ``ATLAS_RETRY_AFTER_MAX`` is
    honoured however long (the site's maintenance hour); a longer one fails its
    page with a reason that says so.

    The wait is taken in ``process_request``, before the downloader's slot: the
    request is in ``Downloader.active`` the whole time, so the engine is never
    idle and nothing ends the run meanwhile. A stop (SIGTERM) or a closing spider
    ends the wait within ``_WAIT_STEP``: the request goes back to the scheduler
    (kept by a ``JOBDIR`` job), as ``RequeueOnStop`` does for a cancelled one."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("ATLAS_RETRY_AFTER_MAX")
        self.pauses: dict[str, Pause] = {}  # host:port -> the pause the atlas asked for

    async def process_request(self, request: Request) -> Request | None:
        key = urlparse_cached(request).netloc
        while (pause := self.pauses.get(key)) is not None and pause.left() > 0:
            if self._stopping():
                return self._requeue(request)
            await asyncio.sleep(min(_WAIT_STEP, pause.left()))
        return None

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        wait = retry_after_seconds(response) if response.status in (429, 503) else None
        if wait and not request.meta.get("dont_retry", False):
            if wait > self.max_wait:
                raise RetryAfterTooLongError(
                    f"HTTP {response.status}: the atlas asks to wait {_seconds(wait)} s (Retry-After) on "
                    f"{request.url}, longer than ATLAS_RETRY_AFTER_MAX ({_seconds(self.max_wait)} s); "
                    "crawl again later, or raise ATLAS_RETRY_AFTER_MAX"
                )
            self.pause(request.url, wait)
        return super().process_response(request, response)

    def pause(self, url: str, wait: float) -> Pause:
        """Nothing reaches ``url``'s host for ``wait`` seconds (a longer pause already
        asked for stays)."""
        key = urlsplit(url).netloc
        pause = Pause(
            until=time.monotonic() + wait,
            until_utc=datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=wait),
            asked=wait,
            url=url,
        )
        current = self.pauses.get(key)
        if current is None or current.until < pause.until:
            self.pauses[key] = pause
        self.crawler.stats.inc_value(stats.RETRY_AFTER_WAITS)
        logger.info(pause.describe())
        return pause

    def waiting(self) -> Pause | None:
        """The pause still running that ends last, if any (for the progress line)."""
        running = [pause for pause in self.pauses.values() if pause.left() > 0]
        return max(running, key=lambda pause: pause.until, default=None)

    def _stopping(self) -> bool:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)  # the engine's own: no public "closing"
        return engine is None or not engine.running or slot is None or slot.closing is not None

    def _requeue(self, request: Request) -> Request:
        if request.meta.get("dont_obey_robotstxt"):  # robots.txt is fetched outside the scheduler
            raise StoppedWhileWaiting("the crawl stopped while waiting for a Retry-After")
        logger.info("stopping: %s was waiting for a Retry-After; back to the scheduler", request.url)
        self.crawler.stats.inc_value(stats.STOP_REQUEUED)
        return request.replace(dont_filter=True)


def retry_after_seconds(response: Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date). An HTTP
    date counts from the answer's own ``Date`` when it has one, so a local clock
    set wrong does not lengthen or shorten the wait."""
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    when = _http_date(text)
    if when is None:
        return None
    sent = _http_date((response.headers.get(b"Date") or b"").decode("latin-1"))
    now = sent.timestamp() if sent is not None else time.time()
    return max(0.0, when.timestamp() - now)


def _http_date(text: str) -> datetime.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None


def retry_after_pause(crawler: Crawler) -> Pause | None:
    """The Retry-After pause the crawl is in, if any (read by the progress line)."""
    manager = getattr(getattr(crawler.engine, "downloader", None), "middleware", None)
    for middleware in getattr(manager, "middlewares", ()):
        if isinstance(middleware, RetryAfterMiddleware):
            return middleware.waiting()
    return None


class ContactUserAgentMiddleware(UserAgentMiddleware):
    """``USER_AGENT`` with ``{contact}`` filled from ``ATLAS_CONTACT``."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        agent = crawler.settings.get("USER_AGENT")
        return cls(agent.replace("{contact}", crawler.settings.get("ATLAS_CONTACT")))
