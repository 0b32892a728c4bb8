"""The end of an archiving crawl: the WACZ page list, a copy of the records and
of the run report, the CDXJ index (cdxj-indexer), the WACZ package (py-wacz's
``wacz create``, in its own process) and last the manifest.

A WACZ kept alone still says how it was made: it carries, under ``logs/`` (where
Browsertrix puts its crawl logs; WACZ 1.1.1 lets a package hold other files, each
listed with its hash in ``datapackage.json``), the provenance of the dump: the
manifest of every other file of the dump (the WACZ cannot list itself, so this is
the final manifest without the WACZ's line), the captures map, the records, the run
report, the doubts, the crawl log and the data packages of the tables. The final
``manifest.json`` is that same manifest with the WACZ's line added."""

from __future__ import annotations

import gzip
import json
import logging
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cdxj_indexer.main import write_cdx_index
from scrapy.settings import BaseSettings

from atlas_crawler.archive import manifest
from atlas_crawler.archive.dump import crawl_settings
from atlas_crawler.archive.layout import CAPTURES, CDXJ, MANIFEST, PAGES, WACZ, warc_files
from atlas_crawler.archive.pagelist import write_pages
from atlas_crawler.files import DOUBTS, LOG, RECORDS, REPORT, RunFiles, beside

logger = logging.getLogger(__name__)
#: The folder of the WACZ that holds the dump's provenance (py-wacz's ``--log-directory``).
PROVENANCE = "logs"


def finish_dump(
    directory: Path,
    settings: BaseSettings,
    *,
    started_at: datetime,
    finish_reason: str | None,
    commit: str | None,
    first_page: tuple[str, str] | None,
    known_counts: Mapping[str, Counter[str]] | None = None,
) -> None:
    (directory / WACZ).unlink(missing_ok=True)  # a resumed job's earlier package: made again, with all its runs
    copy_outputs(directory, settings)
    write_pages(directory, first_page)
    write_cdxj(directory)
    built = manifest.build(
        directory,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        finish_reason=finish_reason,
        commit=commit,
        settings=crawl_settings(settings),
        known_counts=known_counts,
    )
    with tempfile.TemporaryDirectory(prefix="atlas-provenance-") as scratch:
        gather_provenance(Path(scratch), directory, settings, built)
        title = f"atlas-crawler dump of {settings.get('ATLAS_BASE_URL')}"
        wacz = start_wacz(directory, title=title, provenance=Path(scratch))
        output, _ = wacz.communicate()
    if wacz.returncode != 0:
        logger.error("wacz create failed (the dump has no WACZ):\n%s", output[-3000:])
    else:
        built["files"] = dict(sorted({**built["files"], WACZ: manifest.file_entry(directory / WACZ)}.items()))
    path = manifest.write(directory, built)
    logger.info("archive written: %s (%d files)", path, len(built["files"]))


def copy_outputs(directory: Path, settings: BaseSettings) -> None:
    """The records, the run report and the doubts beside the captures that back them."""
    files = RunFiles.of(settings)
    for source, name in ((files.records, RECORDS), (files.report, REPORT), (files.doubts, DOUBTS)):
        if source is not None and source.is_file():
            shutil.copyfile(source, directory / name)


def gather_provenance(folder: Path, directory: Path, settings: BaseSettings, built: dict[str, Any]) -> None:
    """What the WACZ carries under ``logs/`` (a flat folder: py-wacz copies files only).
    Empty files are left out and JSON documents are gzipped: ``wacz validate`` runs
    frictionless on every file of the package, which fails an empty JSON Lines file and
    takes a JSON document with a report's or a data package's keys for its own metadata."""
    manifest_text = json.dumps(built, ensure_ascii=False, indent=2) + "\n"
    write_gzip(folder / f"{MANIFEST}.gz", manifest_text.encode("utf-8"))
    sources = {name: directory / name for name in (CAPTURES, RECORDS, REPORT, DOUBTS)}
    if (log := crawl_log(settings)) is not None:
        sources[LOG] = log  # as far as it is written: the crawl is ending
    for fmt in (f.strip() for f in settings.getlist("ATLAS_EXPORT")):  # this crawl's tables, none older
        if (tables := RunFiles.of(settings).tables(fmt)) is not None:
            sources[f"tables-{fmt}.datapackage.json"] = tables / "datapackage.json"
    for name, source in sources.items():
        if not source.is_file() or source.stat().st_size == 0:
            continue
        if name.endswith(".json"):
            write_gzip(folder / f"{name}.gz", source.read_bytes())
        else:
            shutil.copyfile(source, folder / name)


def write_gzip(path: Path, data: bytes) -> None:
    path.write_bytes(gzip.compress(data, mtime=0))


def crawl_log(settings: BaseSettings) -> Path | None:
    """The crawl's log file: Scrapy's ``LOG_FILE``, else a run folder's ``crawl.log``."""
    records = RunFiles.of(settings).records
    for candidate in (settings.get("LOG_FILE"), beside(records, LOG) if records else None):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def start_wacz(directory: Path, title: str, provenance: Path) -> subprocess.Popen[str]:
    """``wacz create`` in a process of its own (py-wacz's command line is its interface),
    the files of ``provenance`` under ``logs/``."""
    command = [sys.executable, "-m", "wacz", "create", "-o", str(directory / WACZ)]
    command += ["-p", str(directory / PAGES), "--copy-pages", "--title", title, "--hash-type", "sha256"]
    command += ["--log-directory", str(provenance)]
    command += [str(p) for p in warc_files(directory)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def write_cdxj(directory: Path) -> None:
    """The sorted CDXJ index of the WARC files (paths relative to the dump directory)."""
    inputs = [str(p) for p in warc_files(directory)]
    write_cdx_index(str(directory / CDXJ), inputs, {"sort": True, "post_append": True, "dir_root": str(directory)})
