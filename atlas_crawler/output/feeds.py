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
from functools import partial
from typing import Any

import jsonlines
from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter

from atlas_crawler.output.export.schema import record_fields
from atlas_crawler.output.export.tables import JSON_TYPES, json_text
from atlas_crawler.output.export.writers import converted, csv_cell

logger = logging.getLogger(__name__)


class JsonLinesExporter(BaseItemExporter):
    def __init__(self, file: io.BufferedIOBase, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.stream = io.TextIOWrapper(file, encoding="utf-8", newline="\n", write_through=True)
        self.writer = jsonlines.Writer(
            self.stream, dumps=partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
        )

    def export_item(self, item: Any) -> None:
        if self.fields_to_export is None:  # the common case: every field, values plain JSON already
            self.writer.write(dict(ItemAdapter(item).items()))
        else:
            self.writer.write(dict(self.get_serialized_fields(item, default_value=None)))

    def finish_exporting(self) -> None:
        self.stream.flush()
        self.stream.detach()  # the feed storage owns and closes the file


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
