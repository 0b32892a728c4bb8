"""Helpers for the scheduled-crawl tests (crawls and replicas through
``atlas_crawler.replica.localrun``: ``crawl(base, None, …)`` runs as cron does, with no feed,
the run folder choosing the files; ``replica(port=…)`` keeps two editions of the
atlas at the same URLs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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
