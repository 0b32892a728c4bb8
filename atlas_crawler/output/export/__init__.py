"""Flat tables from the JSON Lines records: CSV, Parquet or SQLite, with a
Frictionless ``datapackage.json`` beside them.

``python -m atlas_crawler.export RECORDS.jsonl|RUN_DIR --to csv|parquet|sqlite [--out DIR] [--excel]``;
``ATLAS_EXPORT`` does the same at the end of a crawl (``extension.py``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atlas_crawler.files import CHANGES, DOUBTS, JSON_LINES_FORMATS, beside, tables_dir
from atlas_crawler.output.export.datapackage import write_package
from atlas_crawler.output.export.tables import TABLES, ExportError, Row, table_rows
from atlas_crawler.output.export.writers import FORMATS, SQLITE_NAME, write_csv, write_parquet, write_sqlite
from atlas_crawler.records import RecordKey, key_order, read_records, record_key


__all__ = ["FORMATS", "TABLES", "ExportError", "export", "export_file", "records_file"]

logger = logging.getLogger(__name__)
#: JSON Lines files of a run folder that are not records (nor is ``<name>.doubts.jsonl``).
_NOT_RECORDS = (CHANGES, DOUBTS)


@dataclass
class Export:
    """What one export wrote: the folder, its files and the rows per table."""

    format: str
    directory: Path
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def records_file(path: Path) -> Path:
    """The records of ``path``: the file itself, or the one records file of a run folder."""
    if not path.is_dir():
        if not path.exists():
            raise FileNotFoundError(f"no records file at {path}")
        return path
    candidates = sorted(
        p
        for p in path.iterdir()
        if p.suffix.removeprefix(".") in JSON_LINES_FORMATS
        and p.name not in _NOT_RECORDS
        and not p.name.endswith(f".{DOUBTS}")
    )
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise FileNotFoundError(f"no records (*.jsonl) in {path}")
    raise ValueError(f"several records files in {path}: {', '.join(p.name for p in candidates)}; name one")


def unique_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (type, kind, id), the last one read winning (two appended
    crawls in one file), sorted by type and id so that exports of two runs compare."""
    by_key: dict[RecordKey, dict[str, Any]] = {}
    replaced = 0
    for record in records:
        key = record_key(record)
        replaced += key in by_key
        by_key[key] = record
    if replaced:
        logger.warning("%d records appear more than once in the input; the last of each is exported", replaced)
    return [by_key[key] for key in sorted(by_key, key=key_order)]


def _source(records: Sequence[dict[str, Any]]) -> str | None:
    url = next((r.get("url") for r in records if r.get("url")), None)
    return url.rsplit("/", 1)[0] + "/" if url else None


def write_tables(rows: dict[str, list[Row]], directory: Path, fmt: str, excel: bool = False, source: str | None = None):
    """One format's files and ``datapackage.json`` in ``directory``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    done = Export(fmt, directory, rows={t.name: len(rows[t.name]) for t in TABLES})
    if fmt == "csv":
        done.files = [write_csv(t, rows[t.name], directory / f"{t.name}.csv", excel) for t in TABLES]
    elif fmt == "parquet":
        done.files = [write_parquet(t, rows[t.name], directory / f"{t.name}.parquet") for t in TABLES]
    else:
        done.files = [write_sqlite(TABLES, rows, directory / SQLITE_NAME)]
    done.files.append(write_package(directory, TABLES, fmt, excel, source))
    return done


def export(
    records: Iterable[dict[str, Any]],
    directories: dict[str, Path],
    excel: bool = False,
    doubts: list[dict[str, Any]] | None = None,
) -> list[Export]:
    """Records -> tables, written once per ``{format: directory}``; ``doubts``: the
    lines of their crawl's doubts file (None: not known, ``doubted`` is null)."""
    unique = unique_records(records)
    rows = table_rows(unique, doubts)
    return [write_tables(rows, directory, fmt, excel, _source(unique)) for fmt, directory in directories.items()]


def export_file(path: Path, formats: Sequence[str], out: Path | None = None, excel: bool = False) -> list[Export]:
    """A records file or run folder -> tables. With ``out``, one format goes into
    ``out`` itself and several into ``out/<format>/``; without it, into
    ``<records stem>.tables/<format>/`` beside the records. The doubts come from
    the doubts file beside the records (``<records stem>.doubts.jsonl``)."""
    source = records_file(path)
    doubts_file = beside(source, DOUBTS)
    doubts = list(read_records(doubts_file)) if doubts_file.is_file() else None
    if doubts is None:
        logger.warning("no doubts file %s beside the records: the column doubted is left empty", doubts_file)
    if out is not None and len(formats) == 1:
        directories = {formats[0]: out}
    elif out is not None:
        directories = {fmt: out / fmt for fmt in formats}
    else:
        directories = {fmt: tables_dir(source, fmt) for fmt in formats}
    return export(read_records(source), directories, excel, doubts)
