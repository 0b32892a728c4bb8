"""Politeness: the User-Agent names a contact (a warning at start when it does not);
robots.txt's Crawl-delay is a floor for every gap, as long as it is sane; a
Retry-After pauses the atlas as long as it asks (up to ATLAS_RETRY_AFTER_MAX), and
a stop ends the wait at once."""

from __future__ import annotations

import asyncio
import logging
import time
from types import SimpleNamespace

import pytest
from scrapy import Request, Spider
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import HtmlResponse
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

from atlas_crawler import settings as project_settings
from atlas_crawler import signals, stats
from atlas_crawler.crawl.politeness import (
    ContactCheck,
    DelayFloor,
    RetryAfterMiddleware,
    RetryAfterTooLongError,
    StoppedWhileWaiting,
    crawl_delay,
    has_contact,
    retry_after_pause,
    retry_after_seconds,
)
from tests.saved import project_crawler


@pytest.mark.parametrize(
    ("contact", "ok"),
    [
        ("you@example.org", True),
        ("https://example.org/crawler", True),
        (project_settings.ATLAS_CONTACT, False),
        ("", False),
        ("me", False),
    ],
)
def test_what_counts_as_a_contact(contact: str, ok: bool) -> None:
    assert has_contact(contact) is ok


class _Spider(Spider):
    name = "politeness-test"


def _warnings(base: str, contact: str, caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    crawler = get_crawler(_Spider, {"ATLAS_BASE_URL": base, "ATLAS_CONTACT": contact})
    check = ContactCheck.from_crawler(crawler)
    reported: list[str] = []

    def warned(message: str) -> None:
        reported.append(message)

    crawler.signals.connect(warned, signal=signals.crawl_warning, weak=False)
    with caplog.at_level(logging.WARNING, logger="atlas_crawler.crawl.politeness"):
        check.spider_opened()
    return [r.getMessage() for r in caplog.records], reported


def test_the_live_site_gets_a_warning_in_the_report(caplog: pytest.LogCaptureFixture) -> None:
    _logged, reported = _warnings(project_settings.ATLAS_BASE_URL, project_settings.ATLAS_CONTACT, caplog)
    assert len(reported) == 1 and "ATLAS_CONTACT is not set" in reported[0]


def test_a_local_replica_only_gets_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    logged, reported = _warnings("http://127.0.0.1:8765/cncdext/dyn/public/atlas/", "", caplog)
    assert reported == [] and any("ATLAS_CONTACT is not set" in line for line in logged)


def test_no_warning_with_a_contact(caplog: pytest.LogCaptureFixture) -> None:
    assert _warnings(project_settings.ATLAS_BASE_URL, "you@example.org", caplog) == ([], [])


def test_the_delay_is_a_floor() -> None:
    """No jitter: Scrapy's default ±50 % drew gaps down to half of DOWNLOAD_DELAY."""
    assert project_settings.DOWNLOAD_DELAY_JITTER == 0
    assert project_settings.REMOTE_CONTROL_ENABLED is False
    assert project_settings.TELNETCONSOLE_ENABLED is False


# --- robots.txt's Crawl-delay ------------------------------------------------------------
AGENT = project_settings.USER_AGENT
ATLAS = "https://atlas.test/cncdext/dyn/public/atlas/"


def _parser(text: str) -> ProtegoRobotParser:
    return ProtegoRobotParser(text.encode(), None)


@pytest.mark.parametrize(
    ("text", "delay"),
    [
        ("User-agent: *\nCrawl-delay: 5\n", 5.0),
        ("User-agent: *\nCrawl-delay: 5\n\nUser-agent: atlas-crawler\nCrawl-delay: 2.5\n", 2.5),  # our own group
        ("User-agent: otherbot\nCrawl-delay: 9\n", None),  # a group for another crawler only
        ("User-agent: *\nCrawl-delay: soon\n", None),
        ("User-agent: *\nDisallow: /x\n", None),
    ],
)
def test_the_crawl_delay_of_our_group_else_the_star_group(text: str, delay: float | None) -> None:
    assert crawl_delay(_parser(text), AGENT) == delay


class _Slot:
    def __init__(self, delay: float) -> None:
        self.delay = delay


def _floor(text: str, **settings: object) -> tuple[DelayFloor, _Slot, list[str]]:
    """A DelayFloor whose robots.txt said ``text``, the atlas's slot (delay 0.55 s) and the report's warnings."""
    crawler = project_crawler(**settings)
    slot = _Slot(0.55)
    crawler.engine = SimpleNamespace(
        downloader=SimpleNamespace(slots={"atlas.test": slot}, get_slot_key=lambda request: "atlas.test")
    )
    throttle = crawler.get_extension(AutoThrottle)
    throttle.mindelay, throttle.maxdelay = crawler.settings.getfloat("DOWNLOAD_DELAY"), 30.0  # as spider_opened sets
    floor = crawler.get_extension(DelayFloor)
    warnings: list[str] = []

    def warned(message: str) -> None:
        warnings.append(message)

    crawler.signals.connect(warned, signal=signals.crawl_warning, weak=False)
    floor.robots_parsed(_parser(text), Request(ATLAS + "accesAtlas.html"))
    return floor, slot, warnings


def test_a_crawl_delay_longer_than_download_delay_is_every_slots_floor(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="atlas_crawler.crawl.politeness"):
        floor, slot, warnings = _floor("User-agent: *\nCrawl-delay: 5\n")
    assert slot.delay == pytest.approx(5.5)  # 5 s and the 10 % margin
    throttle = floor.crawler.get_extension(AutoThrottle)
    assert throttle.mindelay == pytest.approx(5.5) and throttle.maxdelay == 30.0
    assert "robots.txt asks for Crawl-delay: 5 s: at least 5 s between requests" in caplog.messages
    assert warnings == []
    # A slot made later (Scrapy drops idle slots after a minute) is lifted when a request reaches it.
    fresh = _Slot(1.0)
    floor.crawler.engine.downloader.slots["atlas.test"] = fresh
    floor.request_reached_downloader(Request(ATLAS + "listePays.html", meta={"download_slot": "atlas.test"}))
    assert fresh.delay == pytest.approx(5.5)


def test_autothrottle_never_goes_below_the_crawl_delay() -> None:
    """Not even a Crawl-delay above AUTOTHROTTLE_MAX_DELAY (30 s): AutoThrottle's
    maximum would otherwise win over its minimum after every fast answer."""
    floor, slot, _warnings = _floor("User-agent: *\nCrawl-delay: 45\n")
    throttle = floor.crawler.get_extension(AutoThrottle)
    request = Request(ATLAS + "listePays.html", meta={"download_latency": 0.01})
    for _ in range(20):
        throttle._adjust_delay(slot, 0.01, HtmlResponse(request.url, status=200, body=b""))
    assert slot.delay >= 45


def test_a_crawl_delay_shorter_than_download_delay_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="atlas_crawler.crawl.politeness"):
        _, slot, warnings = _floor("User-agent: *\nCrawl-delay: 0.2\n")
    assert slot.delay == pytest.approx(0.55) and warnings == []
    assert "robots.txt asks for Crawl-delay: 0.2 s: DOWNLOAD_DELAY (0.5 s) is longer and stays" in caplog.messages


def test_an_absurd_crawl_delay_is_cut_to_the_maximum_with_a_warning_in_the_report() -> None:
    _, slot, warnings = _floor("User-agent: *\nCrawl-delay: 86400\n")
    assert project_settings.ATLAS_CRAWL_DELAY_MAX == 60
    assert slot.delay == pytest.approx(66.0)
    assert warnings == [
        "robots.txt asks for Crawl-delay: 86400 s, more than ATLAS_CRAWL_DELAY_MAX (60 s): 60 s between "
        "requests, faster than the atlas asks; ask its operators, or raise ATLAS_CRAWL_DELAY_MAX"
    ]


def test_a_crawl_delay_applies_without_download_delay() -> None:
    _, slot, _warnings = _floor("User-agent: *\nCrawl-delay: 2\n", DOWNLOAD_DELAY=0)
    assert slot.delay == pytest.approx(2.2)


# --- Retry-After ----------------------------------------------------------------------------
PAGE = ATLAS + "detailProjet.html?criteres.prjId=1"


def _answer(status: int = 503, **headers: str) -> HtmlResponse:
    return HtmlResponse(PAGE, status=status, headers=headers, body=b"")


def _retry_middleware(**settings: object) -> RetryAfterMiddleware:
    crawler = project_crawler(**settings)
    crawler.engine = SimpleNamespace(running=True, _slot=SimpleNamespace(closing=None))
    return RetryAfterMiddleware.from_crawler(crawler)


def test_an_http_date_counts_from_the_answers_own_date() -> None:
    """The local clock may be wrong: 15:00 asked at 14:00 (the answer's Date) is an hour."""
    answer = _answer(**{"Date": "Sun, 06 Dec 2026 14:00:00 GMT", "Retry-After": "Sun, 06 Dec 2026 15:00:00 GMT"})
    assert retry_after_seconds(answer) == 3600
    assert retry_after_seconds(_answer(**{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0  # past, no Date
    assert retry_after_seconds(_answer(**{"Retry-After": "120"})) == 120
    assert retry_after_seconds(_answer(**{"Retry-After": "bientôt"})) is None


def test_an_hour_long_retry_after_pauses_the_atlas_and_the_page_is_retried(caplog: pytest.LogCaptureFixture) -> None:
    middleware = _retry_middleware()
    assert middleware.max_wait == project_settings.ATLAS_RETRY_AFTER_MAX >= 3600
    before = time.monotonic()
    with caplog.at_level(logging.INFO, logger="atlas_crawler.crawl.politeness"):
        retried = asyncio.run(middleware.process_response(Request(PAGE), _answer(**{"Retry-After": "3600"})))
    assert isinstance(retried, Request) and retried.url == PAGE
    pause = middleware.pauses["atlas.test"]
    assert before + 3600 <= pause.until <= time.monotonic() + 3600
    assert middleware.crawler.stats.get_value(stats.RETRY_AFTER_WAITS) == 1
    assert caplog.messages == [
        f"the atlas asks to wait 3600 s (Retry-After) on {PAGE}: waiting until {pause.until_utc:%H:%M:%S} UTC"
    ]
    assert middleware.waiting() is pause
    # A shorter ask afterwards does not cut the pause short.
    asyncio.run(middleware.process_response(Request(PAGE), _answer(429, **{"Retry-After": "5"})))
    assert middleware.pauses["atlas.test"] is pause


def test_a_longer_ask_than_the_maximum_fails_the_page_with_its_reason() -> None:
    middleware = _retry_middleware(ATLAS_RETRY_AFTER_MAX=600)
    with pytest.raises(RetryAfterTooLongError) as failed:
        asyncio.run(middleware.process_response(Request(PAGE), _answer(**{"Retry-After": "7200"})))
    assert str(failed.value) == (
        f"HTTP 503: the atlas asks to wait 7200 s (Retry-After) on {PAGE}, longer than ATLAS_RETRY_AFTER_MAX "
        "(600 s); crawl again later, or raise ATLAS_RETRY_AFTER_MAX"
    )
    assert middleware.pauses == {}


def test_every_request_to_the_atlas_waits_until_the_pause_is_over() -> None:
    middleware = _retry_middleware()
    other_host = Request("https://elsewhere.test/robots.txt")
    pause = middleware.pause(PAGE, 0.6)

    async def send() -> tuple[object, object, float]:
        elsewhere = await middleware.process_request(other_host)  # another host is not paused
        result = await middleware.process_request(Request(ATLAS + "listePays.html"))
        return elsewhere, result, time.monotonic()

    elsewhere, result, sent = asyncio.run(send())
    assert elsewhere is None and result is None
    assert sent >= pause.until
    assert middleware.waiting() is None


def test_a_stop_during_the_wait_hands_the_request_back_at_once() -> None:
    """SIGTERM during an hour's wait: the page goes back to the scheduler (kept by a
    JOBDIR job) instead of holding the stop for an hour; robots.txt, fetched outside
    the scheduler, is dropped."""
    middleware = _retry_middleware()
    middleware.pause(PAGE, 3600)
    middleware.crawler.engine.running = False
    request = Request(ATLAS + "listePays.html")
    requeued = asyncio.run(asyncio.wait_for(middleware.process_request(request), timeout=30))
    assert isinstance(requeued, Request) and requeued.url == request.url and requeued.dont_filter
    assert middleware.crawler.stats.get_value(stats.STOP_REQUEUED) == 1
    robots = Request("https://atlas.test/robots.txt", meta={"dont_obey_robotstxt": True})
    with pytest.raises(StoppedWhileWaiting):
        asyncio.run(asyncio.wait_for(middleware.process_request(robots), timeout=30))


def test_a_closing_spider_ends_the_wait_too() -> None:
    middleware = _retry_middleware()
    middleware.pause(PAGE, 3600)
    middleware.crawler.engine._slot.closing = object()  # closed by a CloseSpider or the robots.txt policy
    assert isinstance(asyncio.run(asyncio.wait_for(middleware.process_request(Request(PAGE)), 30)), Request)


def test_the_progress_reader_finds_the_pause() -> None:
    middleware = _retry_middleware()
    crawler = middleware.crawler
    crawler.engine.downloader = SimpleNamespace(middleware=SimpleNamespace(middlewares=[object(), middleware]))
    assert retry_after_pause(crawler) is None
    pause = middleware.pause(PAGE, 3600)
    assert retry_after_pause(crawler) is pause
