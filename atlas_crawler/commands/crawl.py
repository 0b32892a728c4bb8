"""``scrapy crawl`` for cron and Scrapyd: Scrapy's own command, plus an exit status
that says how the run went (``atlas_crawler.outcome``), locks so that two runs never
write the same files nor run the same ``JOBDIR`` job, and run folders
(``ATLAS_RUNS_DIR``) with the changes since the previous complete run. Nothing here
compares the clock with file times: a clock stepped back or ahead changes no outcome."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader
from twisted.internet.defer import Deferred, FirstError
from twisted.python.failure import Failure

from atlas_crawler import history, outcome, stats
from atlas_crawler.commands import checks
from atlas_crawler.files import CHANGES, LOG, RECORDS, REPORT, RunFiles, render_feed_uris
from atlas_crawler.output.export import ExportError
from atlas_crawler.records import RecordsFileError
from atlas_crawler.run import changes, folders
from atlas_crawler.run.report.writer import save_report

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; the exit status says whether the run was complete (see the README's table)"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        self.locks: list[folders.RunLock] = []
        self.refused: tuple[int, str] | None = None
        self.run_folder: Path | None = None
        environment = checks.from_environment(self.settings)
        try:
            super().process_options(args, opts)
        except UsageError as error:  # Scrapy's own -s/-a/-o checks: one line too, without the usage text
            if opts.nolog:
                self.settings.set("LOG_ENABLED", False, priority="cmdline")
            self.refuse(checks.option_problems(opts, self.settings) or [str(error)])
            return
        if found := checks.problems(self.settings, environment) + spider_problems(self.settings, args, opts):
            self.refuse(found)
            return
        #: This run's token: the report it writes carries it (``ATLAS_RUN_TOKEN``).
        self.token = uuid.uuid4().hex
        self.settings.set("ATLAS_RUN_TOKEN", self.token, priority="cmdline")
        render_feeds(self.settings, args, opts)
        files = RunFiles.of(self.settings)
        where: Path | None = None  # the folder being written to (a write error names no file)
        try:
            # The job's lock first: one run of a JOBDIR job at a time, whatever its feeds;
            # then the feeds' (or the runs folder's): one run writing them at a time.
            for path in (files.job_lock, files.lock):
                if path is None:
                    continue
                where = path.parent
                lock = folders.RunLock(path)
                if not lock.acquire(holding(self.settings, files)):
                    message = f"another crawl holds the lock {path} ({lock.holder()}): this one did not start"
                    self.refused = (outcome.EXIT_LOCKED, message)
                    return
                self.locks.append(lock)
            if self.settings.get("ATLAS_RUNS_DIR"):
                runs_dir = where = Path(self.settings.get("ATLAS_RUNS_DIR"))
                self.run_folder = use_run_folder(self.settings, folders.new_run(runs_dir))
        except OSError as error:
            if error.errno not in outcome.DISK_FULL_ERRORS:
                raise
            self.refused = (outcome.EXIT_DISK_FULL, no_room(error.filename or where))

    def refuse(self, problems: list[str]) -> None:
        """Refused before anything starts (no lock, no run folder): every problem, on one line."""
        assert self.settings is not None
        if checks.value_problem(self.settings, "LOG_LEVEL", None):  # Scrapy's log setup would raise on it
            self.settings.set("LOG_LEVEL", checks.defaults()["LOG_LEVEL"], priority="cmdline")
        self.refused = (outcome.EXIT_USAGE, f"run outcome: refused (exit {outcome.EXIT_USAGE}): {'; '.join(problems)}")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            if self.refused:
                self.exitcode, message = self.refused
                logger.error(message)
                print(message, file=sys.stderr)
                if self.exitcode == outcome.EXIT_DISK_FULL:
                    tell(f"run outcome: {outcome.describe(self.exitcode)} (exit {self.exitcode}): {message}")
                return
            self.exitcode = self.crawl(args, opts)
        finally:
            for lock in reversed(self.locks):
                lock.release()

    def crawl(self, args: list[str], opts: argparse.Namespace) -> int:
        """Scrapy's crawl, then the outcome: read from the report this run wrote."""
        if len(args) != 1:
            raise UsageError("name one spider: scrapy crawl <spider>" if args else "")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        log_handler = None
        if self.run_folder is not None:
            log_handler = add_run_log(crawler.settings, self.run_folder / LOG)
            tell(f"crawl started: run folder {self.run_folder} (log: {LOG})")
            for run in folders.stamped_in_the_future(self.run_folder.parent):
                tell(
                    f"run folder {run.name} is stamped in the future (made while the clock was ahead?): "
                    "runs are ordered by when they were made, not by their names",
                    logging.WARNING,
                )
        try:
            errors: list[BaseException] = []
            keep_error(self.crawler_process.crawl(crawler, **opts.spargs), errors)
            self.crawler_process.start()
            if self.crawler_process.bootstrap_failed:
                return not_started(errors, crawler.settings)
            path = written_report_path(crawler)
            report = read_report(path, self.token)
            code = outcome.exit_code(report, responses=crawler.stats.get_value("downloader/response_count", 0))
            result = outcome.result(report, code, f"no report at {path}")
            code = feed_outcome(crawler, code, result["incomplete_because"])
            if code != result["exit_code"]:  # the feed was not written: no known gaps, no completeness
                result.update(exit_code=code, meaning=outcome.describe(code), known_gaps=[])
            if self.run_folder is not None:
                result["run_folder"] = str(self.run_folder)
                self.finish_run_folder(report, result)
            if report is not None:
                report["outcome"] = result
                save_report(path, report)
            if self.run_folder is not None:
                self.tidy_runs(crawler, report, result)
            tell_outcome(result)
            return code
        finally:
            if log_handler:
                logging.root.removeHandler(log_handler)
                log_handler.close()

    def finish_run_folder(self, report: dict[str, Any] | None, result: dict[str, Any]) -> None:
        """Changes against the previous complete run, then ``latest`` (before the
        report is saved: the report says both). ``result``: the run's outcome, which the
        changes' unknown rule reads (an incomplete run removes nothing)."""
        code = result["exit_code"]
        assert self.run_folder is not None
        runs_dir = self.run_folder.parent
        previous = folders.latest_complete(runs_dir)
        records = self.run_folder / RECORDS
        found = []
        unreadable = None
        if previous is not None and records.exists():
            try:
                found = changes.compare(
                    changes.read_file(previous / RECORDS),
                    changes.read_file(records),
                    {**(report or {}), "outcome": result},
                )
            except RecordsFileError as error:  # names the file and the line
                unreadable = f"changes not computed: {error}"
        changes.write_changes(self.run_folder / CHANGES, found)
        counts = changes.summarize(found)
        if report is not None:
            report["changes"] = {"since": previous.name if previous else None, "counts": counts}
            if unreadable:
                report["changes"]["error"] = unreadable
        if unreadable:
            tell(unreadable, logging.WARNING)
        elif previous is None:
            tell("changes: no earlier complete run to compare with")
        else:
            tell(f"changes since {previous.name}: {changes.summary_line(counts)}")
        if code == outcome.EXIT_COMPLETE:
            folders.point_latest(runs_dir, self.run_folder)
            tell(f"latest -> {self.run_folder.name}")
        else:
            tell(
                f"latest left at {previous.name if previous else 'nothing'}: this run is not complete", logging.WARNING
            )

    def tidy_runs(self, crawler: Crawler, report: dict[str, Any] | None, result: dict[str, Any]) -> None:
        """Once the report is saved: the history (``ATLAS_HISTORY``), then pruning (a
        pruned run stays in the history), then the runs folder's ``status.json``."""
        assert self.run_folder is not None
        runs_dir = self.run_folder.parent
        latest = folders.latest_complete(runs_dir)
        protect = {self.run_folder, *([latest] if latest else [])}
        try:
            if crawler.settings.getbool("ATLAS_HISTORY"):
                result["history"] = add_to_history(runs_dir)
                held = history.held_runs(runs_dir)
                waiting = [run for run in folders.all_runs(runs_dir) if run.name not in held]
                protect.update(waiting)  # a run the history lacks is never pruned: it would be lost to it
                if waiting:
                    tell(f"{len(waiting)} run folder(s) kept until the history holds them", logging.WARNING)
            for removed in folders.prune(runs_dir, crawler.settings.getint("ATLAS_KEEP_RUNS"), protect):
                tell(f"old run removed: {removed.name}")
        finally:
            folders.write_status(runs_dir, self.run_folder, report, result)


def add_to_history(runs_dir: Path) -> str:
    """The runs not yet in the history, added (this one included); what happened, in
    one line. A history that cannot be updated is an error in the log and in
    ``status.json``, not a failed run: the run's records are published whatever
    becomes of the history, and the next update adds what this one could not."""
    try:
        done = history.update(runs_dir, tell=logger.info)
    except Exception as error:  # even a bug must not cost the run its status and pruning
        foreseen = isinstance(error, (history.HistoryError, sqlite3.Error, OSError, RecordsFileError, ExportError))
        if not foreseen:
            logger.exception("history not updated")  # a bug: its traceback in the log
        line = f"history not updated: {error}" if foreseen else f"history not updated: {type(error).__name__}: {error}"
        tell(line, logging.ERROR)
        return line
    line = f"history: {len(done.added)} run(s) added to {done.store}"
    for why in [*done.left, *done.unreadable, *([done.parquet_error] if done.parquet_error else [])]:
        tell(f"history: {why}", logging.WARNING)
    tell(line)
    return line


def use_run_folder(settings: Settings, folder: Path) -> Path:
    """Point the records and the report into ``folder`` (feeds given with ``-o``/``-O``
    are kept, after the run folder's own)."""
    feeds = {str(folder / RECORDS): {"format": "jsonl", "overwrite": True}}
    feeds.update(settings.getdict("FEEDS"))
    settings.set("FEEDS", feeds, priority="cmdline")
    settings.set("ATLAS_REPORT_PATH", str(folder / REPORT), priority="cmdline")
    return folder


def add_run_log(settings: Settings, path: Path) -> logging.Handler:
    """A copy of the log in the run folder, beside wherever the log already goes
    (the console, or Scrapyd's own log file)."""
    handler = logging.FileHandler(path, encoding=settings.get("LOG_ENCODING"))
    handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL"))
    logging.root.addHandler(handler)
    return handler


def written_report_path(crawler: Crawler) -> Path:
    """Where the report writer says it wrote the report, else where the settings put it."""
    written = crawler.stats.get_value(stats.REPORT_PATH)
    return Path(written) if written else RunFiles.of(crawler.settings).report


def spider_problems(settings: Settings, args: list[str], opts: argparse.Namespace) -> list[str]:
    """The spider's own check of its ``-a`` arguments (``argument_problems``), if it has one."""
    if len(args) != 1:
        return []  # Scrapy's usage error, said by crawl()
    try:
        spidercls = get_spider_loader(settings).load(args[0])
    except KeyError:
        return [f"no spider named {args[0]!r} (scrapy list names them)"]
    check = getattr(spidercls, "argument_problems", None)
    return list(check(opts.spargs)) if check is not None else []


def render_feeds(settings: Settings, args: list[str], opts: argparse.Namespace) -> None:
    """Feed URIs with ``%(name)s``/``%(time)s`` rendered once, before anything names a
    file from them (``atlas_crawler.files``): the exporter, the report, the lock, the
    ledger and the archive then all name the same file."""
    feeds = settings.getdict("FEEDS")
    if any("%(" in str(uri) for uri in feeds):
        params = {**vars(opts).get("spargs", {}), "name": args[0] if args else ""}
        settings.set("FEEDS", render_feed_uris(feeds, params), priority=settings.getpriority("FEEDS") or "cmdline")


def read_report(path: Path, token: str) -> dict[str, Any] | None:
    """The report this run wrote (it carries this run's token); None if there is none,
    or only an earlier run's. Not judged by the file's time: clocks are stepped."""
    try:
        report = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        logger.error("no run report readable at %s (%s)", path, error)
        return None
    if not isinstance(report, dict) or report.get("run_token") != token:
        logger.error("the run report %s is not this run's (an earlier run's): this run wrote none", path)
        return None
    return report


def holding(settings: Settings, files: RunFiles) -> str:
    """What a run holding the locks does, as the lock files say it to a run refused."""
    parts = [f"JOBDIR {files.jobdir}"] if files.jobdir else []
    parts += [f"feed {feed.path}" for feed in files.feeds]
    if settings.get("ATLAS_RUNS_DIR"):
        parts.append(f"runs {settings.get('ATLAS_RUNS_DIR')}")
    return ", ".join(parts)


def no_room(where: object) -> str:
    return f"no space left on {where}: make room, then run again"


def keep_error(started: object, errors: list[BaseException]) -> None:
    """Keep the exception that stopped the crawl from starting (Scrapy only says that it
    failed). Twisted's ``Deferred`` or an asyncio task, as the crawler process gives."""
    if isinstance(started, Deferred):

        def kept(failure: Failure) -> Failure:
            errors.append(failure.value)
            return failure  # still logged as Scrapy logs it

        started.addErrback(kept)
    elif isinstance(started, asyncio.Future):

        def done(task: asyncio.Future[Any]) -> None:
            if not task.cancelled() and (error := task.exception()) is not None:
                errors.append(error)
                logger.error("the crawl could not start", exc_info=error)  # retrieved here: logged here

        started.add_done_callback(done)


def not_started(errors: list[BaseException], settings: Settings) -> int:
    """The exit status of a crawl that could not start, said on the console: a full disk
    (8), a refusal with its own status (``outcome.RefusedError``), else a usage error (2)."""
    causes = [cause for error in errors for cause in _causes(error)]
    full = next((where for cause in causes if (where := disk_full_at(cause, settings))), None)
    if full is not None:
        code, why = outcome.EXIT_DISK_FULL, no_room(full)
    elif refused := next((cause for cause in causes if isinstance(cause, outcome.RefusedError)), None):
        code, why = refused.code, str(refused)
    else:
        code, why = outcome.EXIT_USAGE, "the crawl could not start" + (f": {real_reason(errors)}" if errors else "")
    meaning = "refused" if code == outcome.EXIT_USAGE else outcome.describe(code)
    tell(f"run outcome: {meaning} (exit {code}): {why}", logging.ERROR)
    return code


def real_reason(errors: list[BaseException]) -> str:
    """What stopped the crawl from starting, in one line: the exception a component
    raised (the spider's ValueError, Spidermon's NotConfigured...), not a wrapper of it."""
    error = errors[0]
    while True:
        if isinstance(error, FirstError):
            error = error.subFailure.value
        elif isinstance(error, BaseExceptionGroup) and error.exceptions:
            error = error.exceptions[0]
        else:
            return checks.one_line(error)


def disk_full_at(error: BaseException, settings: Settings) -> object | None:
    """Where the disk was full, if that is what stopped the crawl from starting (no
    space, a quota, the file-size limit; SQLite's own "database or disk is full")."""
    for cause in _causes(error):
        if isinstance(cause, OSError) and cause.errno in outcome.DISK_FULL_ERRORS:
            return cause.filename or settings.get("JOBDIR") or "the disk"
        if isinstance(cause, sqlite3.Error) and getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return settings.get("JOBDIR") or "the disk"
    return None


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def feed_outcome(crawler: Crawler, code: int, because: list[str]) -> int:
    """A feed that could not be written or published (``FEED_NOT_STORED``): never a
    complete run; exit 8 when the disk was full."""
    unstored = crawler.stats.get_value(stats.FEED_NOT_STORED)
    if not unstored:
        return code
    because.append(unstored["error"])
    if unstored["disk_full"]:
        return outcome.EXIT_DISK_FULL
    return outcome.EXIT_INCOMPLETE if code == outcome.EXIT_COMPLETE else code


def tell(message: str, level: int = logging.INFO) -> None:
    """To the log (Scrapyd's job log, the run folder's) and to the console (cron's mail)."""
    logger.log(level, message)
    print(message, flush=True)


#: Known gaps named one by one on the console (cron's mail); all of them are in the report.
_GAPS_TOLD = 10


def tell_outcome(result: dict[str, Any]) -> None:
    why = "; ".join(result["incomplete_because"])
    gaps = result.get("known_gaps") or []
    level = logging.INFO if result["exit_code"] == outcome.EXIT_COMPLETE else logging.WARNING
    for gap in gaps[:_GAPS_TOLD]:
        tell(f"known gap: {gap['url']} ({gap['reason']})", logging.WARNING)
    if len(gaps) > _GAPS_TOLD:
        tell(f"known gaps: {len(gaps) - _GAPS_TOLD} more, every one in the report's outcome", logging.WARNING)
    said = f": {len(gaps)} pages the site refuses" if gaps else (f": {why}" if why else "")
    tell(f"run outcome: {result['meaning']} (exit {result['exit_code']}){said}", level)
