"""``datapackage.json``: a Frictionless Data Package describing the exported tables
(a Table Schema per table: types, French titles, English descriptions, constraints,
primary and foreign keys), generated from the table definitions, themselves
generated from the record schemas; with the package's provenance (licence and source
from ``ATLAS_DATA_LICENSE`` / ``ATLAS_DATA_SOURCE``, the schemas' version, the date)
and each file's size and SHA-256.

``check(directory)`` validates any format's package: CSV through Frictionless itself;
Parquet and SQLite rows read here (pyarrow, sqlite3) and checked by Frictionless
against the same table schemas, foreign keys included. Frictionless reads Parquet
only through pandas (``frictionless validate`` fails with "No module named 'pandas'")
and SQLite only through SQLAlchemy with a database URL in place of a path; reading the
rows here needs neither. ``python -m atlas_crawler.output.export.datapackage DIR``."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from scrapy.settings import BaseSettings, Settings

from atlas_crawler import __version__
from atlas_crawler import settings as project_settings
from atlas_crawler.files import sha256_file
from atlas_crawler.output.export.tables import Table
from atlas_crawler.output.export.writers import SQLITE_NAME, stored_table
from atlas_crawler.schemas import version as schema_version

PACKAGE = "datapackage.json"
#: The settings of the data's terms, read from settings.py and the environment (JSON),
#: as the crawl command reads every ATLAS_* setting.
_TERMS = ("ATLAS_DATA_LICENSE", "ATLAS_DATA_SOURCE")
KEYWORDS = (
    "coopération décentralisée",
    "action extérieure des collectivités territoriales",
    "collectivités territoriales",
    "aide publique au développement",
    "jumelages",
    "France",
)
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
    """The resource of ``table`` as ``fmt`` stores it (SQLite's money in cents, say)."""
    table = stored_table(table, fmt, excel)
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


def terms(settings: BaseSettings | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The data's licence and source: from ``settings``, or else from settings.py with
    the environment over it (an export outside a crawl)."""
    if settings is None:
        settings = Settings()
        settings.setmodule(project_settings, priority="project")
        for name in _TERMS:
            if os.environ.get(name):
                settings.set(name, os.environ[name], priority="project")
    licence = {k: v for k, v in settings.getdict("ATLAS_DATA_LICENSE").items() if v}
    if not (licence.get("name") or licence.get("path")):
        raise ValueError("ATLAS_DATA_LICENSE needs a name or a path (the licence's address)")
    return licence, settings.getdict("ATLAS_DATA_SOURCE")


def file_facts(path: Path) -> dict[str, Any]:
    """``bytes`` and ``hash`` of a file, as the Data Package spec writes them."""
    return {"bytes": path.stat().st_size, "hash": f"sha256:{sha256_file(path)}"}


def descriptor(
    tables: tuple[Table, ...],
    fmt: str,
    excel: bool = False,
    source: str | None = None,
    directory: Path | None = None,
    settings: BaseSettings | None = None,
) -> dict[str, Any]:
    """The package for tables written as ``fmt``; ``source`` is the atlas address the
    records were crawled from; with ``directory`` (where the tables are), each
    resource's ``bytes`` and ``hash``."""
    licence, origin = terms(settings)
    package: dict[str, Any] = {
        "profile": "tabular-data-package" if fmt != "sqlite" else "data-package",
        "name": "atlas-cooperation-decentralisee",
        "title": "Atlas français de la coopération décentralisée : projets et collectivités",
        "description": (
            "Tables derived from a crawl of the Atlas français de la coopération décentralisée et des autres "
            "actions extérieures (French foreign ministry). One row per project, per collectivity and per line "
            "of their lists (themes, funding, partners, contacts, volunteers); project_id and "
            "(collectivity_kind, collectivity_id) join them. Field meanings: docs/DATA.md of atlas-crawler "
            f"{__version__}, which wrote them; the tables follow its record schemas version {schema_version()} "
            "(CHANGELOG.md)."
        ),
        # The version of the contract the tables follow: it changes when they do.
        "version": schema_version(),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "licenses": [licence],
        "keywords": list(KEYWORDS),
        "contributors": [
            *([{"title": origin["publisher"], "role": "publisher"}] if origin.get("publisher") else []),
            {"title": "atlas-crawler contributors", "role": "wrangler"},
        ],
    }
    path = origin.get("path") or source
    if path:
        package["sources"] = [{"title": origin.get("title") or path, "path": path}]
    if source:
        package["homepage"] = source
    package["resources"] = [resource(t, fmt, excel) for t in tables]
    if directory is not None:
        facts: dict[str, dict[str, Any]] = {}  # SQLite: one file, read once for every table
        for out in package["resources"]:
            if out["path"] not in facts:
                facts[out["path"]] = file_facts(directory / out["path"])
            out.update(facts[out["path"]])
    return package


def write_package(
    directory: Path,
    tables: tuple[Table, ...],
    fmt: str,
    excel: bool = False,
    source: str | None = None,
    settings: BaseSettings | None = None,
) -> Path:
    """``datapackage.json`` for the tables already written in ``directory``."""
    path = directory / PACKAGE
    package = descriptor(tables, fmt, excel, source, directory, settings)
    tmp = path.with_name(f".{PACKAGE}.tmp")
    tmp.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


# --- checking a package ---------------------------------------------------------------
def check(directory: Path) -> list[str]:
    """Every problem of the package in ``directory`` (its metadata, each file's size and
    hash, every row against its table schema, primary and foreign keys); [] when valid."""
    from frictionless import Package  # noqa: PLC0415 - a development tool (requirements-dev), not the crawl's

    package = json.loads((directory / PACKAGE).read_text("utf-8"))
    if all(out.get("format") == "csv" for out in package["resources"]):
        problems: list[str] = []  # Frictionless reads the files, and checks their size and hash
        report = Package(str(directory / PACKAGE)).validate()
    else:  # the rows read here, checked by Frictionless as inline tables
        problems = [
            f"{out['name']}: {out['path']} has {key} {fact}, the package says {out[key]}"
            for out in package["resources"]
            if {"bytes", "hash"} <= out.keys()
            for key, fact in file_facts(directory / out["path"]).items()
            if out[key] != fact
        ]
        inline = {**package, "resources": [_inline(directory, out) for out in package["resources"]]}
        report = Package.from_descriptor(inline).validate()
    for error in report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"]):
        problems.append(" ".join(str(part) for part in error if part is not None))
    return problems


def _inline(directory: Path, out: dict[str, Any]) -> dict[str, Any]:
    """A resource of the package with its rows in the descriptor (header first)."""
    fields = out["schema"]["fields"]
    names = [f["name"] for f in fields]
    if out["format"] == "parquet":
        columns = pq.read_table(directory / out["path"]).to_pydict()
        rows = [list(row) for row in zip(*(columns[n] for n in names), strict=True)]
    elif out["format"] == "sqlite":
        db = sqlite3.connect(f"file:{directory / out['path']}?mode=ro", uri=True)
        try:
            quoted = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
            rows = [list(r) for r in db.execute(f'SELECT {quoted} FROM "{out["table"]}"')]
        finally:
            db.close()
        # SQLite has no boolean: 0 and 1 stand for them (any other value stays, and fails)
        flags = [i for i, f in enumerate(fields) if f["type"] == "boolean"]
        for row in rows:
            for i in flags:
                row[i] = {0: False, 1: True}.get(row[i], row[i]) if type(row[i]) is int else row[i]
    else:
        raise ValueError(f"{out['name']}: no reader for format {out.get('format')!r}")
    kept = {k: v for k, v in out.items() if k not in ("path", "format", "mediatype", "table", "bytes", "hash")}
    return {**kept, "profile": "tabular-data-resource", "data": [names, *rows]}


def main(argv: list[str] | None = None) -> int:
    """``python -m atlas_crawler.output.export.datapackage DIR…``: check each package."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m atlas_crawler.output.export.datapackage TABLES_DIR [TABLES_DIR ...]")
        return 0 if args else 2
    status = 0
    for name in args:
        problems = check(Path(name))
        print(f"{name}: {'valid' if not problems else f'{len(problems)} problems'}")
        for problem in problems[:50]:
            print(f"  {problem}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main())
