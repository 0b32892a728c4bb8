"""``datapackage.json``: a Frictionless Data Package describing the exported tables
(a Table Schema per table: types, French titles, English descriptions, constraints,
primary and foreign keys), generated from the table definitions, themselves
generated from the record schemas."""

from __future__ import annotations

from typing import Any

from atlas_crawler import __version__
from atlas_crawler.output.export.tables import Table
from atlas_crawler.output.export.writers import SQLITE_NAME

_MEDIA = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "sqlite": "application/vnd.sqlite3"}


def whole_value_pattern(pattern: str) -> str:
    """A JSON Schema pattern (searched anywhere, anchored by ``^…$``) as a Table
    Schema pattern (which matches the whole value)."""
    head = pattern[1:] if pattern.startswith("^") else ".*" + pattern
    return head[:-1] if head.endswith("$") and not head.endswith("\\$") else head + ".*"


def table_schema(table: Table, decimal_comma: bool = False) -> dict[str, Any]:
    fields = []
    for column in table.columns:
        spec: dict[str, Any] = {"name": column.name, "type": column.type}
        if column.title:
            spec["title"] = column.title
        spec["description"] = column.description
        if column.type == "number" and decimal_comma:
            spec["decimalChar"] = ","
        if column.constraints:
            spec["constraints"] = dict(column.constraints)
            if "pattern" in column.constraints:
                spec["constraints"]["pattern"] = whole_value_pattern(column.constraints["pattern"])
        fields.append(spec)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""], "primaryKey": list(table.primary_key)}
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(fk.fields), "reference": {"resource": fk.table, "fields": list(fk.reference)}}
            for fk in table.foreign_keys
        ]
    return schema


def resource(table: Table, fmt: str, excel: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": table.name, "title": table.title, "description": table.description}
    if fmt == "csv":
        out |= {
            "path": f"{table.name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": _MEDIA["csv"],
            "encoding": "utf-8-sig" if excel else "utf-8",
            "dialect": {"delimiter": ";" if excel else ",", "lineTerminator": "\r\n", "header": True},
        }
    elif fmt == "parquet":
        out |= {"path": f"{table.name}.parquet", "profile": "tabular-data-resource", "format": "parquet"}
        out["mediatype"] = _MEDIA["parquet"]
    else:  # one database holds every table; "table" names the one this resource is
        out |= {"path": SQLITE_NAME, "format": "sqlite", "mediatype": _MEDIA["sqlite"], "table": table.name}
    out["schema"] = table_schema(table, decimal_comma=excel and fmt == "csv")
    return out


def descriptor(tables: tuple[Table, ...], fmt: str, excel: bool = False, source: str | None = None) -> dict[str, Any]:
    """The package for tables written as ``fmt``; ``source`` is the atlas address
    the records were crawled from."""
    package: dict[str, Any] = {
        "profile": "tabular-data-package" if fmt != "sqlite" else "data-package",
        "name": "atlas-cooperation-decentralisee",
        "title": "Atlas français de la coopération décentralisée : projets et collectivités",
        "description": (
            "Tables derived from a crawl of the Atlas français de la coopération décentralisée et des autres "
            "actions extérieures (French foreign ministry). One row per project, per collectivity and per line "
            "of their lists (themes, funding, partners, contacts, volunteers); project_id and "
            "(collectivity_kind, collectivity_id) join them. Field meanings: docs/DATA.md of atlas-crawler "
            f"{__version__}, which wrote them."
        ),
    }
    if source:
        package["sources"] = [{"title": "Atlas français de la coopération décentralisée", "path": source}]
    package["resources"] = [resource(t, fmt, excel) for t in tables]
    return package
