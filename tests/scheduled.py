"""Helpers for the scheduled-crawl tests (crawls and replicas through
``atlas_crawler.replica.localrun``: ``crawl(base, None, …)`` runs as cron does, with no feed,
the run folder choosing the files; ``replica(port=…)`` keeps two editions of the
atlas at the same URLs)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from atlas_crawler.records import record_key


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def key(record: dict[str, Any]) -> tuple[str, str | None, str]:
    return record["type"], record.get("kind"), record["id"]


#: The replica's size for the scheduled runs of its changing world.
EDITION_PROJECTS = 40
#: The scheduled runs: (name, edition, faults, more settings). The interrupted run stops
#: itself after 25 pages (finish reason closespider_pagecount: incomplete, exit 1).
EDITION_RUNS = (
    ("first", 1, False, {}),
    ("second", 2, False, {}),
    ("faulty", 2, True, {}),
    ("interrupted", 3, False, {"CLOSESPIDER_PAGECOUNT": "25"}),
    ("third", 3, False, {}),
)


def versions_after(store: Path, run_no: int) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The records of the history's versions open once run ``run_no`` was added (the
    atlas as the history knew it then), by record key, ``crawled_at`` left out."""
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        found = db.execute(
            "SELECT record FROM versions JOIN version_records USING (version_id) "
            "WHERE from_run <= ? AND (to_run IS NULL OR to_run > ?)",
            (run_no, run_no),
        ).fetchall()
    records = (json.loads(text) for (text,) in found)
    return {record_key(r): {k: v for k, v in r.items() if k != "crawled_at"} for r in records}
