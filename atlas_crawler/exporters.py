"""JSON Lines through the ``jsonlines`` package: UTF-8, not ``\\u``-escaped,
one record per line, keys in schema order (or the order of ``FEED_EXPORT_FIELDS``
/ the feed's ``fields``, which choose the fields too). Registered for ``-O file.jsonl``."""

from __future__ import annotations

import io
import json
from functools import partial
from typing import Any

import jsonlines
from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter


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
