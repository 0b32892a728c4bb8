"""A ``JOBDIR`` job that survives ``kill -9``: one durable ledger, ``JOBDIR/ledger.sqlite``.

Scrapy's own job state (the disk queue's ``active.json``, ``requests.seen``, the spider
state) is written only at a clean stop: after a hard kill the pending requests are never
read again while every fingerprint already seen is, and the resumed run does nothing.
Here the ledger is the job's one persistence, committed as the crawl goes (SQLite in WAL
mode: a commit survives the death of the process):

- every request the scheduler accepts, or a callback gives, is ``pending`` (its
  fingerprint, its URL and the request itself as Scrapy's disk queue keeps it:
  ``Request.to_dict``, pickled, with its callback and an in-page table's assembly);
- it is ``done`` once its callback's output has been consumed (its links scheduled) and
  the record it gave, if any, is on disk in the feed (``written``, in the same
  transaction), or was dropped by a pipeline (``dropped``); ``failed`` when the spider
  reported it failed. A page whose record could not be written (a full disk) stays
  pending, and is fetched again when the job resumes;
- the run state of the report, saved every few seconds and at the end.

On resume the job's working copy of its feed (``RunFiles.records_written``, in
``JOBDIR``) is the truth of what was written: a torn last line is cut off, the keys of
its records read; the work left is every pending request, plus the record
page of every record that is not in the file (fetched again with its table pages). The
scheduler keeps its queue in memory and its duplicate filter is fed from the ledger."""

from __future__ import annotations

import json
import logging
import pickle
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import CloseSpider, UsageError
from scrapy.http import Response
from scrapy.utils.job import job_dir
from scrapy.utils.misc import load_object
from scrapy.utils.request import request_from_dict

from atlas_crawler import signals as atlas_signals
from atlas_crawler.files import RunFiles
from atlas_crawler.outcome import (
    EXIT_DISK_FULL,
    EXIT_NOTHING_TO_RESUME,
    REASON_FINISHED,
    REASON_NOTHING_TO_RESUME,
    RefusedError,
)
from atlas_crawler.records import RecordKey, read_keys, record_key, repair_torn_line

logger = logging.getLogger(__name__)
LEDGER = "ledger.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    fp TEXT PRIMARY KEY, url TEXT NOT NULL, record_url TEXT, state TEXT NOT NULL, reason TEXT, request BLOB);
CREATE TABLE IF NOT EXISTS records (url TEXT PRIMARY KEY, key TEXT NOT NULL, state TEXT NOT NULL, page_fp TEXT);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS list_pages (page_url TEXT PRIMARY KEY, parsed TEXT NOT NULL);
"""


class Ledger:
    """The job's durable state. One per crawler (``ledger_of``); every write is its own
    committed transaction, so whatever the kill interrupts, the file is consistent."""

    def __init__(self, crawler: Crawler, jobdir: Path) -> None:
        self.crawler = crawler
        jobdir.mkdir(parents=True, exist_ok=True)
        if (jobdir / "requests.seen").exists() and not (jobdir / LEDGER).exists():
            raise UsageError(f"JOBDIR={jobdir} was started by a version without a ledger: start a new job")
        self.jobdir = jobdir
        self.feed = RunFiles.of(crawler.settings).records_written
        try:
            self.db = self._open(jobdir / LEDGER)
        except sqlite3.DatabaseError as error:
            if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                raise RefusedError(
                    f"no space left on {jobdir} for the job's ledger: make room, then run again", EXIT_DISK_FULL
                ) from error
            kept = f"the records already written in {self.feed} are safe" if self.feed else "nothing else is lost"
            raise RefusedError(
                f"the job's ledger {jobdir / LEDGER} cannot be read ({error}): this job cannot be resumed; "
                f"start a new job in an empty JOBDIR ({kept})",
                EXIT_NOTHING_TO_RESUME,
            ) from error
        #: The job was started before: this run resumes it.
        self.resumed = self.db.execute("SELECT 1 FROM requests LIMIT 1").fetchone() is not None
        #: Keys of the records the feed already holds (empty for a new job).
        self.written: set[RecordKey] = set()
        if self.resumed and self.feed is not None and self.feed.exists():
            if repair_torn_line(self.feed):
                logger.warning("%s ended with a cut line (the job was killed): the cut line removed", self.feed)
            self.written = read_keys(self.feed)
        self.redo, self.seen = self._work_left() if self.resumed else ([], set())
        connect = crawler.signals.connect
        connect(self.item_dropped, signal=signals.item_dropped)
        connect(self.record_written, signal=atlas_signals.record_written)
        connect(self.page_failed, signal=atlas_signals.page_failed)
        connect(self.list_page_parsed, signal=atlas_signals.list_page_parsed)
        #: What list pages being parsed announce, written with the page's ``done``: the
        #: report's list checks (and the exit status) must not depend on the last save.
        self.lists: dict[str, dict[str, Any]] = {}
        connect(self.spider_closed, signal=signals.spider_closed)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        # isolation_level=None: autocommit, one statement one transaction (no open
        # transaction holds what was done when the process dies).
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")  # a commit is an append to the WAL: cheap and crash-safe
        db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process kill (not a power cut)
        db.executescript(_SCHEMA)
        db.execute("SELECT count(*) FROM requests").fetchone()  # reads the pages: a damaged file fails here
        if "page_fp" not in {row[1] for row in db.execute("PRAGMA table_info(records)")}:
            # Started by the previous version, which wrote its records into the feed itself:
            # resumed here, they would be fetched and appended again.
            raise RefusedError(
                f"JOBDIR={path.parent} was started by an earlier version of the crawler: start a new job in an "
                "empty JOBDIR (the records it wrote are in its feed)",
                EXIT_NOTHING_TO_RESUME,
            )
        return db

    # --- what is left --------------------------------------------------------------
    def _work_left(self) -> tuple[list[tuple[str, bytes | None]], set[str]]:
        """The requests to make again (pending ones, and the record page of a record
        missing from the file) and the fingerprints the duplicate filter keeps."""
        written = {json.dumps(list(key)) for key in self.written}
        emitted = self.db.execute("SELECT url, key, page_fp FROM records WHERE state != 'dropped'").fetchall()
        lost = [url for url, key, _ in emitted if key not in written]
        # The table pages of a record fetched again are fetched again with it.
        lost_set = set(lost)
        # A page whose record reached the feed just before the kill (not yet "done").
        finished = {page_fp for _, key, page_fp in emitted if key in written}
        redo: dict[str, bytes | None] = {}  # by URL, in the order they were first scheduled
        pending = "SELECT fp, url, record_url, request FROM requests WHERE state = 'pending' ORDER BY rowid"
        for fp, url, record_url, saved in self.db.execute(pending):
            if record_url not in lost_set and fp not in finished:
                redo[url] = saved
        for url in lost:
            row = self.db.execute("SELECT request FROM requests WHERE url = ?", (url,)).fetchone()
            redo[url] = row[0] if row else None
        seen = {
            fp
            for fp, record_url in self.db.execute("SELECT fp, record_url FROM requests")
            if record_url not in lost_set
        }
        return list(redo.items()), seen

    @property
    def complete(self) -> bool:
        return self._meta("complete") == "1"

    def to_do(self) -> list[Request] | None:
        """The requests a resumed job makes (None: a new job, start from the home page).
        Nothing left while the job is not complete closes the run (``nothing_to_resume``)."""
        if not self.resumed:
            return None
        if self.redo:
            logger.info("resuming job %s: %d pages to fetch", self.jobdir, len(self.redo))
            return [self._request(url, saved) for url, saved in self.redo]
        if self.complete:
            logger.warning("nothing left to do: the job is complete")  # a warning: the log level of scheduled runs
            return []
        message = (
            f"nothing to resume: the ledger of JOBDIR={self.jobdir} holds no pending page although the job "
            "is not complete (its state is lost or inconsistent); start a new job in an empty JOBDIR"
        )
        self.crawler.signals.send_catch_log(atlas_signals.crawl_warning, message=message)
        raise CloseSpider(REASON_NOTHING_TO_RESUME)

    def _request(self, url: str, saved: bytes | None) -> Request:
        """A request as it was scheduled (callback, in-page table assembly and all),
        else a plain one for the spider's ``parse``. Never filtered: it is known already."""
        if saved is None:
            spider = self.crawler.spider
            return Request(url, callback=spider.parse, errback=getattr(spider, "failed", None), dont_filter=True)
        return request_from_dict(pickle.loads(saved), spider=self.crawler.spider).replace(dont_filter=True)

    # --- as the crawl goes -----------------------------------------------------------
    def fingerprint(self, request: Request) -> str:
        return self.crawler.request_fingerprinter.fingerprint(request).hex()

    def _row(self, request: Request) -> tuple[str, str, str | None, bytes | None]:
        """A request as Scrapy's disk queue keeps it (``Request.to_dict``, pickled)."""
        try:
            saved = pickle.dumps(request.to_dict(spider=self.crawler.spider), protocol=pickle.HIGHEST_PROTOCOL)
        except (ValueError, TypeError, AttributeError, pickle.PicklingError):
            saved = None  # fetched again as a plain page, through parse
        return self.fingerprint(request), request.url, request.meta.get("record_url"), saved

    def pending(self, request: Request) -> None:
        self.db.execute(
            "INSERT INTO requests (fp, url, record_url, state, request) VALUES (?, ?, ?, 'pending', ?) "
            "ON CONFLICT (fp) DO UPDATE SET state = 'pending', request = excluded.request",
            self._row(request),
        )

    def done(self, request: Request, children: Iterable[Request] = (), page_done: bool = True) -> None:
        """The page's output is consumed: the requests its callback gave are pending
        unless the ledger knows them already, and the page is done (``page_done``:
        not when it gave a record, done once that record is written:
        ``record_written``). One transaction: Scrapy may not have scheduled the
        requests yet (it queues a callback's output ahead of processing it)."""
        rows = [self._row(r) for r in children]
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO requests (fp, url, record_url, state, request) VALUES (?, ?, ?, 'pending', ?) "
            "ON CONFLICT (fp) DO NOTHING",
            rows,
        )
        if page_done:
            fp = self.fingerprint(request)
            self.db.execute("UPDATE requests SET state = 'done' WHERE fp = ? AND state = 'pending'", (fp,))
        if (parsed := self.lists.pop(request.url, None)) is not None:
            self.db.execute(
                "INSERT OR REPLACE INTO list_pages (page_url, parsed) VALUES (?, ?)", (request.url, json.dumps(parsed))
            )
        self.db.execute("COMMIT")

    def list_page_parsed(self, list_url: str, page_url: str, announced: int | None, ids: list[str], kind: str) -> None:
        self.lists[page_url] = {"list_url": list_url, "announced": announced, "ids": ids, "kind": kind}

    def list_pages(self) -> list[dict[str, Any]]:
        """Every list page parsed in the job (``list_page_parsed``'s arguments)."""
        return [json.loads(parsed) for (parsed,) in self.db.execute("SELECT parsed FROM list_pages ORDER BY rowid")]

    def redirected(self, urls: list[str]) -> None:
        self.db.executemany(
            "UPDATE requests SET state = 'done' WHERE url = ? AND state = 'pending'", [(u,) for u in urls]
        )

    def emitted(self, item: Any, page: Request) -> None:
        """A record a page gave, noted before the pipelines see it (they may write it
        at once), with the page it came from."""
        row = (ItemAdapter(item)["url"], json.dumps(list(record_key(item))), self.fingerprint(page))
        self.db.execute("INSERT OR REPLACE INTO records (url, key, state, page_fp) VALUES (?, ?, 'emitted', ?)", row)

    def record_written(self, item: Any) -> None:
        """The record is in the feed: it and its page are done, in one transaction."""
        self._record_ends(ItemAdapter(item).get("url"), "written")

    def item_dropped(self, item: Any) -> None:
        """Dropped on purpose (duplicate, invalid): not to be redone on resume."""
        self._record_ends(ItemAdapter(item).get("url"), "dropped")

    def _record_ends(self, url: str | None, state: str) -> None:
        self.db.execute("BEGIN")
        self.db.execute(
            "UPDATE requests SET state = 'done' WHERE state = 'pending' AND fp = "
            "(SELECT page_fp FROM records WHERE url = ?)",
            (url,),
        )
        self.db.execute("UPDATE records SET state = ? WHERE url = ?", (state, url))
        self.db.execute("COMMIT")

    def page_failed(self, url: str, reason: str, request: Request | None = None) -> None:
        """Failed for good, under the address the report names (``url``: the record's,
        or the first hop of a redirected request, not the last)."""
        if request is not None:
            self.db.execute(
                "UPDATE requests SET state = 'failed', reason = ?, record_url = COALESCE(record_url, ?) WHERE fp = ?",
                (reason, url if url != request.url else None, self.fingerprint(request)),
            )

    def spider_closed(self, reason: str) -> None:
        """A finished run leaves nothing to do: what is still pending was dropped on
        purpose (robots.txt, a limit) or was a missing menu page (404), never fetched again."""
        if reason == REASON_FINISHED:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE requests SET state = 'done' WHERE state = 'pending'")
            self._set_meta("complete", "1")
            self.db.execute("COMMIT")

    # --- the report's run state ----------------------------------------------------
    def run_state(self) -> dict[str, Any] | None:
        saved = self._meta("run_state")
        return json.loads(saved) if saved else None

    def save_run_state(self, state: dict[str, Any]) -> None:
        self._set_meta("run_state", json.dumps(state, ensure_ascii=False))

    def failures(self) -> dict[str, str]:
        """Pages failed for good, by the URL the report names (a table page's record)."""
        rows = self.db.execute("SELECT COALESCE(record_url, url), reason FROM requests WHERE state = 'failed'")
        return dict(rows)

    def _meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, name: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))


_LEDGERS: WeakKeyDictionary[Crawler, Ledger] = WeakKeyDictionary()


def ledger_of(crawler: Crawler) -> Ledger | None:
    """The crawler's ledger (opened on first use), None when it runs without ``JOBDIR``."""
    jobdir = job_dir(crawler.settings)
    if not jobdir:
        return None
    if crawler not in _LEDGERS:
        _LEDGERS[crawler] = Ledger(crawler, Path(jobdir))
    return _LEDGERS[crawler]


# --- the scheduler, its duplicate filter, the spider middleware -------------------------
class LedgerDupeFilter(BaseDupeFilter):
    """Every fingerprint the job has scheduled, read from the ledger: Scrapy's
    ``requests.seen`` is not read back after a kill."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.fingerprints = set(ledger.seen)

    def request_seen(self, request: Request) -> bool:
        fp = self.ledger.fingerprint(request)
        if fp in self.fingerprints:
            return True
        self.fingerprints.add(fp)
        return False

    def log(self, request: Request, spider: Any) -> None:
        spider.crawler.stats.inc_value("dupefilter/filtered")  # as Scrapy's RFPDupeFilter counts them


class LedgerScheduler(Scheduler):
    """``SCHEDULER``: Scrapy's scheduler; in a ``JOBDIR`` job with memory queues only
    (the ledger holds what is pending) and every accepted request written as pending."""

    ledger: Ledger | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerScheduler:
        ledger = ledger_of(crawler)
        if ledger is None:
            return super().from_crawler(crawler)
        scheduler = cls(
            dupefilter=LedgerDupeFilter(ledger),
            jobdir=None,  # no disk queue: it is read back only after a clean stop
            mqclass=load_object(crawler.settings["SCHEDULER_MEMORY_QUEUE"]),
            logunser=crawler.settings.getbool("SCHEDULER_DEBUG"),
            stats=crawler.stats,
            pqclass=load_object(crawler.settings["SCHEDULER_PRIORITY_QUEUE"]),
            crawler=crawler,
        )
        scheduler.ledger = ledger
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        if not super().enqueue_request(request):
            return False
        if self.ledger is not None:
            self.ledger.pending(request)
            if request.meta.get("redirect_urls"):  # the request it replaces is done
                self.ledger.redirected(request.meta["redirect_urls"])
        return True


class LedgerMiddleware:
    """Spider middleware: a resumed job starts where it stopped; a page is ``done`` in
    the ledger once its callback's output has been read, in the same transaction as
    the requests it gave become pending; each record is noted before it goes on to
    the pipelines. Outermost of the spider middlewares, so it sees what the others
    let through."""

    def __init__(self, ledger: Ledger | None) -> None:
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerMiddleware:
        return cls(ledger_of(crawler))

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """A resumed job starts from the pages it has left, not from the spider's
        start (the home page); a new job, or a crawl without ``JOBDIR``, from the spider's."""
        resumed = self.ledger.to_do() if self.ledger is not None else None
        if resumed is None:
            async for element in start:
                yield element
            return
        for request in resumed:
            yield request

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        if self.ledger is None:
            yield from result
            return
        children: list[Request] = []
        records: list[Any] = []
        try:
            for element in result:
                self._note(response, element, children, records)
                yield element
        finally:
            self._done(response, children, records)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        if self.ledger is None:
            async for element in result:
                yield element
            return
        children: list[Request] = []
        records: list[Any] = []
        try:
            async for element in result:
                self._note(response, element, children, records)
                yield element
        finally:
            self._done(response, children, records)

    def _note(self, response: Response, element: Any, children: list[Request], records: list[Any]) -> None:
        if isinstance(element, Request):
            children.append(element)
        elif element is not None:
            records.append(element)
            self.ledger.emitted(element, response.request)  # type: ignore[union-attr]

    def _done(self, response: Response, children: list[Request], records: list[Any]) -> None:
        """Not when the output was abandoned (a stop), nor after an error no one
        reported (the page accounting fails a callback's own errors before they get
        here): the page stays pending, to be fetched again."""
        error = sys.exc_info()[0]
        if error is GeneratorExit:
            return
        if error is not None:
            logger.error("the output of %s was cut by an error: the page stays to do", response.url)
        page_done = error is None and not records
        self.ledger.done(response.request, children, page_done=page_done)  # type: ignore[union-attr]
