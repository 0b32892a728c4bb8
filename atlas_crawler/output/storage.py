"""A local-file feed storage that never leaves a half-written or emptied dataset.

Scrapy's ``FileFeedStorage`` opens the target itself: ``-O`` empties last week's file
the moment the crawl starts, and a crawl that dies or reaches nothing leaves it empty
or cut short. Here the run writes to a temporary file in the same directory (so the
final move is a rename on one file system) and the target changes only when the run
ends: replaced at once with ``os.replace`` (``-O``) or extended (``-o``). A run that
scraped no item leaves the target byte-identical, whatever the format would have
written for an empty feed (``[]``, a CSV header)."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FileFeedStorage

from atlas_crawler.files import file_mode

logger = logging.getLogger(__name__)


class AtomicFileFeedStorage(FileFeedStorage):
    """``FEED_STORAGES`` entry for the ``""`` and ``file`` schemes (``-o``/``-O`` files)."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None):
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.temp: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None):
        return cls(uri, feed_options=feed_options, crawler=crawler)

    @property
    def in_place(self) -> bool:
        """A ``JOBDIR`` job writes its feed in place: a record is in the file as soon as
        it is exported, so a job killed with ``kill -9`` keeps what it wrote and its
        resume reads the file (atlas_crawler/run/ledger.py); a temporary file would be lost."""
        return self.crawler is not None and bool(self.crawler.settings.get("JOBDIR"))

    def open(self, spider: Spider) -> IO[bytes]:
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.in_place:
            # Unbuffered: each line goes to the kernel at once, where it survives the
            # process (a record half written is cut off by the resume).
            return target.open(self.write_mode, buffering=0)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        self.temp = Path(name)
        return os.fdopen(handle, "wb")

    def store(self, file: IO[bytes]) -> None:
        if not file.closed:
            file.flush()
            os.fsync(file.fileno())
            file.close()
        if self.in_place:
            return
        assert self.temp is not None
        target = Path(self.path)
        items = self.crawler.stats.get_value("item_scraped_count", 0) if self.crawler else None
        if items == 0 and target.exists():
            logger.warning("no record scraped: %s left as it was", target)
            self.temp.unlink()
        elif self.write_mode == "ab" and target.exists():
            with target.open("ab") as out, self.temp.open("rb") as part:
                shutil.copyfileobj(part, out)
                out.flush()
                os.fsync(out.fileno())
            self.temp.unlink()
        else:
            os.chmod(self.temp, file_mode(target))
            os.replace(self.temp, target)
            _sync_directory(target.parent)
        self.temp = None


def _sync_directory(path: Path) -> None:
    """The rename survives a power cut only once its directory is on disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
