"""``atlas_crawler/run/ledger.py``: the durable state of a ``JOBDIR`` job.

Each test plays a run of a job with a crawler on a ``JOBDIR`` under ``tmp_path``,
then looks at what the *next* run of the same job would do (a new crawler on the
same ``JOBDIR``: its ``Ledger``, its duplicate filter), which is what the ledger is
for. No crawl, no network."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import CloseSpider, UsageError
from scrapy.http import HtmlResponse
from scrapy.utils.misc import load_object

from atlas_crawler import signals as atlas_signals
from atlas_crawler.files import RunFiles
from atlas_crawler.items import ProjectItem
from atlas_crawler.outcome import (
    EXIT_NOTHING_TO_RESUME,
    REASON_FINISHED,
    REASON_NOTHING_TO_RESUME,
    REASON_SHUTDOWN,
    RefusedError,
)
from atlas_crawler.pages import registry
from atlas_crawler.run.ledger import Ledger, LedgerDupeFilter, LedgerMiddleware, LedgerScheduler, ledger_of
from atlas_crawler.run.state import RunState
from atlas_crawler.urls import LIVE_BASE_URL as BASE
from tests.saved import project_crawler, saved_response

HOME = BASE + "accesAtlas.html"
COUNTRIES = BASE + "listePays.html"
LIST = BASE + "listeProjetsPays.html?codePays=ML"
LIST_2 = BASE + "listeProjetsPays.html?codePays=ML&d-4012-p=2"


def project(n: int) -> str:
    return f"{BASE}detailProjet.html?criteres.prjId={n}"


def record(n: int) -> dict[str, Any]:
    """A project record as the feed writes it (the fields the ledger reads)."""
    return {"type": "project", "kind": None, "id": str(n), "url": project(n), "title": f"Projet {n}"}


# --- a job and its runs ---------------------------------------------------------------------
def job_crawler(tmp_path: Path, **overrides: Any) -> Crawler:
    """A run of the job in ``tmp_path/job``, its feed ``tmp_path/atlas.jsonl``. The
    priority queue is Scrapy's plain one: the project's (downloader-aware) one wants a
    running engine, and which priority queue holds the requests is no business of the ledger."""
    return project_crawler(
        JOBDIR=str(tmp_path / "job"),
        FEEDS={str(tmp_path / "atlas.jsonl"): {"format": "jsonlines"}},
        SCHEDULER_PRIORITY_QUEUE="scrapy.pqueues.ScrapyPriorityQueue",
        **overrides,
    )


def run(tmp_path: Path) -> Ledger:
    """The ledger of a (new) run of the job."""
    ledger = ledger_of(job_crawler(tmp_path))
    assert ledger is not None
    return ledger


def left(tmp_path: Path) -> list[str] | None:
    """The URLs the next run of the job fetches (None: it starts from the home page)."""
    requests = run(tmp_path).to_do()
    return None if requests is None else [r.url for r in requests]


def write_feed(tmp_path: Path, *records: dict[str, Any], tail: str = "") -> Path:
    """The records the job has written: its working copy of the feed, in ``JOBDIR``."""
    feed = RunFiles.of(job_crawler(tmp_path).settings).records_written
    assert feed is not None
    feed.parent.mkdir(parents=True, exist_ok=True)
    feed.write_text("".join(json.dumps(r) + "\n" for r in records) + tail, encoding="utf-8")
    return feed


def item(n: int) -> ProjectItem:
    """The record as the spider yields it (the fields the ledger reads)."""
    return ProjectItem(type="project", id=str(n), url=project(n), title=f"Projet {n}")


def response_to(request: Request) -> HtmlResponse:
    return HtmlResponse(request.url, body=b"<html><body></body></html>", encoding="utf-8", request=request)


# --- Ledger ------------------------------------------------------------------------------------
def test_a_new_job_starts_from_the_spider(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    assert (tmp_path / "job" / "ledger.sqlite").exists()
    assert not ledger.resumed and not ledger.complete
    assert ledger.to_do() is None
    assert ledger.run_state() is None
    assert ledger.list_pages() == [] and ledger.failures() == {}
    assert ledger.written == set()


def test_one_ledger_per_crawler_and_none_without_jobdir(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    assert ledger_of(crawler) is ledger_of(crawler)
    assert ledger_of(project_crawler()) is None


def test_a_jobdir_of_scrapys_own_job_state_is_refused(tmp_path: Path) -> None:
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "requests.seen").write_text("")
    with pytest.raises(UsageError, match="without a ledger"):
        run(tmp_path)


def test_pending_requests_come_back_in_order_as_they_were_scheduled(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    spider = crawler.spider
    ledger = ledger_of(crawler)
    first = saved_response("project-multipage-themes")
    _, assembly = registry.parse(first, crawled_at="2026-11-26T04:00:00Z")
    field, table_url = assembly.next_page()
    table_page = Request(
        table_url,
        callback=spider.parse_table_page,
        errback=spider.failed,
        cb_kwargs={"assembly": assembly, "field": field},
        meta={"record_url": assembly.item["url"]},
    )
    ledger.pending(Request(LIST, callback=spider.parse, errback=spider.failed))
    ledger.pending(table_page)
    ledger.pending(Request(project(7), meta={"unpicklable": lambda: None}))  # kept as a plain page

    resumed = run(tmp_path)
    assert resumed.resumed and not resumed.complete
    again = resumed.to_do()
    assert [r.url for r in again] == [LIST, table_url, project(7)]
    assert all(r.dont_filter for r in again)  # known already: never filtered
    assert again[0].callback.__name__ == "parse" and again[0].errback.__name__ == "failed"
    table = again[1]
    assert table.callback.__name__ == "parse_table_page"
    assert table.meta["record_url"] == assembly.item["url"]
    assert table.cb_kwargs["field"] == field
    assert table.cb_kwargs["assembly"].item["url"] == assembly.item["url"]
    assert table.cb_kwargs["assembly"].pending == assembly.pending
    assert again[2].callback.__name__ == "parse" and again[2].errback.__name__ == "failed"  # ends failed if it fails


def test_a_page_done_is_not_fetched_again_and_its_links_are(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    home, countries = Request(HOME), Request(COUNTRIES)
    ledger.pending(home)
    ledger.pending(countries)
    ledger.done(home, [Request(LIST), Request(project(1))])
    assert left(tmp_path) == [COUNTRIES, LIST, project(1)]


def test_links_the_ledger_knows_are_not_made_pending_again(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    home, countries = Request(HOME), Request(COUNTRIES)
    for request in (home, countries):
        ledger.pending(request)
    ledger.done(countries)
    ledger.done(home, [Request(COUNTRIES), Request(LIST)])  # the menu links back to a page done
    assert left(tmp_path) == [LIST]


def test_a_redirect_marks_the_pages_it_replaced_done(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    ledger.pending(Request(project(1)))
    ledger.pending(Request(project(2)))
    ledger.redirected([project(1)])
    assert left(tmp_path) == [project(2)]


def test_a_failed_page_is_reported_by_its_record_and_not_fetched_again(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    page, table_page = Request(project(1)), Request(project(2) + "&d-1342871-p=2", meta={"record_url": project(2)})
    for request in (page, table_page, Request(project(3))):
        ledger.pending(request)
    crawler.signals.send_catch_log(atlas_signals.page_failed, url=project(1), reason="HTTP 500", request=page)
    crawler.signals.send_catch_log(atlas_signals.page_failed, url=project(2), reason="soft error", request=table_page)
    crawler.signals.send_catch_log(atlas_signals.page_failed, url=project(9), reason="no request")  # ignored
    resumed = run(tmp_path)
    assert resumed.failures() == {project(1): "HTTP 500", project(2): "soft error"}
    assert [r.url for r in resumed.to_do()] == [project(3)]


def test_a_record_emitted_but_not_in_the_feed_is_fetched_again(tmp_path: Path) -> None:
    """The feed is the truth of what was written: a record handed to the pipelines
    that never reached the file (the kill came first) has its page fetched again,
    with its table pages (no longer seen by the duplicate filter)."""
    ledger = run(tmp_path)
    pages = [Request(project(n), callback=None) for n in (1, 2)]
    table_page = Request(project(2) + "&d-1342871-p=2", meta={"record_url": project(2)})
    for request in (*pages, table_page):
        ledger.pending(request)
    ledger.done(pages[0])
    ledger.emitted(item(1), pages[0])
    ledger.done(pages[0], page_done=False)
    ledger.done(pages[1])
    ledger.emitted(item(2), table_page)
    ledger.done(table_page, page_done=False)
    write_feed(tmp_path, record(1))

    resumed = run(tmp_path)
    assert resumed.written == {("project", "", "1")}
    assert [r.url for r in resumed.to_do()] == [project(2)]
    seen = LedgerDupeFilter(resumed)
    assert seen.request_seen(Request(project(1)))
    assert not seen.request_seen(Request(table_page.url))


def test_a_record_dropped_by_a_pipeline_is_not_fetched_again(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    page = Request(project(1))
    ledger.pending(page)
    dropped = item(1)
    ledger.emitted(dropped, page)
    ledger.done(page, page_done=False)
    crawler.signals.send_catch_log(
        signals.item_dropped, item=dropped, response=None, exception=ValueError("duplicate"), spider=crawler.spider
    )
    write_feed(tmp_path)  # nothing written
    with pytest.raises(CloseSpider):  # nothing left, and the job never finished
        run(tmp_path).to_do()


def test_a_torn_last_line_of_the_feed_is_cut_and_its_record_fetched_again(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    for n in (1, 2):
        ledger.pending(Request(project(n)))
        ledger.emitted(record(n), Request(project(n)))
        ledger.done(Request(project(n)), page_done=False)
    feed = write_feed(tmp_path, record(1), tail=json.dumps(record(2))[:25])
    resumed = run(tmp_path)
    assert feed.read_text("utf-8") == json.dumps(record(1)) + "\n"
    assert [r.url for r in resumed.to_do()] == [project(2)]


def test_a_page_is_done_with_its_record_written_in_one_transaction(tmp_path: Path) -> None:
    """A page that gave a record stays pending until the record is on disk
    (``record_written``): a record whose write failed (a full disk) leaves its page to
    be fetched again on resume, a record written leaves nothing to do."""
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    pages = [Request(project(n)) for n in (1, 2)]
    for n, page in enumerate(pages, 1):
        ledger.pending(page)
        ledger.emitted(item(n), page)
        ledger.done(page, page_done=False)
    crawler.signals.send_catch_log(atlas_signals.record_written, item=item(1))
    states = dict(ledger.db.execute("SELECT url, state FROM requests"))
    assert states == {project(1): "done", project(2): "pending"}
    assert dict(ledger.db.execute("SELECT url, state FROM records")) == {project(1): "written", project(2): "emitted"}
    write_feed(tmp_path, record(1))
    assert [r.url for r in run(tmp_path).to_do()] == [project(2)]


def test_an_unreadable_ledger_refuses_the_resume_with_advice(tmp_path: Path) -> None:
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "ledger.sqlite").write_bytes(b"SQLite format 3\x00" + b"garbage" * 200)
    with pytest.raises(RefusedError, match="start a new job in an empty JOBDIR") as refused:
        run(tmp_path)
    assert refused.value.code == EXIT_NOTHING_TO_RESUME


def test_a_job_started_by_the_previous_version_is_refused(tmp_path: Path) -> None:
    """Its records went into the feed itself, not the job's working copy: resumed, they
    would be fetched and appended again."""
    (tmp_path / "job").mkdir()
    old = sqlite3.connect(tmp_path / "job" / "ledger.sqlite")
    old.execute("CREATE TABLE records (url TEXT PRIMARY KEY, key TEXT NOT NULL, state TEXT NOT NULL)")
    old.commit()
    old.close()
    with pytest.raises(RefusedError, match="started by an earlier version") as refused:
        run(tmp_path)
    assert refused.value.code == EXIT_NOTHING_TO_RESUME


def test_list_pages_are_kept_with_the_page_done(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    first, second = Request(LIST), Request(LIST_2)
    for request in (first, second):
        ledger.pending(request)
    for request, ids in ((first, ["1", "2"]), (second, ["3"])):
        crawler.signals.send_catch_log(
            atlas_signals.list_page_parsed, list_url=LIST, page_url=request.url, announced=3, ids=ids, kind="project"
        )
    ledger.done(first)  # the second page's output was never consumed
    assert ledger.list_pages() == [{"list_url": LIST, "announced": 3, "ids": ["1", "2"], "kind": "project"}]
    assert run(tmp_path).list_pages() == ledger.list_pages()


def test_the_run_state_is_saved_and_restored(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    ledger.pending(Request(HOME))
    state = RunState(warnings=["robots.txt answered 503: réessayez plus tard"], failures={project(1): "HTTP 500"})
    ledger.save_run_state(RunState().to_json())
    saved = state.to_json()
    ledger.save_run_state(saved)  # the last save wins
    restored = run(tmp_path).run_state()
    assert restored == json.loads(json.dumps(saved))
    assert RunState.from_json(restored).warnings == state.warnings


def test_a_finished_run_completes_the_job(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    ledger.pending(Request(HOME))
    ledger.pending(Request(BASE + "rechercheAtlas.html"))  # robots.txt kept it out
    ledger.spider_closed(REASON_FINISHED)
    assert ledger.complete
    resumed = run(tmp_path)
    assert resumed.resumed and resumed.complete
    with caplog.at_level(logging.WARNING, logger="atlas_crawler.run.ledger"):
        assert resumed.to_do() == []
    assert "the job is complete" in caplog.text


@pytest.mark.parametrize("reason", [REASON_SHUTDOWN, "closespider_timeout"])
def test_a_stopped_run_leaves_its_pages_pending(tmp_path: Path, reason: str) -> None:
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    ledger.pending(Request(HOME))
    ledger.spider_closed(reason)
    assert not ledger.complete
    assert left(tmp_path) == [HOME]


def test_an_unfinished_job_with_nothing_pending_closes_the_run(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    ledger.pending(Request(HOME))
    ledger.done(Request(HOME))
    crawler = job_crawler(tmp_path)
    warnings: list[str] = []

    def on_warning(message: str) -> None:
        warnings.append(message)

    crawler.signals.connect(on_warning, signal=atlas_signals.crawl_warning)
    resumed = ledger_of(crawler)
    assert resumed.resumed and not resumed.complete
    with pytest.raises(CloseSpider) as closed:
        resumed.to_do()
    assert closed.value.reason == REASON_NOTHING_TO_RESUME
    assert len(warnings) == 1 and "nothing to resume" in warnings[0] and str(tmp_path / "job") in warnings[0]


# --- LedgerDupeFilter ---------------------------------------------------------------------------
def test_the_duplicate_filter_knows_every_page_of_the_job(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    ledger.pending(Request(HOME))
    ledger.done(Request(HOME), [Request(LIST)])
    dupefilter = LedgerDupeFilter(run(tmp_path))
    assert dupefilter.request_seen(Request(HOME))
    assert dupefilter.request_seen(Request(LIST))
    assert not dupefilter.request_seen(Request(COUNTRIES))  # unseen: let through, and now seen
    assert dupefilter.request_seen(Request(COUNTRIES))
    assert not LedgerDupeFilter(run(tmp_path)).request_seen(Request(COUNTRIES))  # not a ledger write


def test_the_duplicate_filter_counts_what_it_filters(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    dupefilter = LedgerDupeFilter(ledger_of(crawler))
    dupefilter.log(Request(HOME), crawler.spider)
    dupefilter.log(Request(HOME), crawler.spider)
    assert crawler.stats.get_value("dupefilter/filtered") == 2


# --- LedgerScheduler ------------------------------------------------------------------------------
def open_scheduler(crawler: Crawler) -> Scheduler:
    scheduler = load_object(crawler.settings["SCHEDULER"]).from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def test_a_job_has_memory_queues_and_the_ledger_as_its_duplicate_filter(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    scheduler = open_scheduler(crawler)
    assert isinstance(scheduler, LedgerScheduler)
    assert scheduler.ledger is ledger_of(crawler)
    assert isinstance(scheduler.df, LedgerDupeFilter)
    assert scheduler.dqdir is None and scheduler.dqs is None
    assert scheduler.mqclass is load_object(crawler.settings["SCHEDULER_MEMORY_QUEUE"])
    assert scheduler.enqueue_request(Request(HOME))
    assert crawler.stats.get_value("scheduler/enqueued/memory") == 1
    scheduler.close(REASON_SHUTDOWN)
    assert sorted(p.name for p in (tmp_path / "job").iterdir() if not p.name.startswith("ledger.sqlite")) == []


def test_each_request_the_scheduler_accepts_is_pending(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    scheduler = open_scheduler(crawler)
    assert scheduler.enqueue_request(Request(HOME))
    assert scheduler.enqueue_request(Request(LIST))
    assert not scheduler.enqueue_request(Request(HOME))  # a duplicate: filtered, counted
    assert crawler.stats.get_value("dupefilter/filtered") == 1
    assert scheduler.enqueue_request(Request(HOME, dont_filter=True))
    assert [scheduler.next_request().url for _ in range(3)] == [HOME, LIST, HOME]
    assert left(tmp_path) == [HOME, LIST]


def test_a_redirected_request_replaces_the_one_it_came_from(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    scheduler = open_scheduler(crawler)
    old = BASE + "detailProjet.html?prj=7"
    scheduler.enqueue_request(Request(old))
    scheduler.enqueue_request(Request(project(7), meta={"redirect_urls": [old]}))
    assert left(tmp_path) == [project(7)]


def test_a_resumed_job_filters_what_it_did_before(tmp_path: Path) -> None:
    ledger = run(tmp_path)
    ledger.pending(Request(HOME))
    ledger.done(Request(HOME), [Request(LIST)])
    scheduler = open_scheduler(job_crawler(tmp_path))
    assert not scheduler.enqueue_request(Request(HOME))
    assert scheduler.enqueue_request(Request(LIST, dont_filter=True))  # as to_do gives it
    assert scheduler.enqueue_request(Request(COUNTRIES))


def test_without_jobdir_it_is_scrapys_plain_scheduler(tmp_path: Path) -> None:
    crawler = project_crawler(SCHEDULER_PRIORITY_QUEUE="scrapy.pqueues.ScrapyPriorityQueue")
    scheduler = open_scheduler(crawler)
    assert isinstance(scheduler, Scheduler)
    assert scheduler.ledger is None
    assert type(scheduler.df) is RFPDupeFilter
    assert scheduler.dqs is None
    assert scheduler.enqueue_request(Request(HOME))
    assert not scheduler.enqueue_request(Request(HOME))
    assert scheduler.next_request().url == HOME
    assert not list(tmp_path.iterdir())


# --- LedgerMiddleware ------------------------------------------------------------------------------
def test_a_page_is_done_once_its_output_is_consumed_with_its_links_and_records(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    middleware = LedgerMiddleware.from_crawler(crawler)
    assert middleware.ledger is ledger
    page = Request(LIST)
    ledger.pending(page)
    output = [Request(project(1)), item(5), Request(project(2)), None]
    result = middleware.process_spider_output(response_to(page), iter(output))
    assert next(result) is output[0]
    assert left(tmp_path) == [LIST]  # not done while its output is being read
    assert list(result) == output[1:]
    # its links pending in one go (Scrapy has not scheduled them yet); the record noted:
    # not in the feed yet, so the page and the record's page would be fetched again
    assert left(tmp_path) == [LIST, project(1), project(2), project(5)]
    write_feed(tmp_path, record(5))
    assert left(tmp_path) == [project(1), project(2)]


def test_a_page_whose_output_was_abandoned_stays_pending(tmp_path: Path) -> None:
    """A stop closes the callback's output half read (``GeneratorExit``): the page
    is fetched again on resume, not marked done with half its links."""
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    page = Request(LIST)
    ledger.pending(page)
    result = LedgerMiddleware.from_crawler(crawler).process_spider_output(
        response_to(page), iter([Request(project(1)), Request(project(2))])
    )
    next(result)
    result.close()
    assert left(tmp_path) == [LIST]


def test_a_page_whose_output_an_unreported_error_cut_stays_to_do(tmp_path: Path) -> None:
    """An error that reaches the ledger was reported by no one (the page accounting
    fails a callback's own errors before): the page is fetched again; what it gave
    before the error is kept."""
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    page = Request(LIST)
    ledger.pending(page)

    def callback() -> Iterator[Any]:
        yield Request(project(1))
        raise ValueError("parser error")

    result = LedgerMiddleware.from_crawler(crawler).process_spider_output(response_to(page), callback())
    with pytest.raises(ValueError, match="parser error"):
        list(result)
    assert left(tmp_path) == [LIST, project(1)]


def test_the_async_output_is_noted_the_same_way(tmp_path: Path) -> None:
    crawler = job_crawler(tmp_path)
    ledger = ledger_of(crawler)
    page, other = Request(LIST), Request(LIST_2)
    ledger.pending(page)
    ledger.pending(other)
    middleware = LedgerMiddleware.from_crawler(crawler)

    async def output() -> AsyncIterator[Any]:
        yield Request(project(1))
        yield item(5)

    async def consume(response: HtmlResponse, limit: int | None = None) -> list[Any]:
        got = []
        result = middleware.process_spider_output_async(response, output())
        async for element in result:
            got.append(element)
            if len(got) == limit:
                await result.aclose()
                break
        return got

    assert len(asyncio.run(consume(response_to(page)))) == 2
    assert len(asyncio.run(consume(response_to(other), limit=1))) == 1  # abandoned: stays pending
    write_feed(tmp_path, record(5))
    assert left(tmp_path) == [LIST_2, project(1)]


def test_without_jobdir_the_output_passes_through() -> None:
    middleware = LedgerMiddleware.from_crawler(project_crawler())
    assert middleware.ledger is None
    output = [Request(project(1)), item(1)]
    assert list(middleware.process_spider_output(response_to(Request(LIST)), iter(output))) == output

    async def agen() -> AsyncIterator[Any]:
        for element in output:
            yield element

    async def consume() -> list[Any]:
        return [e async for e in middleware.process_spider_output_async(response_to(Request(LIST)), agen())]

    assert asyncio.run(consume()) == output


def _start(middleware: LedgerMiddleware) -> list[str]:
    async def spider_start() -> AsyncIterator[Request]:
        yield Request(HOME)

    async def consume() -> list[str]:
        return [r.url async for r in middleware.process_start(spider_start())]

    return asyncio.run(consume())


def test_a_new_job_starts_from_the_spiders_start_a_resumed_one_from_its_ledger(tmp_path: Path) -> None:
    assert _start(LedgerMiddleware.from_crawler(project_crawler())) == [HOME]  # no JOBDIR
    crawler = job_crawler(tmp_path)
    assert _start(LedgerMiddleware.from_crawler(crawler)) == [HOME]  # a new job
    ledger = ledger_of(crawler)
    ledger.pending(Request(HOME))
    ledger.done(Request(HOME), [Request(LIST), Request(COUNTRIES)])
    assert _start(LedgerMiddleware.from_crawler(job_crawler(tmp_path))) == [LIST, COUNTRIES]
    ledger.spider_closed(REASON_FINISHED)
    assert _start(LedgerMiddleware.from_crawler(job_crawler(tmp_path))) == []  # complete: nothing to do
