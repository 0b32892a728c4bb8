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

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
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
#: The run's place in the order runs were made (1, 2, …): runs are ordered by it, not by the
#: clock's stamp in their name.
RUN_SEQUENCE = ".sequence"
LOCK = ".lock"
# --- beside the run folders (ATLAS_RUNS_DIR/): the history of every run (atlas_crawler.history)
HISTORY = "history.sqlite"
HISTORY_PARQUET = "history"
HISTORY_LOCK = ".history.lock"
# --- names inside a JOBDIR ---------------------------------------------------------------
JOB_LOCK = "lock"
#: The working copy of each local feed of a job (``RunFiles.working``) and its base.
JOB_FEEDS = "feeds"
BASE_SUFFIX = ".base"
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
    """The files of one run. ``records`` is the first local JSON Lines feed (what the
    exports and the HTML view read); the report, the doubts, the dump and the lock lie
    beside it (beside the first local feed of any format when there is no JSON Lines
    one). A ``JOBDIR`` job writes each feed into its working copy in JOBDIR
    (``working``) and publishes it at the end of each run."""

    feeds: tuple[Feed, ...]
    records: Path | None
    report: Path
    doubts: Path
    archive: Path
    lock: Path | None
    jobdir: Path | None = None

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
            jobdir=Path(settings.get("JOBDIR")) if settings.get("JOBDIR") else None,
        )

    @property
    def records_written(self) -> Path | None:
        """The records file a run writes as it goes and a resumed job reads: in a
        ``JOBDIR`` job the working copy of ``records``, else ``records`` itself."""
        return self.working(self.records) if self.records is not None and self.jobdir is not None else self.records

    @property
    def job_lock(self) -> Path | None:
        """The lock of a ``JOBDIR`` job: one run of a job at a time, whatever its feeds."""
        return self.jobdir / JOB_LOCK if self.jobdir is not None else None

    def working(self, feed: Path) -> Path:
        """A feed's working copy in ``JOBDIR``: written line by line (a kill keeps every
        whole line), read by a resume, published to ``feed`` at the end of each run.
        Named by the feed's absolute path (two feeds may share a file name)."""
        assert self.jobdir is not None
        digest = hashlib.sha256(os.path.abspath(feed).encode("utf-8")).hexdigest()[:12]
        return self.jobdir / JOB_FEEDS / f"{digest}-{feed.name}"

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


def default_runs_dir(output: Path = Path("output")) -> Path:
    """The run folders a command reads when not told which: ``ATLAS_RUNS_DIR``, else
    ``<output>/runs``, where ``make crawl`` puts them."""
    return Path(os.environ.get("ATLAS_RUNS_DIR") or output / "runs")


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
    replace_atomically(path, lambda out: out.write(data))


def replace_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Replace ``path`` with what ``write`` writes, as one step that survives a kill or
    a power cut: a temporary file in the same directory (``.<name>.*.part``), synced,
    renamed over ``path``, the directory synced. If anything fails (a full disk),
    ``path`` is left as it was and the temporary file is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(name, file_mode(path))
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    sync_directory(path.parent)


def sha256_file(path: Path) -> str:
    """A file's SHA-256, hex, read a mebibyte at a time (dumps, data packages, the history)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def copy_into(out: IO[bytes], source: Path) -> None:
    """Append a file's bytes to an open file."""
    with source.open("rb") as part:
        shutil.copyfileobj(part, out, 1 << 20)


def sync_directory(path: Path) -> None:
    """A rename survives a power cut only once its directory is on disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def file_mode(target: Path) -> int:
    """The target's own permissions, else what ``open()`` would have given it
    (``mkstemp`` creates 0600 files, too private for a published dataset)."""
    if target.exists():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
