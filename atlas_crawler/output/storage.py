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
from urllib.parse import unquote, urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter, FileFeedStorage

from atlas_crawler.run import folders

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
            os.chmod(self.temp, _file_mode(target))
            os.replace(self.temp, target)
            _sync_directory(target.parent)
        self.temp = None


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` as one step: a reader sees the old file or the
    new one, never half of one (the run report, ``changes.jsonl``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(name, _file_mode(path))
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _file_mode(target: Path) -> int:
    """The target's own permissions, else what ``open()`` would have given it
    (``mkstemp`` creates 0600 files, too private for a published dataset)."""
    if target.exists():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_directory(path: Path) -> None:
    """The rename survives a power cut only once its directory is on disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def local_path(uri: str) -> Path | None:
    """The local file a feed URI names, or None (s3://, ftp://, stdout:)."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme == "" or len(parts.scheme) == 1:  # a path, or a Windows drive letter
        return Path(uri)
    return None


def beside(records: Path, name: str) -> Path:
    """A file that belongs to a records file, beside it: ``atlas.jsonl`` ->
    ``atlas.<name>``; a run folder's ``records.jsonl`` -> ``<name>`` itself (the
    report, the doubts, the tables)."""
    stem = records.name.split(".")[0]
    return records.with_name(name if stem == folders.RECORDS.split(".")[0] else f"{stem}.{name}")


def local_feeds(settings: Any, crawler: Crawler | None = None) -> list[tuple[Path, str]]:
    """``(path, format)`` of this crawl's local feeds: the feed exporter's own slots
    (URIs with ``%(name)s``/``%(time)s`` rendered) when ``crawler`` has them, else
    the ``FEEDS`` setting. The run report and the automatic export both read it."""
    exporters = [e for e in crawler.extensions.middlewares if isinstance(e, FeedExporter)] if crawler else []
    feeds: list[tuple[str, str]] = [(slot.uri, slot.format) for e in exporters for slot in e.slots]
    if not feeds:
        configured = settings.getdict("FEEDS") or {}
        feeds = [(str(uri), (options or {}).get("format", "")) for uri, options in configured.items()]
    return [(path, fmt) for uri, fmt in feeds if (path := local_path(uri)) is not None]
