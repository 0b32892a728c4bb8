"""What changed between two crawls: every project or collectivity added, removed or
changed (with each changed field's old and new value), and what this run could not
tell ("unknown"), so that a page that failed is never reported as a removal.

``python -m atlas_crawler.changes OLD NEW`` compares two run folders or two JSON
Lines files; a scheduled crawl (``ATLAS_RUNS_DIR``) writes ``changes.jsonl`` itself.

A record of OLD missing from NEW is *removed* only when NEW walked the whole atlas
(finish reason ``finished``, every failed page a project or collectivity page) and
nothing NEW failed could have hidden it: its own page did not fail, its id is not
among a list's missing ids, and (for a collectivity) no project it belongs to
failed. Otherwise it is *unknown*, with the reason."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from atlas_crawler.files import RECORDS, REPORT, beside, write_atomically
from atlas_crawler.outcome import EXIT_COMPLETE
from atlas_crawler.pages.registry import record_of_url
from atlas_crawler.records import RecordKey, key_fields, key_order, label, read_records, record_key, records_by_key

IGNORED_FIELDS = frozenset({"crawled_at"})  # differs on every run, says nothing about the atlas
CHANGES = ("added", "removed", "changed", "unknown")


def compare(
    old: dict[RecordKey, dict[str, Any]], new: dict[RecordKey, dict[str, Any]], report: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The changes from ``old`` to ``new``, sorted by type, kind and id; ``report``
    is NEW's run report (None: NEW is taken as a complete walk of the atlas)."""
    hidden = _Hidden(report)
    changes = []
    for key in sorted(old.keys() | new.keys(), key=key_order):
        before, after = old.get(key), new.get(key)
        entry: dict[str, Any] = key_fields(key)
        if before is None:
            assert after is not None
            changes.append({"change": "added", **entry, "url": after.get("url")})
        elif after is None:
            why = hidden.why(key, before)
            if why is None:
                changes.append({"change": "removed", **entry, "url": before.get("url")})
            else:
                changes.append({"change": "unknown", **entry, "url": before.get("url"), "reason": why})
        else:
            fields = changed_fields(before, after)
            if fields:
                changes.append({"change": "changed", **entry, "url": after.get("url"), "fields": fields})
    return changes


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field whose value differs, old and new (a field one side lacks is ``null``)."""
    names = [n for n in dict.fromkeys([*before, *after]) if n not in IGNORED_FIELDS]
    changed = {n: {"old": before.get(n), "new": after.get(n)} for n in names if before.get(n) != after.get(n)}
    if "kind" in changed and not before.get("kind") and not after.get("kind"):
        del changed["kind"]  # a project's kind, absent, null or "": the key reads them as one (records.record_key)
    return changed


def summarize(changes: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """``{record type: {added, removed, changed, unknown}}``."""
    counts: dict[str, dict[str, int]] = {}
    for change in changes:
        kind = label(record_key(change))
        counts.setdefault(kind, dict.fromkeys(CHANGES, 0))[change["change"]] += 1
    return dict(sorted(counts.items()))


def summary_line(counts: dict[str, dict[str, int]]) -> str:
    """``project: 3 added, 2 removed, 5 changed, 1 unknown; …`` (or ``no change``)."""
    parts = []
    for kind, numbers in counts.items():
        parts.append(f"{kind}: " + ", ".join(f"{numbers[c]} {c}" for c in CHANGES))
    return "; ".join(parts) or "no change"


def to_jsonl(changes: Iterable[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in changes).encode("utf-8")


def write_changes(path: Path, changes: list[dict[str, Any]]) -> None:
    write_atomically(path, to_jsonl(changes))


def not_whole(report: dict[str, Any]) -> str | None:
    """Why a run did not walk the whole atlas (None: it did, so it may remove the
    records it did not see, unless something it failed could have hidden them). A run
    whose outcome says it was not complete removes nothing: a list short of its count,
    a page robots.txt forbade, a records file not stored whole can all hide records."""
    reason = report.get("finish_reason")
    if reason != "finished":
        return f"the run did not walk the whole atlas (finish reason {reason})"
    failures = report.get("failures")
    if not isinstance(failures, list) or not all(isinstance(f, dict) and isinstance(f.get("url"), str)
                                                 for f in failures):  # fmt: skip
        return "the run's report does not list its failed pages in a readable form"
    others = [f["url"] for f in failures if record_of_url(f["url"]) is None]
    if others:
        return f"the run did not walk the whole atlas ({len(others)} list or menu pages failed)"
    result = report.get("outcome")
    if isinstance(result, dict) and result.get("exit_code") not in (None, EXIT_COMPLETE):
        because = "; ".join(result.get("incomplete_because") or []) or result.get("meaning") or "incomplete"
        return f"the run was not complete ({because})"
    return None


class _Hidden:
    """What in NEW's report could hide a record that still exists."""

    def __init__(self, report: dict[str, Any] | None) -> None:
        report = report if report is not None else {"finish_reason": "finished", "failures": []}
        self.not_whole = not_whole(report)
        self.failed: dict[tuple[str, str], str] = {}
        for failure in report.get("failures") if self.not_whole is None else []:
            if (record := record_of_url(failure["url"])) is not None:
                self.failed[record] = failure.get("reason") or "failed"
        self.missing: set[tuple[str, str]] = set()
        for entry in (report.get("lists") or {}).get("all") or (report.get("lists") or {}).get("incomplete") or []:
            for record_id in entry.get("missing_ids") or []:
                self.missing.add((entry.get("kind"), str(record_id)))

    def why(self, key: RecordKey, before: dict[str, Any]) -> str | None:
        """Why ``before``'s absence from NEW proves nothing (None: it was removed)."""
        if self.not_whole:
            return self.not_whole
        record_type, _, record_id = key
        if (record_type, record_id) in self.failed:
            return f"its page failed: {self.failed[record_type, record_id]}"
        if (record_type, record_id) in self.missing:
            return "listed but not written"
        for project_id in before.get("project_ids") or []:
            if ("project", str(project_id)) in self.failed or ("project", str(project_id)) in self.missing:
                return f"project {project_id}, through which it is reached, failed"
        return None


# --- comparing two runs or two files ---------------------------------------------
def read_file(path: Path) -> dict[RecordKey, dict[str, Any]]:
    """A JSON Lines file of records, by key (the last of a key read winning)."""
    return records_by_key(read_records(path))


def records_and_report(path: Path) -> tuple[Path, dict[str, Any] | None]:
    """A run folder's ``records.jsonl`` and ``report.json``, or a JSON Lines file and
    the ``<name>.report.json`` beside it (either report may be absent)."""
    if path.is_dir():
        records, report = path / RECORDS, path / REPORT
    else:
        records, report = path, beside(path, REPORT)
    if not records.exists():
        raise FileNotFoundError(f"no records at {records}")
    return records, (json.loads(report.read_text("utf-8")) if report.exists() else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m atlas_crawler.changes",
        description="Changes between two crawls (run folders or JSON Lines files), as JSON Lines.",
    )
    parser.add_argument("old", type=Path, help="the earlier run folder or records file")
    parser.add_argument("new", type=Path, help="the later run folder or records file")
    parser.add_argument("-o", "--output", type=Path, help="write the changes here (default: standard output)")
    parser.add_argument("--report", type=Path, help="NEW's run report, if not beside it (failed pages → unknown)")
    args = parser.parse_args(argv)
    try:
        old_records, _ = records_and_report(args.old)
        new_records, report = records_and_report(args.new)
    except FileNotFoundError as error:
        parser.error(str(error))
    if args.report:
        report = json.loads(args.report.read_text("utf-8"))
    changes = compare(read_file(old_records), read_file(new_records), report)
    if args.output:
        write_changes(args.output, changes)
    else:
        sys.stdout.buffer.write(to_jsonl(changes))
    print(f"changes from {args.old} to {args.new}: {summary_line(summarize(changes))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
