"""The files of a dump directory, named in one place (writer, verify and re-parse
agree). Beside them the dump holds copies of the crawl's records, run report and
doubted records, named as in a run folder (``atlas_crawler.files``)."""

from __future__ import annotations

from pathlib import Path

WARC_DIR = "warc"  # the WARC files, ``<prefix>-<UTC start>-<nnnnn>.warc.gz``
WARC_SUFFIX = ".warc.gz"
CAPTURES = "captures.jsonl"  # one line per written record: its response's WARC-Record-ID, file, offset
CDXJ = "index.cdxj"  # cdxj-indexer's sorted index of the WARC files
PAGES = "pages.jsonl"  # the WACZ page list: the home page and every record's page
WACZ = "atlas.wacz"  # the WACZ package (WARC files, index, pages) for ReplayWeb.page and pywb
MANIFEST = "manifest.json"  # written last: its presence means the dump is complete


def warc_files(directory: Path) -> list[Path]:
    """The dump's WARC files in the order they were written (their names sort so)."""
    return sorted((directory / WARC_DIR).glob(f"*{WARC_SUFFIX}"))
