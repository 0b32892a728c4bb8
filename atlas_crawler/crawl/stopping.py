"""A stop (SIGTERM, Ctrl-C) that ends within seconds, not after ``DOWNLOAD_TIMEOUT``.

Scrapy's graceful shutdown closes the spider with reason ``shutdown`` and waits
for every request already in the downloader: a hung request holds the stop for
``DOWNLOAD_TIMEOUT`` (60 s), longer than a container runtime waits before its
``kill -9``. ``GracefulStop`` gives the requests in flight
``ATLAS_STOP_GRACE_SECONDS`` (default 5) to finish, then cancels what is left:
requests still waiting for their download delay are taken out of the
downloader's queues, open connections are aborted. ``RequeueOnStop`` turns each
cancelled request back into a request for the scheduler (not a failure, not a
retry), so with ``JOBDIR`` it is saved with the queue and fetched on resume. The
finish reason stays ``shutdown``; the report is written as usual.

``engine.running == False`` means a stop only once the engine has run: Scrapy sets
it True after every ``engine_started`` handler has finished, and scrapy-playwright's
(``-a entry=map``) starts the browser driver there, seconds during which False means
"not started yet". So the watch counts from the first request that reaches the
downloader (``request_reached_downloader``): before it, nothing is in flight to
cancel, and it comes as soon as the engine runs, before the watch's next look.

Not covered: a page rendered by the browser (``-a entry=map``) runs in Chromium,
not on these connections; Playwright's own timeout bounds it."""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import AsyncioLoopingCall, CallLaterResult, call_later, create_looping_call
from twisted.internet import tcp
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from atlas_crawler import stats

logger = logging.getLogger(__name__)

#: How often the extension looks whether the engine is stopping, seconds.
_WATCH_INTERVAL = 0.25


class StoppedBeforeSentError(Exception):
    """A request taken out of the downloader's queue by a forced stop."""


class GracefulStop:
    """Extension: after a stop began, cancels what is still in flight once the grace period is over."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.grace = crawler.settings.getfloat("ATLAS_STOP_GRACE_SECONDS")
        if self.grace < 0:
            raise NotConfigured("ATLAS_STOP_GRACE_SECONDS < 0: Scrapy's own shutdown")
        self.forcing = False
        self.started = False  # a request reached the downloader: from then on, running == False is a stop
        self.watch: AsyncioLoopingCall | LoopingCall | None = None
        self.timer: CallLaterResult | None = None
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.request_reached_downloader, signal=signals.request_reached_downloader)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GracefulStop:
        return cls(crawler)

    def engine_started(self) -> None:
        # No signal tells that a shutdown began: Scrapy's signal handler calls
        # engine.stop_async(), whose first act is running = False.
        self.watch = create_looping_call(self.check)
        self.watch.start(_WATCH_INTERVAL, now=False)

    def request_reached_downloader(self) -> None:
        self.started = True

    def check(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.running or not self.started or self.timer is not None:
            return  # running, still starting (the browser driver, for the map), or already stopping
        logger.info("stopping: requests in flight get %.1fs to finish", self.grace)
        self.timer = call_later(self.grace, self.force)

    def force(self) -> None:
        """Cancel every request still in the downloader."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None or not downloader.active:
            return
        self.forcing = True
        logger.warning(
            "stopping: %d request(s) still in flight after %.1fs, cancelled (they are fetched again on resume)",
            len(downloader.active),
            self.grace,
        )
        self.crawler.stats.inc_value(stats.STOP_CANCELLED, len(downloader.active))
        for slot in downloader.slots.values():
            while slot.queue:
                _request, waiting = slot.queue.popleft()
                waiting.errback(Failure(StoppedBeforeSentError("stopped before it was sent")))
        _abort_connections()

    def spider_closed(self) -> None:
        if self.watch is not None and self.watch.running:
            self.watch.stop()
        if self.timer is not None:
            self.timer.cancel()


def _abort_connections() -> None:
    """Abort every outgoing TCP connection of this process's reactor: the
    downloader's (the crawler opens no other, the browser's are not the reactor's)."""
    from twisted.internet import reactor  # noqa: PLC0415 - the installed one, known only once Scrapy has set it up

    for descriptor in {*reactor.getReaders(), *reactor.getWriters()}:  # type: ignore[attr-defined]
        if not isinstance(descriptor, tcp.Client):
            continue
        if descriptor.connected:
            descriptor.abortConnection()
        else:
            descriptor.stopConnecting()


class RequeueOnStop:
    """Downloader middleware, next to the download handler so it sees the
    cancellation first: a request cancelled by ``GracefulStop`` goes back to the
    scheduler instead of to the retry middleware or the spider's errback."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequeueOnStop:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        stop = self.crawler.get_extension(GracefulStop)
        if stop is None or not stop.forcing or request.meta.get("dont_obey_robotstxt"):
            return None  # robots.txt is fetched outside the scheduler: nothing to requeue
        self.crawler.stats.inc_value(stats.STOP_REQUEUED)
        return request.replace(dont_filter=True)
