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
from atlas_crawler.outcome import DISK_FULL_ERRORS, REASON_DISK_FULL
from atlas_crawler.output.export.schema import record_fields
from atlas_crawler.output.export.tables import JSON_TYPES, json_text
from atlas_crawler.output.export.writers import converted, csv_cell

logger = logging.getLogger(__name__)


class JsonLinesExporter(BaseItemExporter):
    """Each record is one line written straight to the file (no buffer) before the
    run counts it written (``record_written``): a write that fails (a full disk)
    fails the record's page, by URL, and cuts the file back to its last whole line,
    so no record is counted that is not on disk and no torn line is left. A full
    disk stops the run (finish reason ``disk_full``): every further record would fail
    too, and the site would be crawled for nothing."""

    def __init__(self, file: io.BufferedIOBase, crawler: Crawler | None = None, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.crawler = crawler
        self.file = file
        self.lines = _Lines(file)
        self.writer = jsonlines.Writer(self.lines, dumps=partial(json.dumps, ensure_ascii=False, separators=(",", ":")))

    @classmethod
    def from_crawler(cls, crawler: Crawler, file: io.BufferedIOBase, **kwargs: Any) -> JsonLinesExporter:
        return cls(file, crawler=crawler, **kwargs)

    def export_item(self, item: Any) -> None:
        if self.fields_to_export is None:  # the common case: every field, values plain JSON already
            self.writer.write(dict(ItemAdapter(item).items()))
        else:
            self.writer.write(dict(self.get_serialized_fields(item, default_value=None)))
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
        name = getattr(self.file, "name", "the records file")
        reason = f"the record could not be written to {name}: {error.strerror or error}"
        self.crawler.stats.inc_value(stats.PAGES_FAILED)
        self.crawler.signals.send_catch_log(signals.page_failed, url=url, reason=reason, request=None)
        if error.errno in DISK_FULL_ERRORS and not self.lines.stopping:
            self.lines.stopping = True
            logger.error(
                "%s: no space left to write records; the run stops (make room, then resume or run again)", name
            )
            try:
                engine = self.crawler.engine
            except RuntimeError:  # no crawl running (an exporter used on its own)
                return
            deferred_from_coro(engine.close_spider_async(reason=REASON_DISK_FULL))

    def finish_exporting(self) -> None:
        pass  # every line went to the file as it was written; the feed storage closes it


class _Lines:
    """The text stream ``jsonlines.Writer`` writes to: each line encoded and written
    whole to the file descriptor, the offset of the last whole line kept. Why not a
    ``TextIOWrapper``: its buffers report a failed write later, at a flush, when the
    record it belonged to is long counted, and leave a torn line behind."""

    def __init__(self, file: io.BufferedIOBase) -> None:
        file.flush()
        self.file = file
        try:
            self.fd: int | None = file.fileno()
        except (OSError, io.UnsupportedOperation):
            self.fd = None  # an in-memory file: nothing to fail, written through it
        self.end = os.lseek(self.fd, 0, os.SEEK_END) if self.fd is not None else file.seek(0, os.SEEK_END)
        self.pending: list[str] = []
        #: The error of the last write, if it failed (read and cleared by the exporter).
        self.error: OSError | None = None
        self.stopping = False

    def write(self, text: str) -> int:
        """Kept until the line's end arrives (``jsonlines`` writes a record, then its
        newline), then written whole."""
        self.pending.append(text)
        if not text.endswith("\n"):
            return len(text)
        data = "".join(self.pending).encode("utf-8")
        self.pending.clear()
        try:
            self._write(data)
        except OSError as error:
            self.error = error
            self.cut_back()
            return 0
        self.end += len(data)
        return len(text)

    def _write(self, data: bytes) -> None:
        if self.fd is None:
            self.file.write(data)
            return
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def cut_back(self) -> None:
        """The file as it was after its last whole line (a failed write may have put part of one)."""
        try:
            if self.fd is None:
                self.file.truncate(self.end)
                self.file.seek(self.end)
            else:
                os.ftruncate(self.fd, self.end)
                os.lseek(self.fd, self.end, os.SEEK_SET)
        except OSError:
            logger.exception("the records file could not be cut back to its last whole line")

    def flush(self) -> None:
        pass


class ProjectCsvExporter(BaseItemExporter):
    """RFC 4180, UTF-8 (Scrapy's ``FEED_EXPORT_ENCODING`` decides the encoding)."""

    def __init__(self, file: io.BufferedIOBase, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        fields = {f.name: f for f in record_fields("project") if f.name != "type"}
        wanted = list(self.fields_to_export or fields)  # FEED_EXPORT_FIELDS chooses and orders columns
        unknown = [name for name in wanted if name not in fields]
        if unknown:
            logger.warning("CSV feed: %s not project fields; left out", ", ".join(map(str, unknown)))
        self.fields = [fields[name] for name in wanted if name in fields]
        self.cells = [json_text if f.type in JSON_TYPES else csv_cell(f.type, excel=False) for f in self.fields]
        self.stream = io.TextIOWrapper(file, encoding=self.encoding or "utf-8", newline="", write_through=True)
        self.writer = csv.writer(self.stream, lineterminator="\r\n")
        self.skipped: dict[str, int] = {}

    def start_exporting(self) -> None:
        self.writer.writerow([f.name for f in self.fields])

    def export_item(self, item: Any) -> None:
        record = ItemAdapter(item)
        kind = record.get("type")
        if kind != "project":
            if not self.skipped:
                logger.warning(
                    "the CSV feed holds the projects only; %s records are left out of it (write a JSON Lines feed "
                    "too, -o atlas.jsonl, and run python -m atlas_crawler.export atlas.jsonl --to csv for every "
                    "table)",
                    kind,
                )
            self.skipped[kind] = self.skipped.get(kind, 0) + 1
            return
        self.writer.writerows(converted([[record.get(f.name) for f in self.fields]], self.cells))

    def finish_exporting(self) -> None:
        if self.skipped:
            left_out = ", ".join(f"{n} {kind}" for kind, n in self.skipped.items())
            logger.warning("CSV feed: %s records not written (projects only; see python -m atlas_crawler.export)",
                           left_out)  # fmt: skip
        self.stream.flush()
        self.stream.detach()  # the feed storage owns and closes the file
