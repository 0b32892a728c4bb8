"""What every page parser shares: the page index, links, soft-error detection."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from lxml import etree
from scrapy.http import TextResponse

from atlas_crawler.extract.labels import Pair, checkbox_labels, find_pairs
from atlas_crawler.extract.tables import Table, read_tables
from atlas_crawler.extract.text import label_key, node_text, text_of
from atlas_crawler.urls import canonicalize

_SOFT_ERRORS = ("erreur technique", "erreur", "maintenance", "service indisponible", "page indisponible")


_HEADINGS = etree.XPath("//h1 | //title")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def soft_error(response: TextResponse) -> str | None:
    """The reason a 200 page is really a failure (``Erreur technique``,
    maintenance), or None for a real page."""
    if not isinstance(response, TextResponse):
        return None
    body = response.body.lower()
    if b"erreur" not in body and b"maintenance" not in body and b"indisponible" not in body:
        return None  # the common case, decided without reading the page
    for heading in _HEADINGS(response.selector.root):
        key = label_key(text_of(heading))
        if any(key.startswith(marker) for marker in _SOFT_ERRORS):
            return f"soft error: {text_of(heading)}"
    return None


@dataclass
class TableSpec:
    """How one table maps to a record field: its title prefixes, a header that
    identifies it when it has no title, and header prefixes -> row keys (a key
    ending in ``[]`` collects every column it matches, in order)."""

    field: str
    titles: tuple[str, ...]
    signature: str
    columns: tuple[tuple[str, str], ...]
    link_key: str | None = None

    def matches(self, table: Table) -> bool:
        if table.key:
            return table.key.startswith(self.titles)
        return self.signature in {label_key(h) for h in table.headers}

    def column(self, header: str) -> str | None:
        key = label_key(header)
        for prefix, row_key in self.columns:
            if key == prefix:
                return row_key
        for prefix, row_key in self.columns:
            if key.startswith(prefix):
                return row_key
        return None


@dataclass
class PageIndex:
    """A page read once: its label/value pairs, checkboxes and data tables."""

    response: TextResponse
    known_labels: Mapping[str, str] = field(default_factory=dict)
    used_tables: set[int] = field(default_factory=set)

    @property
    def root(self) -> etree._Element:
        return self.response.selector.root

    @cached_property
    def pairs(self) -> list[Pair]:
        return find_pairs(self.root, self.known_labels)

    @cached_property
    def checkboxes(self) -> dict[str, bool]:
        return checkbox_labels(self.root)

    @cached_property
    def tables(self) -> list[Table]:
        return read_tables(self.root)

    def table_rows(self, spec: TableSpec) -> tuple[Table | None, list[dict[str, Any]]]:
        """Rows of the first table ``spec`` matches, as raw row dicts."""
        for n, table in enumerate(self.tables):
            if n in self.used_tables or not spec.matches(table):
                continue
            self.used_tables.add(n)
            keys = [spec.column(h) for h in table.headers]
            return table, [self._row(spec, keys, cells) for cells in table.rows]
        return None, []

    def _row(self, spec: TableSpec, keys: list[str | None], cells: list[etree._Element]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for key, cell in zip(keys, cells, strict=False):
            if key is None:
                continue
            if key.endswith("[]"):
                row.setdefault(key[:-2], []).append(node_text(cell))
            else:
                row[key] = node_text(cell)
        if spec.link_key:
            row[spec.link_key] = self.first_link(cells)
        return row

    def first_link(self, cells: Iterable[etree._Element], param: str | None = None) -> str | None:
        for cell in cells:
            for a in cell.iter("a"):
                href = a.get("href")
                if href and (param is None or param in href):
                    return canonicalize(href, self.response.url)
        return None

    def unused_tables(self) -> list[Table]:
        return [t for n, t in enumerate(self.tables) if n not in self.used_tables]


def extra_key(label: str | None) -> str:
    """Where ``extra`` keeps an unmapped label or table title: its cleaned text
    without the trailing colon; an untitled table is ``tableau``."""
    return (text_of(label.rstrip(": \u00a0")) if label else None) or label or "tableau"


def table_as_extra(table: Table) -> list[dict[str, str | None]]:
    """An unmapped table, kept whole: one ``{header: cell}`` object per row."""
    return [{h or f"colonne {i + 1}": text_of(c) for i, (h, c) in enumerate(row)} for row in table.records()]


def links(response: TextResponse) -> list[str]:
    """Every ``a[href]`` of the page, absolute."""
    base = response.url
    return [
        canonicalize(href, base)
        for href in (a.get("href") for a in response.selector.root.iter("a"))
        if href and not href.startswith(("javascript:", "mailto:", "#"))
    ]


_ANNOUNCED = re.compile(r"(\d[\d\s\u00a0\u202f.]*)\s*[^\W\d]+(?:\(s\)|s)?\s+trouv", re.UNICODE)


def announced_count(response: TextResponse) -> int | None:
    """``263 projet(s) trouvé(s)`` -> 263."""
    text = " ".join(response.selector.root.itertext())
    match = _ANNOUNCED.search(text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    return int(digits) if digits else None
