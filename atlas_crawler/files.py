"""Every file a run writes, named once.

A crawl writes its records (``-o``/``-O`` feeds, or a run folder's ``records.jsonl``)
and, beside them, the run report and its HTML view, the doubts file, the archival
dump and the flat tables; a lock keeps two crawls off the same files. ``RunFiles``
derives all of them from the settings in one place, and ``beside`` is the one rule
for a file that belongs to a records file: ``atlas.jsonl`` -> ``atlas.report.json``,
a run folder's ``records.jsonl`` -> ``report.json``.

Feed URIs with ``%(name)s``/``%(time)s`` are rendered once, before the crawl starts
(``render_feed_uris``, called by the crawl command), so that the feed exporter, the
report, the lock, the ledger and the archive all name the same file."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# --- names inside a run folder (ATLAS_RUNS_DIR/<stamp>/) -----------------------------
RECORDS = "records.jsonl"
REPORT = "report.json"
REPORT_VIEW = "report.html"
DOUBTS = "doubts.jsonl"
LOG = "crawl.log"
CHANGES = "changes.jsonl"
TABLES = "tables"
ARCHIVE = "archive"
LATEST = "latest"
LOCK = ".lock"
#: Where a crawl without any local feed puts its report and its dump.
DEFAULT_REPORT = Path("output/report.json")
DEFAULT_ARCHIVE = Path("output/archive")
JSON_LINES_FORMATS = ("jsonl", "jsonlines", "jl")


@dataclass(frozen=True)
class Feed:
    """A local feed file of the run."""

    path: Path
    format: str


@dataclass(frozen=True)
class RunFiles:
    """The files of one run. ``records`` is the first local JSON Lines feed (what a
    resumed job reads, what the exports and the HTML view read); the report, the
    doubts, the dump and the lock lie beside it (beside the first local feed of any
    format when there is no JSON Lines one)."""

    feeds: tuple[Feed, ...]
    records: Path | None
    report: Path
    doubts: Path
    archive: Path
    lock: Path | None

    @classmethod
    def of(cls, settings: Any) -> RunFiles:
        feeds = tuple(
            Feed(path, str(options.get("format") or ""))
            for uri, options in (settings.getdict("FEEDS") or {}).items()
            if (path := local_path(str(uri))) is not None
        )
        records = next((f.path for f in feeds if f.format in JSON_LINES_FORMATS), None)
        anchor = records or next((f.path for f in feeds), None)
        report = Path(settings.get("ATLAS_REPORT_PATH") or (beside(anchor, REPORT) if anchor else DEFAULT_REPORT))
        archive = settings.get("ATLAS_ARCHIVE_DIR")
        runs_dir = settings.get("ATLAS_RUNS_DIR")
        return cls(
            feeds=feeds,
            records=records,
            report=report,
            doubts=beside(anchor, DOUBTS) if anchor else report.with_name(DOUBTS),
            archive=Path(archive) if archive else beside(anchor, ARCHIVE) if anchor else DEFAULT_ARCHIVE,
            lock=Path(runs_dir) / LOCK if runs_dir else anchor.with_name(f".{anchor.name}.lock") if anchor else None,
        )

    @property
    def report_view(self) -> Path:
        return report_view(self.report)

    def tables(self, fmt: str) -> Path | None:
        """Where the flat tables of one format go (None without a records file)."""
        return tables_dir(self.records, fmt) if self.records else None


def local_path(uri: str) -> Path | None:
    """The local file a feed URI names, or None (s3://, ftp://, stdout:, or a URI
    whose ``%(…)s`` parameters were not rendered: no one file)."""
    if "%(" in uri:
        return None
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme == "" or len(parts.scheme) == 1:  # a path, or a Windows drive letter
        return Path(uri)
    return None


def beside(records: Path, name: str) -> Path:
    """A file that belongs to a records file, beside it: ``atlas.jsonl`` ->
    ``atlas.<name>``; a run folder's ``records.jsonl`` -> ``<name>`` itself."""
    stem = records.name.split(".")[0]
    return records.with_name(name if stem == RECORDS.split(".", maxsplit=1)[0] else f"{stem}.{name}")


def tables_dir(records: Path, fmt: str) -> Path:
    """``atlas.jsonl`` -> ``atlas.tables/<fmt>/``; a run folder's -> ``tables/<fmt>/``."""
    return beside(records, TABLES) / fmt


def report_view(report: Path) -> Path:
    """``atlas.report.json`` -> ``atlas.report.html``; ``report.json`` -> ``report.html``."""
    return report.with_name(report.name.removesuffix(".json") + ".html")


def records_of_report(report: Path) -> Path | None:
    """The records a report describes, when they lie beside it (``beside`` read
    backwards): ``atlas.report.json`` -> ``atlas.jsonl``; ``report.json`` -> ``records.jsonl``."""
    stem = report.name.removesuffix(".json").removesuffix(".report")
    for candidate in (f"{stem}.jsonl", RECORDS) if stem != "report" else (RECORDS,):
        if (path := report.with_name(candidate)).is_file():
            return path
    return None


def render_feed_uris(feeds: dict[str, Any], params: dict[str, Any], moment: datetime | None = None) -> dict[str, Any]:
    """``FEEDS`` with ``%(name)s``, ``%(time)s`` and the spider's arguments filled in
    as Scrapy's feed exporter fills them; a URI with other parameters (batches, a
    ``uri_params`` function) is left to the exporter."""
    now = (moment or datetime.now(UTC)).replace(microsecond=0)
    values = {**params, "time": now.isoformat().replace(":", "-")}
    rendered: dict[str, Any] = {}
    for uri, options in feeds.items():
        text = str(uri)
        if "%(" in text and not (options or {}).get("uri_params"):
            try:
                text = text % values
            except (KeyError, ValueError, TypeError):
                text = str(uri)
        rendered[text] = options
    return rendered


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` as one step: a reader sees the old file or the
    new one, never half of one (the run report, ``changes.jsonl``, the doubts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(name, file_mode(path))
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def file_mode(target: Path) -> int:
    """The target's own permissions, else what ``open()`` would have given it
    (``mkstemp`` creates 0600 files, too private for a published dataset)."""
    if target.exists():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
