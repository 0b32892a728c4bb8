"""``atlas_crawler/run/progress.py``: the progress line of a long crawl, from the
crawl's stats, its scheduler and downloader, and the lists of its run state; one
line every ``ATLAS_PROGRESS_INTERVAL`` seconds, none when it is 0."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from atlas_crawler.crawl.politeness import RetryAfterMiddleware
from atlas_crawler.run import progress as progress_module
from atlas_crawler.run.progress import Progress
from atlas_crawler.run.state import run_state
from atlas_crawler.urls import LIVE_BASE_URL as BASE
from tests.saved import project_crawler

LOGGER = "atlas_crawler.run.progress"


class Clock:
    """``time.monotonic`` for the progress module, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progress_module, "time", clock)
    return clock


def engine(queued: int = 0, downloading: int = 0) -> Any:
    """What the line reads of the engine: the scheduler's length, the downloads in flight."""
    return SimpleNamespace(
        scheduler=[object()] * queued, downloader=SimpleNamespace(active={object() for _ in range(downloading)})
    )


def written(crawler: Crawler, ids: Iterable[int]) -> None:
    for n in ids:
        run_state(crawler).record_written(
            {"type": "project", "id": str(n), "url": f"{BASE}detailProjet.html?criteres.prjId={n}"}
        )


def listed(crawler: Crawler, code: str, announced: int | None, ids: Iterable[int]) -> None:
    url = f"{BASE}listeProjetsPays.html?codePays={code}"
    run_state(crawler).list_page(url, announced, [str(n) for n in ids], "project")


# --- on or off -----------------------------------------------------------------------------
def test_the_project_crawl_has_a_progress_line_every_minute() -> None:
    progress = project_crawler().get_extension(Progress)
    assert progress is not None and progress.interval == 60


@pytest.mark.parametrize("interval", [0, -5])
def test_an_interval_of_zero_or_less_means_no_progress_line(interval: float) -> None:
    crawler = project_crawler(ATLAS_PROGRESS_INTERVAL=interval)
    assert crawler.get_extension(Progress) is None
    with pytest.raises(NotConfigured):
        Progress.from_crawler(crawler)


# --- the line --------------------------------------------------------------------------------
def test_the_line_says_pages_pending_records_lists_and_time_left(clock: Clock) -> None:
    crawler = project_crawler()
    crawler.engine = engine(queued=7, downloading=2)
    progress = Progress(crawler, interval=60)
    crawler.stats.set_value("response_received_count", 12)
    crawler.stats.set_value("item_scraped_count", 3)
    listed(crawler, "ML", 3, [1, 2, 3])  # 2 of 3 written
    listed(crawler, "SN", 1, [4])  # complete
    written(crawler, [1, 2, 4])
    clock.now += 180  # 3 rows in 3 minutes: the 4th in one more
    assert progress.line() == (
        "progress: 12 pages done, 9 requests pending, 3 records written, "
        "lists 1/2 complete, 3/4 announced rows written, time left 1m"
    )


def test_the_line_before_anything_was_fetched(clock: Clock) -> None:
    crawler = project_crawler()
    crawler.engine = engine()
    assert Progress(crawler, interval=60).line() == (
        "progress: 0 pages done, 0 requests pending, 0 records written, "
        "lists 0/0 complete, 0/0 announced rows written, time left unknown"
    )


def test_the_line_says_until_when_the_atlas_asked_to_wait(clock: Clock) -> None:
    """An hour without a page is a wait the atlas asked for (Retry-After), not a stuck run."""
    crawler = project_crawler()
    retry = RetryAfterMiddleware.from_crawler(crawler)
    crawler.engine = engine(downloading=2)
    crawler.engine.downloader.middleware = SimpleNamespace(middlewares=[retry])
    progress = Progress(crawler, interval=60)
    assert "waiting" not in progress.line()
    page = f"{BASE}detailProjet.html?criteres.prjId=7"
    pause = retry.pause(page, 3600)
    assert progress.line().endswith(
        f"time left unknown; waiting: the atlas asks to wait 3600 s (Retry-After) on {page}: "
        f"waiting until {pause.until_utc:%H:%M:%S} UTC (1h00m left)"
    )
    pause.until -= 3600  # over
    assert "waiting" not in progress.line()


def test_a_list_that_announces_no_count_counts_the_rows_it_lists(clock: Clock) -> None:
    crawler = project_crawler()
    crawler.engine = engine()
    listed(crawler, "ML", None, [1, 2])
    written(crawler, [1, 2, 3])  # 3 is on no list seen yet
    assert "lists 1/1 complete, 2/2 announced rows written, time left <1m" in Progress(crawler, 60).line()


@pytest.mark.parametrize(
    ("done", "announced", "elapsed", "left"),
    [
        (0, 100, 600, "unknown"),  # no row yet: no pace
        (100, 100, 600, "<1m"),
        (100, 101, 600, "<1m"),  # 6 s
        (100, 110, 600, "1m"),
        (100, 550, 600, "45m"),
        (100, 1350, 600, "2h05m"),
        (1, 45001, 2, "25h00m"),  # hours are not folded into days
    ],
)
def test_the_time_left_is_at_the_runs_average_pace(
    clock: Clock, done: int, announced: int, elapsed: float, left: str
) -> None:
    progress = Progress(project_crawler(), interval=60)
    clock.now += elapsed
    assert progress.eta(done, announced) == left


# --- when it is written ------------------------------------------------------------------------
def test_a_line_every_interval_from_open_to_close(caplog: pytest.LogCaptureFixture) -> None:
    crawler = project_crawler(ATLAS_PROGRESS_INTERVAL=0.05)
    crawler.engine = engine(queued=1)
    progress = crawler.get_extension(Progress)

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == LOGGER]

    async def crawl() -> None:
        progress.spider_opened(crawler.spider)
        assert lines() == []  # not at once: the first line after one interval
        deadline = time.monotonic() + 10
        while len(lines()) < 2:  # a loaded machine only makes them later
            assert time.monotonic() < deadline, "no progress line"
            await asyncio.sleep(0.01)
        progress.spider_closed(crawler.spider)
        at_close = len(lines())
        await asyncio.sleep(0.15)  # three intervals
        assert len(lines()) == at_close  # none after the close

    with caplog.at_level(logging.INFO, logger=LOGGER):
        asyncio.run(crawl())
    assert lines()[0].startswith("progress: 0 pages done, 1 requests pending, 0 records written, ")
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == LOGGER)


def test_closing_a_spider_that_never_opened_is_harmless() -> None:
    progress = Progress(project_crawler(), interval=60)
    progress.spider_closed(None)
    assert progress.task is None
