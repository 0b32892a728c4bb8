"""A local-file feed storage that never leaves a half-written, emptied or damaged dataset.

Scrapy's ``FileFeedStorage`` opens the target itself: ``-O`` empties last week's file
the moment the crawl starts, ``-o`` grows it record by record, and a crawl that dies,
fills the disk or reaches nothing leaves it emptied, cut short or with a torn last
line. Here the target changes only when a run ends, and in one step: the new file is
built beside it (same directory, so the move is a rename on one file system), synced,
moved over it with ``os.replace`` and the directory synced. ``-O``: the run's records;
``-o``: the target's bytes followed by the run's records. A run that scraped no item
leaves the target byte-identical, whatever the format would have written for an empty
feed (``[]``, a CSV header); a failure (a full disk) leaves it as it was.

A ``JOBDIR`` job writes its records into a working copy inside JOBDIR
(``RunFiles.working``), straight to the file (a record survives ``kill -9`` as soon as
it is exported; a resume reads it, atlas_crawler/run/ledger.py), and each run of the
job publishes at its end: the job's *base* (the target as it was when the job first
wrote, kept in JOBDIR; nothing for ``-O``) followed by the working copy. Publishing
again gives the same file, so resumes never add a record twice."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage
from scrapy.utils.defer import deferred_from_coro

from atlas_crawler import stats
from atlas_crawler.files import BASE_SUFFIX, RunFiles, copy_into, file_mode, replace_atomically, sync_directory
from atlas_crawler.outcome import DISK_FULL_ERRORS, REASON_DISK_FULL, REASON_FEED_NOT_WRITABLE
from atlas_crawler.records import repair_torn_line
from atlas_crawler.run.ledger import ledger_of

logger = logging.getLogger(__name__)
#: Beside the target, a one-off run's records that could not be published (a full disk).
UNPUBLISHED_SUFFIX = ".unpublished"


class AtomicFileFeedStorage(FileFeedStorage):
    """``FEED_STORAGES`` entry for the ``""`` and ``file`` schemes (``-o``/``-O`` files).
    Scrapy also builds one only to check that the scheme is supported: the constructor
    touches no file."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None):
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.target = Path(self.path)
        files = RunFiles.of(crawler.settings) if crawler is not None else None
        #: A JOBDIR job's working copy of this feed; None in a one-off run.
        self.work = files.working(self.target) if files is not None and files.jobdir is not None else None
        #: A one-off run's temporary file (``.<name>.*.part`` beside the target).
        self.temp: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None):
        return cls(uri, feed_options=feed_options, crawler=crawler)

    @property
    def base(self) -> Path:
        """What a job's records are added to when it publishes (JOBDIR only)."""
        assert self.work is not None
        return self.work.with_name(self.work.name + BASE_SUFFIX)

    # --- open --------------------------------------------------------------------
    def open(self, spider: Spider) -> IO[bytes]:
        """A file written through at once (no buffer): a write that fails, fails at
        the record being written (the exporter reports it), not at a later flush."""
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            if self.work is not None:
                return self._open_work()
            handle, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".part", dir=self.target.parent)
            os.close(handle)  # opened again by name: the file's name is then its path, for the messages
            self.temp = Path(name)
            return self.temp.open("wb", buffering=0)
        except OSError as error:
            self._failed(error, f"the feed {self.target} could not be opened", stop=True)
            raise

    def _open_work(self) -> IO[bytes]:
        """The working copy: emptied for a new job, continued (its torn last line cut
        off) by a resumed one; the job's base kept on first use."""
        assert self.work is not None and self.crawler is not None
        ledger = ledger_of(self.crawler)
        resumed = ledger is not None and ledger.resumed
        self.work.parent.mkdir(parents=True, exist_ok=True)
        if not resumed or not self.base.exists():
            self._keep_base()
        if resumed and self.work.exists() and repair_torn_line(self.work):
            logger.warning("%s ended with a cut line (the job was killed): the cut line removed", self.work)
        return self.work.open("ab" if resumed else "wb", buffering=0)

    def _keep_base(self) -> None:
        """The target as the job found it (``-o``), or nothing (``-O``): kept whole in
        JOBDIR, since the target itself is replaced at each publication."""
        appended = self.write_mode == "ab" and self.target.is_file()
        replace_atomically(self.base, lambda out: copy_into(out, self.target) if appended else None)

    # --- store -------------------------------------------------------------------
    def store(self, file: IO[bytes]) -> None:
        try:
            if not file.closed:
                file.flush()
                os.fsync(file.fileno())
                file.close()
            if self.work is not None:
                self._publish_job()
            else:
                self._publish_run()
        except OSError as error:
            kept = self._keep_part()
            self._failed(error, f"the feed {self.target} was not written ({self._kept()}{kept})")
            raise
        finally:
            if not file.closed:
                _close_quietly(file)
            if self.temp is not None:
                self.temp.unlink(missing_ok=True)
                self.temp = None

    def _publish_run(self) -> None:
        assert self.temp is not None
        target = self.target
        counts = self.crawler.stats if self.crawler else None
        lost = counts.get_value(stats.RECORDS_NOT_WRITTEN, 0) if counts else 0
        items = counts.get_value("item_scraped_count", 0) if counts else None
        if lost:
            kept = self._keep_part()
            logger.error("%d records could not be written: %s left as it was%s", lost, target, kept)
        elif (items == 0 or self.temp.stat().st_size == 0) and target.exists():
            logger.warning("no record written: %s left as it was", target)
        elif self.write_mode == "ab" and target.exists():
            temp = self.temp
            replace_atomically(target, lambda out: (copy_into(out, target), copy_into(out, temp)))
        else:
            os.chmod(self.temp, file_mode(target))
            os.replace(self.temp, target)
            self.temp = None
            sync_directory(target.parent)

    def _publish_job(self) -> None:
        assert self.work is not None
        parts = (self.base, self.work)
        if self.work.stat().st_size == 0 and self.target.exists():
            logger.warning("no record written in this job yet: %s left as it was", self.target)
        elif not _holds(self.target, parts):
            replace_atomically(self.target, lambda out: [copy_into(out, part) for part in parts])
            logger.info("%s published from the job's working copy %s", self.target, self.work)

    def _keep_part(self) -> str:
        """This run's records, not published, kept under a visible name beside the
        target (never deleted: hours of crawling); the words that say where."""
        if self.temp is None or not self.temp.exists():
            return ""
        part = self.target.with_name(self.target.name + UNPUBLISHED_SUFFIX)
        try:
            os.replace(self.temp, part)
        except OSError:
            return f"; this run's records are in {self.temp}"
        self.temp = None
        return f"; this run's records are in {part}"

    # --- failures ----------------------------------------------------------------
    def _kept(self) -> str:
        if self.work is not None:
            return f"left as it was; the job's records are safe in {self.work}"
        return "left as it was"

    def _failed(self, error: OSError, what: str, *, stop: bool = False) -> None:
        """A clear error in the log and in the stats (the crawl command's exit status
        reads it); ``stop``: the crawl is stopped, it would fetch the site for nothing."""
        disk_full = error.errno in DISK_FULL_ERRORS
        where = error.filename or self.target.parent
        if disk_full:
            again = "resume the job" if self.work is not None else "run again"
            message = f"{what}: no space left on {where} ({error.strerror}): make room, then {again}"
        else:
            message = f"{what}: {error.strerror or error} ({where})"
        logger.error(message)
        if self.crawler is None:
            return
        self.crawler.stats.set_value(
            stats.FEED_NOT_STORED, {"path": str(self.target), "error": message, "disk_full": disk_full}
        )
        if stop:
            try:
                engine = self.crawler.engine
            except RuntimeError:  # no crawl running (the storage used on its own)
                return
            if engine.spider is not None:
                reason = REASON_DISK_FULL if disk_full else REASON_FEED_NOT_WRITABLE
                deferred_from_coro(engine.close_spider_async(reason=reason))


def _holds(target: Path, parts: tuple[Path, ...]) -> bool:
    """The target is already these parts end to end (a resume that added nothing)."""
    if not target.is_file() or target.stat().st_size != sum(part.stat().st_size for part in parts):
        return False
    with target.open("rb") as have:
        for part in parts:
            with part.open("rb") as want:
                while block := want.read(1 << 20):
                    if have.read(len(block)) != block:
                        return False
    return True


def _close_quietly(file: IO[bytes]) -> None:
    """Close a file whose flush failed: its descriptor is released, the error was reported."""
    with contextlib.suppress(OSError):
        file.close()
