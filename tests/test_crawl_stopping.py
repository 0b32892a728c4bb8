"""``atlas_crawler/crawl/stopping.py``: a stop that ends within seconds.

``GracefulStop`` watches the engine; once a stop began (Scrapy's signal handler set
``engine.running`` to False, after a request reached the downloader: before that the
engine is still starting) the requests in flight get ``ATLAS_STOP_GRACE_SECONDS``,
then what is left is cancelled; ``RequeueOnStop`` hands each cancelled request back
to the scheduler. Played on an asyncio loop with a stand-in engine (what the
extension reads of it: ``running``, the downloader's ``active`` requests and its
slots' queues); no crawl, no connection."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from atlas_crawler import stats
from atlas_crawler.crawl import stopping
from atlas_crawler.crawl.stopping import GracefulStop, RequeueOnStop, StoppedBeforeSentError
from atlas_crawler.urls import LIVE_BASE_URL as BASE
from tests.saved import project_crawler

GRACE = 0.1
LOGGER = "atlas_crawler.crawl.stopping"


def page(n: int) -> Request:
    return Request(f"{BASE}detailProjet.html?criteres.prjId={n}", meta={"record_url": f"page {n}"})


class Downloader:
    """Two requests in flight, one of them still waiting for its download delay."""

    def __init__(self, active: int = 2) -> None:
        self.requests = [page(n) for n in range(active)]
        self.active = set(self.requests)
        self.waiting: Deferred[Any] = Deferred()
        self.failures: list[Failure] = []
        self.waiting.addErrback(self.failures.append)
        queue = deque([(self.requests[-1], self.waiting)] if active else [])
        self.slots = {"pastel.diplomatie.gouv.fr": SimpleNamespace(queue=queue)}


@pytest.fixture
def aborted(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The connections the extension aborts (the reactor's own, not touched here)."""
    calls: list[bool] = []
    monkeypatch.setattr(stopping, "_abort_connections", lambda: calls.append(True))
    monkeypatch.setattr(stopping, "_WATCH_INTERVAL", 0.01)
    return calls


def stopping_crawl(downloader: Downloader, grace: float = GRACE) -> tuple[Crawler, GracefulStop]:
    crawler = project_crawler(ATLAS_STOP_GRACE_SECONDS=grace)
    crawler.engine = SimpleNamespace(running=True, downloader=downloader)
    stop = crawler.get_extension(GracefulStop)
    assert stop is not None and stop.grace == grace
    return crawler, stop


def engine_runs(crawler: Crawler) -> None:
    """What a running engine does at once: its first request reaches the downloader."""
    crawler.engine.running = True
    crawler.signals.send_catch_log(signals.request_reached_downloader, request=page(0), spider=None)


def first_signal(crawler: Crawler) -> None:
    """What Scrapy's handler of a first SIGTERM or Ctrl-C does first (``engine.stop_async``)."""
    crawler.engine.running = False


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait on the loop until ``condition()`` holds (a loaded machine only makes it later)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


def forced_stop(crawler: Crawler, stop: GracefulStop) -> None:
    """Engine started and running, a first signal, the grace period over, the spider closed."""

    async def scenario() -> None:
        stop.engine_started()
        engine_runs(crawler)
        first_signal(crawler)
        await until(lambda: stop.forcing)
        stop.spider_closed()

    asyncio.run(scenario())


# --- GracefulStop ---------------------------------------------------------------------------
def test_nothing_happens_while_the_engine_runs(aborted: list[bool]) -> None:
    downloader = Downloader()
    crawler, stop = stopping_crawl(downloader)

    async def scenario() -> None:
        stop.engine_started()
        engine_runs(crawler)
        await asyncio.sleep(0.1)  # the watch looks ten times
        stop.spider_closed()

    asyncio.run(scenario())
    assert stop.timer is None and not stop.forcing
    assert downloader.failures == [] and not aborted


def test_a_first_signal_starts_the_grace_period_once(aborted: list[bool], caplog: pytest.LogCaptureFixture) -> None:
    downloader = Downloader()
    crawler, stop = stopping_crawl(downloader, grace=0.3)

    async def scenario() -> None:
        stop.engine_started()
        engine_runs(crawler)
        await asyncio.sleep(0.02)
        first_signal(crawler)
        await until(lambda: stop.timer is not None)
        timer = stop.timer
        await asyncio.sleep(0.03)  # the watch looks again, several times
        assert stop.timer is timer
        stop.spider_closed()  # closed within the grace period
        await asyncio.sleep(0.4)

    with caplog.at_level(logging.INFO, logger=LOGGER):
        asyncio.run(scenario())
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == [
        "stopping: requests in flight get 0.3s to finish"
    ]
    assert not stop.forcing and not aborted  # the timer was cancelled with the close
    assert downloader.failures == []
    assert stop.watch is not None and not stop.watch.running


def test_after_the_grace_period_what_is_in_flight_is_cancelled(
    aborted: list[bool], caplog: pytest.LogCaptureFixture
) -> None:
    downloader = Downloader(active=2)
    crawler, stop = stopping_crawl(downloader)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        forced_stop(crawler, stop)
    assert crawler.stats.get_value(stats.STOP_CANCELLED) == 2
    # the request still waiting for its delay is taken out of the queue and failed
    assert all(not slot.queue for slot in downloader.slots.values())
    [failure] = downloader.failures
    assert failure.check(StoppedBeforeSentError)
    assert aborted == [True]  # the open connections
    warning = next(r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING)
    assert warning.getMessage() == (
        f"stopping: 2 request(s) still in flight after {GRACE:.1f}s, cancelled (they are fetched again on resume)"
    )


def test_nothing_in_flight_at_the_end_of_the_grace_period_nothing_to_cancel(aborted: list[bool]) -> None:
    downloader = Downloader(active=0)
    crawler, stop = stopping_crawl(downloader)

    async def scenario() -> None:
        stop.engine_started()
        engine_runs(crawler)
        first_signal(crawler)
        await until(lambda: stop.timer is not None)
        await asyncio.sleep(GRACE + 0.1)  # due after the timer: it has run
        stop.spider_closed()

    asyncio.run(scenario())
    assert not stop.forcing
    assert crawler.stats.get_value(stats.STOP_CANCELLED) is None
    assert not aborted


def test_an_engine_still_starting_is_not_stopping(aborted: list[bool], caplog: pytest.LogCaptureFixture) -> None:
    """``-a entry=map``: scrapy-playwright starts its browser driver in an
    ``engine_started`` handler, and Scrapy sets ``running`` only after every such
    handler has finished: for seconds, ``running == False`` before anything ran."""
    downloader = Downloader(active=2)
    crawler, stop = stopping_crawl(downloader)
    crawler.engine.running = False

    async def scenario() -> None:
        stop.engine_started()
        await asyncio.sleep(GRACE * 4)  # the watch looks many times, longer than the grace period
        assert stop.timer is None and not stop.forcing
        engine_runs(crawler)
        await asyncio.sleep(0.05)
        first_signal(crawler)  # a real stop, once it ran, is still seen
        await until(lambda: stop.forcing)
        stop.spider_closed()

    with caplog.at_level(logging.INFO, logger=LOGGER):
        asyncio.run(scenario())
    assert next(r.getMessage() for r in caplog.records if r.name == LOGGER) == (
        f"stopping: requests in flight get {GRACE:.1f}s to finish"
    )
    assert crawler.stats.get_value(stats.STOP_CANCELLED) == 2 and aborted == [True]


def test_a_negative_grace_is_scrapys_own_shutdown() -> None:
    crawler = project_crawler(ATLAS_STOP_GRACE_SECONDS=-1)
    assert crawler.get_extension(GracefulStop) is None
    with pytest.raises(NotConfigured):
        GracefulStop.from_crawler(crawler)


def test_the_default_grace_is_five_seconds() -> None:
    assert project_crawler().get_extension(GracefulStop).grace == 5.0


# --- RequeueOnStop ---------------------------------------------------------------------------
def test_a_cancelled_request_is_handed_back_to_the_scheduler(aborted: list[bool]) -> None:
    downloader = Downloader(active=2)
    crawler, stop = stopping_crawl(downloader)
    requeue = RequeueOnStop.from_crawler(crawler)
    forced_stop(crawler, stop)
    [failure] = downloader.failures
    cancelled = downloader.requests[-1]
    again = requeue.process_exception(cancelled, failure.value)
    assert isinstance(again, Request) and again is not cancelled
    assert again.url == cancelled.url and again.meta == cancelled.meta
    assert again.dont_filter  # the duplicate filter has seen it already
    # an open connection aborted fails its request with a connection error: handed back too
    assert (
        requeue.process_exception(downloader.requests[0], ConnectionError("aborted")).url == downloader.requests[0].url
    )
    assert crawler.stats.get_value(stats.STOP_REQUEUED) == 2


def test_before_a_forced_stop_errors_go_on_to_the_retries() -> None:
    crawler, _ = stopping_crawl(Downloader())
    requeue = RequeueOnStop.from_crawler(crawler)
    assert requeue.process_exception(page(1), TimeoutError("timed out")) is None
    assert crawler.stats.get_value(stats.STOP_REQUEUED) is None


def test_robots_txt_is_not_handed_back(aborted: list[bool]) -> None:
    """It is fetched outside the scheduler."""
    crawler, stop = stopping_crawl(Downloader())
    stop.forcing = True
    robots = Request("https://pastel.diplomatie.gouv.fr/robots.txt", meta={"dont_obey_robotstxt": True})
    assert RequeueOnStop.from_crawler(crawler).process_exception(robots, ConnectionError("aborted")) is None


def test_without_graceful_stop_nothing_is_handed_back() -> None:
    crawler = project_crawler(ATLAS_STOP_GRACE_SECONDS=-1)
    assert RequeueOnStop.from_crawler(crawler).process_exception(page(1), ConnectionError("aborted")) is None
