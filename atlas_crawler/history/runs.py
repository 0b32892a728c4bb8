"""What the history reads of one run folder: its report, its records (by key), which
of them its crawl doubted, and when it ran.

A run killed before it wrote its report still counts: its records are read (a torn
last line left out) and, with no report to say it walked the whole atlas, it can add
and change records but end none."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atlas_crawler.files import DOUBTS, LOCK, RECORDS, REPORT, sha256_file
from atlas_crawler.items import RECORD_TYPES
from atlas_crawler.records import RecordKey, RecordsFileError, read_records, record_key, records_by_key
from atlas_crawler.run import folders
from atlas_crawler.run.changes import not_whole
from atlas_crawler.run.report.trend import RunSummary

_RECORD_TYPES = {record_type.name for record_type in RECORD_TYPES}
#: What the unknown rule is told of a run that left no report: it proves no removal.
NO_REPORT = {"finish_reason": "unknown: the run left no report"}


@dataclass
class Observation:
    """One run folder as the history reads it. ``records`` None: unreadable (``note``
    says why); ``doubted`` None: no doubts file (not known)."""

    folder: str
    sequence: int
    report: dict[str, Any] | None
    records: dict[RecordKey, dict[str, Any]] | None
    doubted: set[RecordKey] | None
    sha256: str | None
    note: str | None

    def rule_report(self) -> dict[str, Any]:
        """The report the unknown rule reads (``run.changes``)."""
        return self.report if self.report is not None else NO_REPORT

    def run_row(self) -> dict[str, Any]:
        """The run's columns in ``runs`` (the counts of changes come from the store)."""
        report = self.report or {}
        summary = RunSummary.of(self.folder, self.report)
        return {
            "folder": self.folder,
            "sequence": self.sequence,
            "started_at": report.get("started_at") or stamp_time(self.folder),
            "finished_at": report.get("finished_at"),
            "finish_reason": report.get("finish_reason"),
            "exit_code": summary.exit_code,
            "meaning": summary.meaning,
            "readable": self.report is not None,
            "saw_whole_atlas": self.records is not None and not_whole(self.rule_report()) is None,
            "records": None if self.records is None else len(self.records),
            "failures": summary.failures,
            "known_gaps": summary.known_gaps,
            "doubts": summary.doubts,
            "records_sha256": self.sha256,
            "note": self.note,
        }


def stamp_time(folder: str) -> str:
    """``2026-11-30T031500Z`` (or ``….2``) -> ``2026-11-30T03:15:00Z``."""
    stamp = folder.split(".", maxsplit=1)[0]
    return f"{stamp[:13]}:{stamp[13:15]}:{stamp[15:17]}Z"


def observe(run: Path, report: dict[str, Any] | None) -> Observation:
    """Read a run folder (see the module's docstring); ``report``: its ``read_report``."""
    notes = []
    if report is None:
        notes.append("no readable report.json: the run did not finish (it can end no record)")
    records = sha256 = None
    doubted: set[RecordKey] | None = None
    try:
        records = records_by_key(read_records(run / RECORDS, torn_end=True))
        sha256 = sha256_file(run / RECORDS)
        strangers = [key for key in records if key[0] not in _RECORD_TYPES]
        for key in strangers:
            del records[key]
        if strangers:
            notes.append(f"{len(strangers)} records of no known type left out (first: {strangers[0]})")
        if (run / DOUBTS).is_file():
            doubted = {record_key(d) for d in read_records(run / DOUBTS, torn_end=True)}
    except FileNotFoundError:
        notes.append(f"no {RECORDS}: nothing read from this run")
    except (RecordsFileError, OSError) as error:
        records = None
        notes.append(f"records not read: {error}")
    return Observation(run.name, folders.sequence(run), report, records, doubted, sha256, "; ".join(notes) or None)


def settled(run: Path, report: dict[str, Any] | None, newest: bool) -> bool:
    """True when the run is over: its report has its outcome, or a later run has
    started (runs are one at a time), or no crawl holds the runs folder's lock."""
    if report is not None and "outcome" in report:
        return True
    if not newest:
        return True
    lock = folders.RunLock(run.parent / LOCK)
    if not lock.acquire("reading the history"):
        return False
    lock.release()
    return True


def read_report(run: Path) -> dict[str, Any] | None:
    """The run's ``report.json``, or None when it has none it can read."""
    try:
        report = json.loads((run / REPORT).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None
