"""``pages.jsonl``, the WACZ page list (what ReplayWeb.page lists and searches): the
first page fetched (the atlas home page), then the page of every written record,
each with its capture time, its record's own title (a project's title, a
collectivity's name, from the records file of the dump) and its visible text (the
``text`` ReplayWeb.page's full-text search reads), taken from the very response
record the record was parsed from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree
from scrapy.http import TextResponse

from atlas_crawler.archive.layout import CAPTURES, PAGES, WARC_DIR
from atlas_crawler.archive.workers import read_response
from atlas_crawler.extract.visible import visible_root
from atlas_crawler.files import RECORDS
from atlas_crawler.records import RecordKey, label, read_records, record_key

HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Atlas pages: the home page and every record"}
#: The text a reader sees: the body's text nodes, outside scripts and styles (hidden elements are dropped first).
_SHOWN_TEXT = etree.XPath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")


def write_pages(directory: Path, first_page: tuple[str, str] | None) -> None:
    titles = record_titles(directory / RECORDS)
    with (directory / PAGES).open("w", encoding="utf-8") as out:
        for line in page_lines(directory, first_page, titles):
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def page_lines(
    directory: Path, first_page: tuple[str, str] | None, titles: dict[RecordKey, str]
) -> Iterator[dict[str, Any]]:
    yield HEADER
    if first_page is not None:
        yield {"url": first_page[0], "ts": first_page[1], "title": "Atlas de la coopération décentralisée (accueil)"}
    handles: dict[str, IO[bytes]] = {}
    try:
        with (directory / CAPTURES).open(encoding="utf-8") as captures:
            for raw in captures:
                capture = json.loads(raw)
                if not capture.get("warc_date"):
                    continue
                key = record_key(capture)
                page = {"url": capture["url"], "ts": capture["warc_date"]}
                page["title"] = titles.get(key) or f"{label(key)} {key[2]}"
                if text := captured_text(directory, capture, handles):
                    page["text"] = text
                yield page
    finally:
        for handle in handles.values():
            handle.close()


def record_titles(records: Path) -> dict[RecordKey, str]:
    """Each record's own title: a project's ``title``, a collectivity's ``name``."""
    if not records.is_file():
        return {}
    return {
        record_key(record): str(record.get("title") or record.get("name"))
        for record in read_records(records, torn_end=True)
        if record.get("title") or record.get("name")
    }


def captured_text(directory: Path, capture: dict[str, Any], handles: dict[str, IO[bytes]]) -> str:
    """The visible text of the response a record was parsed from ("" when it cannot be read)."""
    filename, offset = capture.get("warc_filename"), capture.get("warc_offset")
    if not filename or offset is None:
        return ""
    if filename not in handles:
        handles[filename] = (directory / WARC_DIR / filename).open("rb")
    response = read_response(handles[filename], int(offset))
    if not isinstance(response, TextResponse):
        return ""
    return visible_text(response)


def visible_text(response: TextResponse) -> str:
    root = visible_root(response.selector.root)
    return " ".join(" ".join(_SHOWN_TEXT(root)).split())
