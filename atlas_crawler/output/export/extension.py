"""``ATLAS_EXPORT = ["csv", "parquet", "sqlite"]``: export the crawl's JSON Lines feed
to tables when the engine stops (after every feed is closed and stored), into
``<feed stem>.tables/<format>/`` beside it. A crawl without a local JSON Lines
feed is logged and skipped; a failed export is logged and never fails the crawl,
whose records are already safe."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from atlas_crawler.output.export import FORMATS, export_file
from atlas_crawler.files import RunFiles

logger = logging.getLogger(__name__)


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
        path = RunFiles.of(self.crawler.settings).records
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
