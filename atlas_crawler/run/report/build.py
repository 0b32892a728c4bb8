"""The run report as a dict: what was done, what failed and what was not found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from atlas_crawler import stats as names
from atlas_crawler.outcome import Tolerance
from atlas_crawler.run.state import RunState

_PAGE_TYPE = names.page_type("")
_LIMITS = names.LIMITS_PREFIX


def build_report(
    state: RunState,
    stats: dict[str, Any],
    reason: str,
    context: dict[str, Any],
    doubts: dict[str, Any] | None = None,
    tolerance: Tolerance | None = None,
) -> dict[str, Any]:
    """The report of a run (``context``: spider, base URL, entry; ``doubts``: the
    judged doubts, ``report.doubts.report_section``, None when not judged;
    ``tolerance``: how many pages the site may refuse, none when not given)."""
    finished = datetime.now(UTC)
    distinct = len(state.fetched)
    responses = sum(state.fetched.values())
    pages = state.pages()
    tolerance = tolerance or Tolerance(0, 0.0)
    lists = state.list_checks(tolerance.allowed(pages["linked"]))
    return {
        **context,
        "started_at": _iso(state.started_at),
        "runs": state.runs,
        "finished_at": _iso(finished),
        "duration_seconds": round(state.seconds(), 3),  # crawling time, monotonic, over a job's runs
        "finish_reason": reason,
        "records": state.records_by_type(),
        "pages_fetched": responses,
        "distinct_pages": distinct,
        "redundant_fetches": responses - distinct,
        "page_types": {k.removeprefix(_PAGE_TYPE): v for k, v in sorted(stats.items()) if k.startswith(_PAGE_TYPE)},
        "requests": stats.get("downloader/request_count", 0),
        "retries": stats.get("retry/count", 0),
        "soft_errors": stats.get(names.SOFT_ERRORS, 0),
        "duplicates_dropped": stats.get(names.DUPLICATES_DROPPED, 0),
        "limits": {k.removeprefix(_LIMITS): v for k, v in sorted(stats.items()) if k.startswith(_LIMITS)},
        "pages": pages,
        "tolerance": tolerance.to_json(pages["linked"]),
        "failures": [{"url": u, "reason": r} for u, r in sorted(state.failures.items())],
        "skipped": [{"url": u, "rule": r} for u, r in sorted(state.skipped.items())],
        "invalid_records": state.rejected,
        "lists": {
            "checked": len(lists),
            "complete": sum(1 for item in lists if item["complete"]),
            "incomplete": [item for item in lists if not item["complete"]],
            "all": lists,
        },
        "browser": {k.removeprefix("playwright/"): v for k, v in sorted(stats.items()) if k.startswith("playwright/")},
        "monitors": stats.get(names.MONITORS, {}),
        "field_coverage": state.coverage(),
        "unreadable": unreadable(state, stats),
        "doubts": doubts,
        "warnings": state.warnings,
    }


def unreadable(state: RunState, stats: dict[str, Any]) -> dict[str, Any]:
    """Per field: how many values were there but could not be read, with an example."""
    counts = {field: value for key, value in stats.items() if (field := names.unreadable_field(key))}
    return {path: {"count": n, "example": state.unreadable.get(path)} for path, n in sorted(counts.items())}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
