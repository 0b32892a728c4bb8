"""What a record is apart from its fields: its identity, and the JSON Lines files
that hold records (the feed, a run folder's ``records.jsonl``, the doubts file).

Every part of the crawler that keys, counts, compares or de-duplicates records
(the duplicates pipeline, the job ledger, the run state, the doubts, the changes,
the exports) takes the key from here, and every reader of a records file reads it
here, so that a French and a foreign collectivity with the same id never count as
one, and a damaged file is reported with its name and line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter

#: ``(type, kind, id)``: kind ``""`` for a project; ids as the atlas writes them (digits).
RecordKey = tuple[str, str, str]


class RecordsFileError(ValueError):
    """A line of a records file that is no JSON record; the message names the file and line."""


def record_key(record: Any) -> RecordKey:
    """A record's identity, from an item or a record read back from a file."""
    adapter = ItemAdapter(record)
    return (str(adapter.get("type")), adapter.get("kind") or "", str(adapter.get("id")))


def key_order(key: RecordKey) -> tuple[str, str, int, str]:
    """Sorting records by type, kind and id, ids in numeric order (they are digits)."""
    record_type, kind, record_id = key
    return record_type, kind, len(record_id), record_id


def key_fields(key: RecordKey) -> dict[str, str | None]:
    """``{"type", "kind", "id"}`` as output files write them (a project's kind is null)."""
    record_type, kind, record_id = key
    return {"type": record_type, "kind": kind or None, "id": record_id}


def label(key: RecordKey) -> str:
    """The record type as summaries name it: ``project``, ``french collectivity``…"""
    record_type, kind, _ = key
    return f"{kind} {record_type}" if kind else record_type


def read_records(path: Path, *, torn_end: bool = False) -> Iterator[dict[str, Any]]:
    """The records of a JSON Lines file, streamed. A line that is no JSON object (or
    not UTF-8, raw bytes or escaped half characters) raises ``RecordsFileError``
    naming the file and the line; with
    ``torn_end`` a last line without its newline that does not parse is left out
    (the record a killed run was writing)."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as error:
                raise RecordsFileError(f"{path}:{number}: not UTF-8 text ({error.reason})") from None
            except json.JSONDecodeError as error:
                if torn_end and not raw.endswith(b"\n"):
                    return
                raise RecordsFileError(f"{path}:{number}: not a JSON record ({error.msg})") from None
            if not isinstance(record, dict):
                raise RecordsFileError(f"{path}:{number}: a JSON {type(record).__name__}, not a record")
            if _SURROGATE_ESCAPE.search(raw) and _lone_surrogate(record):
                raise RecordsFileError(f"{path}:{number}: not UTF-8 text (a lone surrogate escape, \\ud800-\\udfff)")
            yield record


#: ``\\uD800``-``\\uDFFF`` in a line: JSON reads it, but as half a character that no UTF-8
#: file can hold (every later write of the record would fail, naming no file or line).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def _lone_surrogate(record: dict[str, Any]) -> bool:
    """True if a string of the record holds half a surrogate pair (a pair is one character)."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def records_by_key(records: Iterable[dict[str, Any]]) -> dict[RecordKey, dict[str, Any]]:
    """One record per key, the last one read winning (two appended crawls in one file)."""
    return {record_key(record): record for record in records}


def read_keys(path: Path) -> set[RecordKey]:
    """The keys of the records in a JSON Lines file."""
    return {record_key(record) for record in read_records(path)}


def repair_torn_line(path: Path) -> bool:
    """Cut a last line without its newline (a record being written when the process
    died); True if there was one."""
    with path.open("r+b") as f:
        size = f.seek(0, 2)
        if size == 0:
            return False
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return False
        end = size
        while end > 0:  # back to the last newline, a block at a time
            start = max(0, end - 65536)
            f.seek(start)
            newline = f.read(end - start).rfind(b"\n")
            if newline >= 0:
                end = start + newline + 1
                break
            end = start
        f.truncate(end)
    return True
