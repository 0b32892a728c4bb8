"""Writes the run's doubts file when the spider closes (every item is through the
pipelines by then), and the run report (and its HTML view) once the engine has
stopped: after every ``spider_closed`` handler (Spidermon's monitors among them)
has run, so the report holds the monitors' results whatever the extensions' order."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from atlas_crawler import stats
from atlas_crawler.files import RunFiles, write_atomically
from atlas_crawler.outcome import Tolerance
from atlas_crawler.run.doubts import report_section, write_doubts
from atlas_crawler.run.jobstate import job_stats
from atlas_crawler.run.report.build import build_report
from atlas_crawler.run.report.html import write_html
from atlas_crawler.run.state import judged_doubts, run_state

logger = logging.getLogger(__name__)


def save_report(path: Path, report: dict[str, Any]) -> None:
    """The report (moved into place whole: a reader never sees half of one) and
    its HTML view beside it, drawn from the records beside it."""
    write_atomically(path, json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8"))
    write_html(path)


class ReportWriter:
    """Writes the doubts file when the spider closes, and builds the report from the
    run state and the stats and writes it (and its HTML view) when the engine stops;
    always, also when the site was down. The automatic export, on ``engine_stopped``
    too, finds the doubts file written whatever the extensions' order."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.reason = "unknown"
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReportWriter:
        if not crawler.settings.getbool("ATLAS_REPORT_ENABLED"):
            raise NotConfigured  # ATLAS_REPORT_ENABLED off, e.g. `scrapy parse`: no report to overwrite
        return cls(crawler)

    def spider_closed(self, spider: Any, reason: str) -> None:
        self.reason = reason
        path = RunFiles.of(self.crawler.settings).doubts
        judged = judged_doubts(self.crawler)
        write_doubts(path, judged)
        logger.info("%d doubted records written to %s", len(judged.records), path)

    def engine_stopped(self) -> None:
        spider = self.crawler.spider
        context = {
            "spider": spider.name if spider else None,
            "base_url": self.crawler.settings.get("ATLAS_BASE_URL"),
            "entry": getattr(spider, "entry", None),
        }
        files = RunFiles.of(self.crawler.settings)
        doubts = report_section(judged_doubts(self.crawler), files.doubts)
        tolerance = Tolerance.from_settings(self.crawler.settings)
        report = build_report(run_state(self.crawler), job_stats(self.crawler), self.reason, context, doubts, tolerance)
        if token := self.crawler.settings.get("ATLAS_RUN_TOKEN"):
            report["run_token"] = token  # the crawl command's proof that this report is this run's
        path = files.report
        save_report(path, report)
        logger.info("run report written to %s (and its view, %s)", path, files.report_view.name)
        self.crawler.stats.set_value(stats.REPORT_PATH, str(path))
