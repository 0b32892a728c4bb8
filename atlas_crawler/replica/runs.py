"""Run folders as a scheduled crawl of the replica would leave them, written without
crawling: for the history's tests and benchmark, where hundreds of weekly runs of a
changing atlas are needed and each would otherwise be a crawl.

``World.truth`` says what a perfect crawl writes; a run folder holds those records,
a report (its start and finish, finish reason, failures and outcome) and its
``.sequence``, as ``run.folders.new_run`` makes them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from atlas_crawler.files import RECORDS, REPORT
from atlas_crawler.run import folders

BASE = "http://127.0.0.1:8000/cncdext/dyn/public/atlas/"


def write_run(
    runs_dir: Path,
    moment: datetime,
    records: Iterable[dict[str, Any]],
    *,
    finish_reason: str | None = "finished",
    failed_urls: Iterable[str] = (),
    report: bool = True,
) -> Path:
    """A run folder made at ``moment`` holding ``records`` (``crawled_at`` set to the
    moment); ``failed_urls``: its failed pages (the site refused them: complete with
    known gaps); ``report=False``: a run killed before it wrote its report."""
    run = folders.new_run(runs_dir, moment)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    written = list(records)
    lines = [json.dumps({**r, "crawled_at": stamp}, ensure_ascii=False) + "\n" for r in written]
    (run / RECORDS).write_text("".join(lines), encoding="utf-8")
    if report:
        failures = [{"url": url, "reason": "soft error: Erreur technique"} for url in failed_urls]
        complete = finish_reason == "finished"
        counts = Counter(r["type"] for r in written)
        body = {
            "started_at": stamp,
            "finished_at": (moment + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "finish_reason": finish_reason,
            "records": dict(counts),
            "failures": failures,
            "doubts": {"records": 0},
            "outcome": {
                "exit_code": 0 if complete else 1,
                "meaning": ("complete with known gaps" if failures else "complete") if complete else "incomplete",
                "known_gaps": failures if complete else [],
            },
        }
        (run / REPORT).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return run
