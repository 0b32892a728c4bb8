"""The run report: one JSON file per crawl with what was done, what failed and
what was not found, so that every crawl says what it could not find."""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.http import Response

from atlas_crawler import signals as atlas_signals
from atlas_crawler.items import COLLECTIVITY_FIELDS, PROJECT_FIELDS
from atlas_crawler.urls import canonicalize

logger = logging.getLogger(__name__)
_COVERAGE_ITEMS = {
    "project": ("ProjectItem", PROJECT_FIELDS),
    "collectivity": ("CollectivityItem", COLLECTIVITY_FIELDS),
}


def report_path(settings: Any) -> Path:
    """``ATLAS_REPORT_PATH``, else ``<feed>.report.json`` beside the first local
    feed, else ``output/report.json``."""
    if settings.get("ATLAS_REPORT_PATH"):
        return Path(settings.get("ATLAS_REPORT_PATH"))
    for uri in settings.getdict("FEEDS") or {}:
        parts = urlsplit(str(uri))
        if parts.scheme in ("", "file") or len(parts.scheme) == 1:
            path = Path(parts.path if parts.scheme == "file" else str(uri))
            return path.with_name(path.name.split(".")[0] + ".report.json")
    return Path("output/report.json")


#: Scrapy stats a resumed job adds up over its runs (the rest describe the last run).
_CARRIED_STATS = ("downloader/request_count", "retry/count", "atlas/", "spidermon_item_scraped_count/")


class RunReport:
    """Collects the run from signals and writes the report when the spider closes.

    Under ``JOBDIR`` (a crawl paused and resumed) it keeps what it has collected in
    ``JOBDIR/atlas-report.json``, so the report of the last run covers the whole job."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = report_path(crawler.settings)
        self.started_at = datetime.now(UTC)
        self.runs = 1
        self.failures: dict[str, str] = {}
        self.rejected: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self.written: dict[str, set[str]] = defaultdict(set)
        self.fetched: Counter[str] = Counter()
        self.lists: dict[str, dict[str, Any]] = {}
        self.earlier_stats: dict[str, int] = {}
        jobdir = crawler.settings.get("JOBDIR")
        self.state_path = Path(jobdir) / "atlas-report.json" if jobdir else None
        if self.state_path is not None and self.state_path.exists():
            _refuse_to_overwrite_earlier_records(crawler.settings, jobdir)
            self.restore(json.loads(self.state_path.read_text("utf-8")))
        connect = crawler.signals.connect
        connect(self.item_scraped, signal=signals.item_scraped)
        connect(self.response_received, signal=signals.response_received)
        connect(self.spider_closed, signal=signals.spider_closed)
        connect(self.page_failed, signal=atlas_signals.page_failed)
        connect(self.list_page_parsed, signal=atlas_signals.list_page_parsed)
        connect(self.crawl_warning, signal=atlas_signals.crawl_warning)
        connect(self.record_rejected, signal=atlas_signals.record_rejected)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        return cls(crawler)

    # --- signals ----------------------------------------------------------
    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        adapter = ItemAdapter(item)
        self.written[adapter.get("type")].add(adapter.get("id"))

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if not request.url.endswith("/robots.txt"):  # not an atlas page; each run of a job reads it anew
            self.fetched[canonicalize(request.url)] += 1

    def page_failed(self, url: str, reason: str) -> None:
        self.failures[url] = reason

    def crawl_warning(self, message: str) -> None:
        logger.warning(message)
        self.warnings.append(message)

    def record_rejected(self, record_type: str, record_id: str, url: str, errors: list[str]) -> None:
        self.rejected.append({"type": record_type, "id": record_id, "url": url, "errors": errors})

    def list_page_parsed(self, list_url: str, page_url: str, announced: int | None, ids: list[str], kind: str) -> None:
        entry = self.lists.setdefault(list_url, {"announced": None, "pages": 0, "kind": kind, "ids": set()})
        entry["pages"] += 1
        entry["ids"].update(ids)
        if announced is not None:
            entry["announced"] = announced

    # --- a job paused and resumed (JOBDIR) --------------------------------
    def restore(self, state: dict[str, Any]) -> None:
        self.started_at = datetime.fromisoformat(state["started_at"])
        self.runs = state["runs"] + 1
        self.failures = state["failures"]
        self.rejected = state["rejected"]
        self.warnings = state["warnings"]
        self.written = defaultdict(set, {kind: set(ids) for kind, ids in state["written"].items()})
        self.fetched = Counter(state["fetched"])
        self.lists = {url: {**entry, "ids": set(entry["ids"])} for url, entry in state["lists"].items()}
        self.earlier_stats = state["stats"]
        logger.info("resuming job: run %d, %d pages fetched before", self.runs, len(self.fetched))

    def save_state(self, stats: dict[str, Any]) -> None:
        assert self.state_path is not None
        state = {
            "started_at": self.started_at.isoformat(),
            "runs": self.runs,
            "failures": self.failures,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "written": {kind: sorted(ids) for kind, ids in self.written.items()},
            "fetched": self.fetched,
            "lists": {url: {**entry, "ids": sorted(entry["ids"])} for url, entry in self.lists.items()},
            "stats": {k: v for k, v in stats.items() if k.startswith(_CARRIED_STATS) and isinstance(v, int)},
        }
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        self.state_path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    def job_stats(self) -> dict[str, Any]:
        """This run's stats, with the counters of the job's earlier runs added."""
        stats = dict(self.crawler.stats.get_stats())
        for key, value in self.earlier_stats.items():
            stats[key] = stats.get(key, 0) + value
        return stats

    # --- the report -------------------------------------------------------
    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.job_stats()
        report = self.build(reason, stats)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        logger.info("run report written to %s", self.path)
        if self.state_path is not None:
            self.save_state(stats)

    def build(self, reason: str, stats: dict[str, Any]) -> dict[str, Any]:
        finished = datetime.now(UTC)
        distinct = len(self.fetched)
        responses = sum(self.fetched.values())
        lists = []
        for url, entry in sorted(self.lists.items()):
            written = self.written["project" if entry["kind"] == "project" else "collectivity"]
            missing = sorted(entry["ids"] - written, key=int)
            lists.append(
                {
                    "url": url,
                    "kind": entry["kind"],
                    "pages": entry["pages"],
                    "announced": entry["announced"],
                    "listed": len(entry["ids"]),
                    "written": len(entry["ids"]) - len(missing),
                    "missing_ids": missing,
                    "complete": entry["announced"] == len(entry["ids"]) and not missing,
                }
            )
        return {
            "spider": self.crawler.spider.name if self.crawler.spider else None,
            "base_url": self.crawler.settings.get("ATLAS_BASE_URL"),
            "entry": getattr(self.crawler.spider, "entry", None),
            "started_at": _iso(self.started_at),
            "runs": self.runs,
            "finished_at": _iso(finished),
            "duration_seconds": round((finished - self.started_at).total_seconds(), 3),
            "finish_reason": reason,
            "records": {kind: len(ids) for kind, ids in sorted(self.written.items())},
            "pages_fetched": responses,
            "distinct_pages": distinct,
            "redundant_fetches": responses - distinct,
            "requests": stats.get("downloader/request_count", 0),
            "retries": stats.get("retry/count", 0),
            "soft_errors": stats.get("atlas/soft_errors", 0),
            "duplicates_dropped": stats.get("atlas/duplicates_dropped", 0),
            "failures": [{"url": u, "reason": r} for u, r in sorted(self.failures.items())],
            "invalid_records": self.rejected,
            "lists": {
                "checked": len(lists),
                "complete": sum(1 for item in lists if item["complete"]),
                "incomplete": [item for item in lists if not item["complete"]],
                "all": lists,
            },
            "browser": {
                k.removeprefix("playwright/"): v for k, v in sorted(stats.items()) if k.startswith("playwright/")
            },
            "monitors": stats.get("atlas/monitors", {}),
            "field_coverage": self.coverage(stats),
            "warnings": self.warnings,
        }

    def coverage(self, stats: dict[str, Any]) -> dict[str, Any]:
        """For each field, on how many written records it was non-empty
        (Spidermon's field counts; ``null``, ``[]``, ``{}`` count as empty)."""
        out: dict[str, Any] = {}
        for record_type, (item_name, fields) in _COVERAGE_ITEMS.items():
            total = stats.get(f"spidermon_item_scraped_count/{item_name}", 0)
            if not total:
                continue
            counts = {f: stats.get(f"spidermon_item_scraped_count/{item_name}/{f}", 0) for f in fields}
            out[record_type] = {
                "records": total,
                "fields": {f: {"found": n, "ratio": round(n / total, 4)} for f, n in counts.items()},
                "never_found": [f for f, n in counts.items() if n == 0],
            }
        return out


def _refuse_to_overwrite_earlier_records(settings: Any, jobdir: str) -> None:
    """Resuming a job with ``-O`` would empty the file its earlier runs wrote."""
    overwritten = [str(uri) for uri, options in (settings.getdict("FEEDS") or {}).items() if options.get("overwrite")]
    if overwritten:
        raise UsageError(
            f"JOBDIR={jobdir} is a job being resumed: -O would overwrite the records of its "
            f"earlier runs in {', '.join(overwritten)}; resume with -o (append) instead"
        )


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
