"""Records -> captures: which response each written record was parsed from, for
its line in ``captures.jsonl`` (the response of its page and, for a project
assembled from several pages of its in-page tables, theirs too)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter

from atlas_crawler.archive.scan import TruncatedError, iter_members, read_head
from atlas_crawler.archive.warcfiles import Location
from atlas_crawler.pages import registry
from atlas_crawler.urls import canonicalize


class CaptureIndex:
    """The last response (``WARC-Record-ID``, ``WARC-Date``) of every page, until the
    record it gives is written; the table pages of each record apart."""

    def __init__(self) -> None:
        self.latest: dict[str, tuple[str, str]] = {}
        #: record URL -> {table page canonical URL: (WARC-Record-ID, WARC-Date)}
        self.table_pages: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)

    def remember(self, url: str, record_id: str, date: str, record_url: str | None) -> None:
        """A response of ``url`` (canonical); ``record_url`` when it is a further page of that record's table."""
        self.latest[url] = (record_id, date)
        if record_url:
            self.table_pages[record_url][url] = (record_id, date)

    def recall(self, files: list[Path], locations: dict[str, Location]) -> None:
        """The responses of a dump's earlier files, read back (a job resumed with
        ``JOBDIR`` may complete records from pages an earlier run fetched)."""
        for path in files:
            for location, url, record_id, date in responses_in(path):
                locations[record_id] = location
                self.remember(url, record_id, date, record_url=table_page_owner(url))

    def line(self, item: Any, response_url: str) -> dict[str, Any]:
        """The ``captures.jsonl`` line of a written record (files and offsets filled in by the writer)."""
        record = ItemAdapter(item)
        url = canonicalize(str(record.get("url") or response_url))
        main = self.latest.pop(url, None) or self.latest.get(canonicalize(response_url))
        return capture_line(record, url, main, self.table_pages.pop(url, {}))


def table_page_owner(url: str) -> str | None:
    """The record address a further page of an in-page table belongs to (None for other pages)."""
    if registry.type_of_url(url) is registry.PROJECT_TABLE_PAGE:
        return registry.PROJECT.canonical_url(url)
    return None


def responses_in(path: Path) -> Iterator[tuple[Location, str, str, str]]:
    """``(location, canonical URL, WARC-Record-ID, WARC-Date)`` of every response record
    of a file, up to a record cut by a killed run."""
    with path.open("rb") as fh:
        try:
            for member in iter_members(fh):
                fields, _ = read_head(member)
                if fields.get("warc-type") == "response":
                    location = Location(path.name, member.offset, member.length)
                    url = canonicalize(fields.get("warc-target-uri", ""))
                    yield location, url, fields.get("warc-record-id", ""), fields.get("warc-date", "")
        except TruncatedError:
            return


def capture_line(
    record: ItemAdapter,
    url: str,
    main: tuple[str, str] | None,
    table_pages: Mapping[str, tuple[str, str]],
) -> dict[str, Any]:
    line: dict[str, Any] = {"type": record.get("type")}
    if record.get("kind"):
        line["kind"] = record.get("kind")
    line |= {"id": record.get("id"), "url": url}
    line |= {"warc_record_id": main[0] if main else None, "warc_filename": None, "warc_offset": None}
    line["warc_date"] = main[1] if main else None
    if table_pages:
        line["table_pages"] = [
            {"url": page, "warc_record_id": rid, "warc_filename": None, "warc_offset": None}
            for page, (rid, _) in table_pages.items()
        ]
    return line
