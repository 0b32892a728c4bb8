"""The end of an archiving crawl: the WACZ page list, a copy of the records and
of the run report, the CDXJ index (cdxj-indexer), the WACZ package (py-wacz's
``wacz create``, in its own process, while the index is written here), and last
the manifest."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from cdxj_indexer.main import write_cdx_index
from scrapy.settings import BaseSettings

from atlas_crawler.archive import manifest
from atlas_crawler.archive.dump import crawl_settings
from atlas_crawler.archive.layout import CAPTURES, CDXJ, PAGES, WACZ, warc_files
from atlas_crawler.files import DOUBTS, RECORDS, REPORT, RunFiles

logger = logging.getLogger(__name__)


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
    copy_outputs(directory, settings)
    write_pages(directory, first_page)
    wacz = start_wacz(directory, title=f"atlas-crawler dump of {settings.get('ATLAS_BASE_URL')}")
    write_cdxj(directory)
    output, _ = wacz.communicate()
    if wacz.returncode != 0:
        logger.error("wacz create failed (the dump has no WACZ):\n%s", output[-3000:])
    built = manifest.build(
        directory,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        finish_reason=finish_reason,
        commit=commit,
        settings=crawl_settings(settings),
        known_counts=known_counts,
    )
    path = manifest.write(directory, built)
    logger.info("archive written: %s (%d files)", path, len(built["files"]))


def copy_outputs(directory: Path, settings: BaseSettings) -> None:
    """The records, the run report and the doubts beside the captures that back them."""
    files = RunFiles.of(settings)
    for source, name in ((files.records, RECORDS), (files.report, REPORT), (files.doubts, DOUBTS)):
        if source is not None and source.is_file():
            shutil.copyfile(source, directory / name)


def write_pages(directory: Path, first_page: tuple[str, str] | None) -> None:
    """The WACZ page list (what ReplayWeb.page lists): the first page fetched (the
    atlas home page), then the page of every record, with its capture time."""
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": "Atlas pages: the home page and every record"}]
    if first_page is not None:
        lines.append({"url": first_page[0], "ts": first_page[1], "title": "atlas home page"})
    with (directory / CAPTURES).open(encoding="utf-8") as captures:
        for line in captures:
            capture = json.loads(line)
            if capture.get("warc_date"):
                kind = f"{capture['kind']} " if capture.get("kind") else ""
                title = f"{kind}{capture['type']} {capture['id']}"
                lines.append({"url": capture["url"], "ts": capture["warc_date"], "title": title})
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    (directory / PAGES).write_text(text, encoding="utf-8")


def start_wacz(directory: Path, title: str) -> subprocess.Popen[str]:
    """``wacz create`` in a process of its own: it reads every WARC file again, on the other core."""
    command = [sys.executable, "-m", "wacz", "create", "-o", str(directory / WACZ)]
    command += ["-p", str(directory / PAGES), "--copy-pages", "--title", title, "--hash-type", "sha256"]
    command += [str(p) for p in warc_files(directory)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def write_cdxj(directory: Path) -> None:
    """The sorted CDXJ index of the WARC files (paths relative to the dump directory)."""
    inputs = [str(p) for p in warc_files(directory)]
    write_cdx_index(str(directory / CDXJ), inputs, {"sort": True, "post_append": True, "dir_root": str(directory)})
