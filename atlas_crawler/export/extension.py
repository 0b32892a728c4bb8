"""``ATLAS_EXPORT = ["csv", "parquet", "sqlite"]``: export the crawl's JSON Lines feed
to tables when the engine stops (after every feed is closed and stored), into
``<feed stem>.tables/<format>/`` beside it. A crawl without a local JSON Lines
feed is logged and skipped; a failed export is logged and never fails the crawl,
whose records are already safe."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter

from atlas_crawler.export import FORMATS, export_file

logger = logging.getLogger(__name__)
JSON_LINES_FORMATS = ("jsonl", "jsonlines", "jl")


def local_path(uri: str) -> Path | None:
    """The local file a feed URI names, or None (s3://, ftp://, stdout:)."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme == "" or len(parts.scheme) == 1:  # a path, or a Windows drive letter
        return Path(uri)
    return None


def records_path(crawler: Crawler) -> Path | None:
    """The first local JSON Lines feed of this crawl: the feed exporter's own slots
    (URIs with ``%(name)s``/``%(time)s`` rendered), else the ``FEEDS`` setting."""
    exporter = next((m for m in crawler.extensions.middlewares if isinstance(m, FeedExporter)), None)
    candidates: list[tuple[str, str]] = [(slot.uri, slot.format) for slot in getattr(exporter, "slots", [])]
    if not candidates:
        feeds = crawler.settings.getdict("FEEDS") or {}
        candidates = [(str(uri), (options or {}).get("format", "")) for uri, options in feeds.items()]
    for uri, fmt in candidates:
        path = local_path(uri)
        if fmt in JSON_LINES_FORMATS and path is not None and "%(" not in str(path):
            return path
    return None


class AutoExport:
    def __init__(self, crawler: Crawler, formats: list[str]) -> None:
        self.crawler = crawler
        self.formats = formats
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AutoExport:
        formats = [f.strip() for f in crawler.settings.getlist("ATLAS_EXPORT") if f.strip()]
        if not formats:
            raise NotConfigured  # ATLAS_EXPORT empty: nothing to export (no warning: the default)
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            logger.error("ATLAS_EXPORT: unknown format %s (one of %s); no export", ", ".join(unknown), FORMATS)
            raise NotConfigured("ATLAS_EXPORT names an unknown format")
        return cls(crawler, formats)

    def engine_stopped(self) -> None:
        path = records_path(self.crawler)
        if path is None or not path.is_file():
            logger.warning(
                "ATLAS_EXPORT: no local JSON Lines feed to export (%s); give the crawl -o file.jsonl",
                path or "no such feed",
            )
            return
        started = time.perf_counter()
        try:
            done = export_file(path, self.formats)
        except Exception:
            logger.exception("ATLAS_EXPORT: exporting %s failed; the records are intact, run the export again", path)
            return
        for result in done:
            logger.info("tables (%s) written to %s", result.format, result.directory)
        logger.info("ATLAS_EXPORT: %s exported in %.1fs", path, time.perf_counter() - started)
