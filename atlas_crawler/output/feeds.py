"""The feed exporters of ``FEED_EXPORTERS``.

- ``-o out.jsonl``: JSON Lines through the ``jsonlines`` package: UTF-8, not
  ``\\u``-escaped, one record per line, keys in schema order (or the order of
  ``FEED_EXPORT_FIELDS`` / the feed's ``fields``, which choose the fields too).
- ``-o out.csv``: the projects as one flat CSV table with every project field of the
  schema (the header is written first, from the schema, never from the first item).
  Lists and objects (funding, partners, themes, …) are JSON text in their cell.
  Collectivities do not fit a project table: they are left out and the log says so
  and names the export command that writes every table."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from functools import partial
from typing import Any

import jsonlines
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exporters import BaseItemExporter
from scrapy.utils.defer import deferred_from_coro

from atlas_crawler import signals, stats
from atlas_crawler.files import JSON_LINES_FORMATS
from atlas_crawler.outcome import DISK_FULL_ERRORS, REASON_DISK_FULL
from atlas_crawler.schemas.tree import record_fields
from atlas_crawler.output.export.tables import JSON_TYPES, json_text
from atlas_crawler.output.export.writers import converted, csv_cell

logger = logging.getLogger(__name__)


class _RecordFile(BaseItemExporter):
    """What both exporters share: each record one whole line written straight to the
    file (no buffer) before the run counts it written (``record_written``). A write
    that fails (a full disk) fails the record's page, by URL, and the file is cut back
    to its last whole line, so no record is counted that is not on disk and no torn
    line is left; a full disk stops the run (finish reason ``disk_full``): every
    further record would fail too, and the site would be crawled for nothing."""

    #: Read by the page accounting: this exporter says which records it wrote.
    reports_writes = True

    def __init__(self, file: io.BufferedIOBase, crawler: Crawler | None = None, *, encoding: str, **kwargs: Any):
        super().__init__(dont_fail=True, **kwargs)
        self.crawler = crawler
        self.file = file
        self.lines = _Lines(file, encoding)

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: io.BufferedIOBase, **kwargs: Any) -> _RecordFile:
        return cls(file, crawler=crawler, **kwargs)

    def tell(self, item: Any) -> None:
        """After a record's line was written, or not: the run hears which."""
        error, self.lines.error = self.lines.error, None
        if self.crawler is None:
            if error is not None:
                raise error
        elif error is None:
            self.crawler.signals.send_catch_log(signals.record_written, item=item)
        else:
            self.not_written(item, error)

    def not_written(self, item: Any, error: OSError) -> None:
        assert self.crawler is not None
        url = ItemAdapter(item).get("url")
        name = getattr(self.file, "name", "the feed")
        reason = f"the record could not be written to {name}: {error.strerror or error}"
        self.crawler.stats.inc_value(stats.PAGES_FAILED)
        self.crawler.stats.inc_value(stats.RECORDS_NOT_WRITTEN)
        self.crawler.signals.send_catch_log(signals.page_failed, url=url, reason=reason, request=None)
        if error.errno in DISK_FULL_ERRORS and not self.lines.stopping:
            self.lines.stopping = True
            logger.error("%s: no space left to write records; the run stops (make room, then resume or run again)",
                         name)  # fmt: skip
            try:
                engine = self.crawler.engine
            except RuntimeError:  # no crawl running (an exporter used on its own)
                return
            deferred_from_coro(engine.close_spider_async(reason=REASON_DISK_FULL))

    def finish_exporting(self) -> None:
        pass  # every line went to the file as it was written; the feed storage closes it


class JsonLinesExporter(_RecordFile):
    def __init__(self, file: io.BufferedIOBase, crawler: Crawler | None = None, **kwargs: Any) -> None:
        kwargs.pop("encoding", None)  # JSON Lines is UTF-8
        super().__init__(file, crawler, encoding="utf-8", **kwargs)
        self.writer = jsonlines.Writer(self.lines, dumps=partial(json.dumps, ensure_ascii=False, separators=(",", ":")))

    def export_item(self, item: Any) -> None:
        if self.fields_to_export is None:  # the common case: every field, values plain JSON already
            self.writer.write(dict(ItemAdapter(item).items()))
        else:
            self.writer.write(dict(self.get_serialized_fields(item, default_value=None)))
        self.tell(item)


class _Lines:
    """The text stream the writers (``jsonlines``, ``csv``) write to: each line
    encoded and written whole to the file descriptor, the offset of the last whole
    line kept. Why not a ``TextIOWrapper``: its buffers report a failed write later,
    at a flush, when the record it belonged to is long counted, and leave a torn line
    behind. A file that cannot be cut back (no seek: a post-processing stream; or
    the cut itself failed) takes no line after a failed one: each later record fails."""

    def __init__(self, file: io.BufferedIOBase, encoding: str) -> None:
        file.flush()
        self.file = file
        self.encoding = encoding
        try:
            self.fd: int | None = file.fileno()
        except (OSError, io.UnsupportedOperation):
            self.fd = None  # an in-memory or post-processing file: written through it
        try:
            self.end: int | None = os.lseek(self.fd, 0, os.SEEK_END) if self.fd is not None else file.seek(0, 2)
        except (OSError, io.UnsupportedOperation):
            self.end = None
        self.pending: list[str] = []
        #: The error of the last write, if it failed (read and cleared by the exporter).
        self.error: OSError | None = None
        #: Set when the file holds a torn line that could not be cut off.
        self.broken: OSError | None = None
        self.stopping = False

    def write(self, text: str) -> int:
        """Kept until the line's end arrives (``jsonlines`` writes a record, then its
        newline), then written whole."""
        self.pending.append(text)
        if not text.endswith("\n"):
            return len(text)
        data = "".join(self.pending).encode(self.encoding)
        self.pending.clear()
        if self.broken is not None:
            self.error = self.broken
            return 0
        try:
            self._write(data)
        except OSError as error:
            self.error = error
            self.cut_back(error)
            return 0
        if self.end is not None:
            self.end += len(data)
        return len(text)

    def _write(self, data: bytes) -> None:
        if self.fd is None:
            self.file.write(data)
            return
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def cut_back(self, error: OSError) -> None:
        """The file as it was after its last whole line (a failed write may have put part of one)."""
        try:
            if self.end is None:
                raise OSError(error.errno, f"{error.strerror}; the file cannot be cut back to its last whole line")
            if self.fd is None:
                self.file.truncate(self.end)
                self.file.seek(self.end)
            else:
                os.ftruncate(self.fd, self.end)
                os.lseek(self.fd, self.end, os.SEEK_SET)
        except (OSError, io.UnsupportedOperation) as cut:
            logger.error("the feed could not be cut back to its last whole line (%s): no record is written after", cut)
            self.broken = error

    def flush(self) -> None:
        pass


class ProjectCsvExporter(_RecordFile):
    """RFC 4180, UTF-8 (Scrapy's ``FEED_EXPORT_ENCODING`` decides the encoding)."""

    def __init__(self, file: io.BufferedIOBase, crawler: Crawler | None = None, **kwargs: Any) -> None:
        encoding = kwargs.pop("encoding", None) or "utf-8"
        super().__init__(file, crawler, encoding=encoding, **kwargs)
        fields = {f.name: f for f in record_fields("project") if f.name != "type"}
        wanted = list(self.fields_to_export or fields)  # FEED_EXPORT_FIELDS chooses and orders columns
        unknown = [name for name in wanted if name not in fields]
        if unknown:
            logger.warning("CSV feed: %s not project fields; left out", ", ".join(map(str, unknown)))
        self.fields = [fields[name] for name in wanted if name in fields]
        self.cells = [json_text if f.type in JSON_TYPES else csv_cell(f.type, excel=False) for f in self.fields]
        self.writer = csv.writer(self.lines, lineterminator="\r\n")  # one write per row: whole rows
        self.skipped: dict[str, int] = {}
        #: The only records file of the run: what it leaves out is skipped, by URL.
        feeds = crawler.settings.getdict("FEEDS").values() if crawler is not None else ()
        self.alone = crawler is not None and not any((o or {}).get("format") in JSON_LINES_FORMATS for o in feeds)

    def start_exporting(self) -> None:
        self.writer.writerow([f.name for f in self.fields])
        if self.lines.error is not None:
            raise self.lines.error  # no room for the header: the feed fails at once

    def export_item(self, item: Any) -> None:
        record = ItemAdapter(item)
        kind = record.get("type")
        if kind != "project":
            self.left_out(item, kind)
            return
        self.writer.writerows(converted([[record.get(f.name) for f in self.fields]], self.cells))
        self.tell(item)

    def left_out(self, item: Any, kind: str) -> None:
        if not self.skipped:
            logger.warning(
                "the CSV feed holds the projects only; %s records are left out of it (write a JSON Lines feed "
                "too, -o atlas.jsonl, and run python -m atlas_crawler.export atlas.jsonl --to csv for every "
                "table)",
                kind,
            )
        self.skipped[kind] = self.skipped.get(kind, 0) + 1
        if self.alone and self.crawler is not None:
            rule = "not in the CSV feed, which holds the projects only (add -o atlas.jsonl for every record)"
            self.crawler.signals.send_catch_log(signals.page_skipped, url=ItemAdapter(item).get("url"), rule=rule)

    def finish_exporting(self) -> None:
        if self.skipped:
            left_out = ", ".join(f"{n} {kind}" for kind, n in self.skipped.items())
            logger.warning("CSV feed: %s records not written (projects only; see python -m atlas_crawler.export)",
                           left_out)  # fmt: skip
