"""``scrapy crawl`` for cron and Scrapyd: Scrapy's own command, plus an exit status
that says how the run went (``atlas_crawler.outcome``), a lock so that two runs never
write the same files, and run folders (``ATLAS_RUNS_DIR``) with the changes since the
previous complete run."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import Settings

from atlas_crawler import outcome, stats
from atlas_crawler.files import CHANGES, LOG, RECORDS, REPORT, RunFiles, render_feed_uris
from atlas_crawler.run import changes, folders
from atlas_crawler.run.report.writer import save_report

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider; the exit status says whether the run was complete (see the README's table)"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        self.lock: folders.RunLock | None = None
        self.refused: str | None = None
        self.run_folder: Path | None = None
        if self.settings.getint("ATLAS_KEEP_RUNS") < 0:
            raise UsageError("ATLAS_KEEP_RUNS must be 0 (keep every run) or more", print_help=False)
        render_feeds(self.settings, args, opts)
        path = RunFiles.of(self.settings).lock
        if path is not None:
            lock = folders.RunLock(path)
            if not lock.acquire():
                self.refused = f"another crawl holds the lock {path} ({lock.holder()}): this one did not start"
                return
            self.lock = lock
        if self.settings.get("ATLAS_RUNS_DIR"):
            self.run_folder = use_run_folder(self.settings, folders.new_run(Path(self.settings.get("ATLAS_RUNS_DIR"))))

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if self.refused:
            logger.error(self.refused)
            print(self.refused, file=sys.stderr)
            self.exitcode = outcome.EXIT_LOCKED
            return
        try:
            self.exitcode = self.crawl(args, opts)
        finally:
            if self.lock is not None:
                self.lock.release()

    def crawl(self, args: list[str], opts: argparse.Namespace) -> int:
        """Scrapy's crawl, then the outcome: read from the report this run wrote."""
        if len(args) != 1:
            raise UsageError("name one spider: scrapy crawl <spider>" if args else "")
        assert self.crawler_process is not None
        started = time.time()
        crawler = self._create_crawler(args[0])
        log_handler = None
        if self.run_folder is not None:
            log_handler = add_run_log(crawler.settings, self.run_folder / LOG)
            tell(f"crawl started: run folder {self.run_folder} (log: {LOG})")
        try:
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
            if self.crawler_process.bootstrap_failed:
                tell(f"run outcome: refused (exit {outcome.EXIT_USAGE}): the crawl could not start", logging.ERROR)
                return outcome.EXIT_USAGE
            path = written_report_path(crawler)
            report = read_report(path, started)
            code = outcome.exit_code(report, responses=crawler.stats.get_value("downloader/response_count", 0))
            result: dict[str, Any] = {
                "exit_code": code,
                "meaning": outcome.describe(code),
                "incomplete_because": outcome.incomplete_because(report) if report else [f"no report at {path}"],
            }
            if self.run_folder is not None:
                result["run_folder"] = str(self.run_folder)
                self.finish_run_folder(crawler, report, code)
            if report is not None:
                report["outcome"] = result
                save_report(path, report)
            tell_outcome(result)
            return code
        finally:
            if log_handler:
                logging.root.removeHandler(log_handler)
                log_handler.close()

    def finish_run_folder(self, crawler: Crawler, report: dict[str, Any] | None, code: int) -> None:
        """Changes against the previous complete run, then ``latest`` and pruning."""
        assert self.run_folder is not None
        runs_dir = self.run_folder.parent
        previous = folders.latest_complete(runs_dir)
        records = self.run_folder / RECORDS
        found = []
        if previous is not None and records.exists():
            found = changes.compare(changes.read_file(previous / RECORDS), changes.read_file(records), report or {})
        changes.write_changes(self.run_folder / CHANGES, found)
        counts = changes.summarize(found)
        if report is not None:
            report["changes"] = {"since": previous.name if previous else None, "counts": counts}
        if previous is None:
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
        latest = folders.latest_complete(runs_dir)
        protect = {self.run_folder, *([latest] if latest else [])}
        for removed in folders.prune(runs_dir, crawler.settings.getint("ATLAS_KEEP_RUNS"), protect):
            tell(f"old run removed: {removed.name}")


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


def render_feeds(settings: Settings, args: list[str], opts: argparse.Namespace) -> None:
    """Feed URIs with ``%(name)s``/``%(time)s`` rendered once, before anything names a
    file from them (``atlas_crawler.files``): the exporter, the report, the lock, the
    ledger and the archive then all name the same file."""
    feeds = settings.getdict("FEEDS")
    if any("%(" in str(uri) for uri in feeds):
        params = {**vars(opts).get("spargs", {}), "name": args[0] if args else ""}
        settings.set("FEEDS", render_feed_uris(feeds, params), priority=settings.getpriority("FEEDS") or "cmdline")


def read_report(path: Path, started: float) -> dict[str, Any] | None:
    """The report this run wrote; None if there is none, or only an older run's."""
    try:
        if path.stat().st_mtime < started - 1:
            logger.error("the run report %s is older than this run: this run wrote none", path)
            return None
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        logger.error("no run report readable at %s (%s)", path, error)
        return None


def tell(message: str, level: int = logging.INFO) -> None:
    """To the log (Scrapyd's job log, the run folder's) and to the console (cron's mail)."""
    logger.log(level, message)
    print(message, flush=True)


def tell_outcome(result: dict[str, Any]) -> None:
    why = "; ".join(result["incomplete_because"])
    level = logging.INFO if result["exit_code"] == outcome.EXIT_COMPLETE else logging.WARNING
    tell(f"run outcome: {result['meaning']} (exit {result['exit_code']})" + (f": {why}" if why else ""), level)
