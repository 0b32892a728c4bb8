"""JSON Lines through the ``jsonlines`` package: UTF-8, not ``\\u``-escaped,
one record per line, keys in schema order. Registered for ``-O file.jsonl``."""

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
        self.writer.write(dict(ItemAdapter(item).items()))  # values are plain JSON types

    def finish_exporting(self) -> None:
        self.stream.flush()
        self.stream.detach()  # the feed storage owns and closes the file
