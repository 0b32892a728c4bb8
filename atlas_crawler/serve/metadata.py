"""Datasette's metadata: French titles and the descriptions of the data dictionary for
every table and column (the export's own table definitions, as in docs/DATA.md), the
source and reuse terms, the facets, the label shown for a foreign key, the search
columns and the canned queries.

The source and licence are the dump's own (the ``licenses`` and ``sources`` of the
``datapackage.json`` written with the tables), else the settings ``ATLAS_DATA_LICENSE``
and ``ATLAS_DATA_SOURCE``, else the atlas address the records came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlite_utils

from atlas_crawler import settings
from atlas_crawler.output.export.tables import TABLES, Column
from atlas_crawler.output.export.writers import EUR_VIEW, stored_table
from atlas_crawler.serve.build import COLLECTIVITY_SEARCH, PACKAGE, PROJECT_SEARCH
from atlas_crawler.serve.queries import canned_queries

TITLE = "Atlas français de la coopération décentralisée"
DESCRIPTION = (
    "Les projets et les collectivités de l'Atlas de la coopération décentralisée (ministère de l'Europe et des "
    "Affaires étrangères), tels qu'un passage d'atlas-crawler les a lus. Cherchez un mot, filtrez par pays, "
    "thématique, région, statut ou année, suivez un partenaire jusqu'à sa collectivité, téléchargez en CSV. "
    "Field meanings: docs/DATA.md."
)
#: Columns the server adds to the export's tables (build.py).
DERIVED = {
    "projects": {
        "countries": "Pays des partenaires — the countries of the project's foreign partners (JSON list).",
        "regions": "Régions des partenaires français — the regions of its French partner collectivities (JSON list).",
    },
    "collectivities": {"ref": "Clé — the collectivity's one-column key, kind-id (french-12), for links."},
    **{
        table: {"collectivity": "Collectivité — the partner's collectivity (collectivities.ref), when crawled."}
        for table in ("foreign_partners", "french_partners", "collectivity_projects")
    },
}
#: Facets shown open on each table (``{"array": c}``: one value per item of a JSON list).
FACETS: dict[str, list[Any]] = {
    "projects": [{"array": "countries"}, "theme", {"array": "regions"}, "status", "start_year"],
    "collectivities": ["kind", "country", "region", "collectivity_type"],
    "foreign_partners": ["country"],
    "funding": ["year"],
    "project_themes": ["theme"],
    "doubts": ["rule"],
}
LABELS = {"projects": "title", "collectivities": "name"}
SEARCHED = {"projects": PROJECT_SEARCH, "collectivities": COLLECTIVITY_SEARCH}


def column_description(column: Column) -> str:
    """« French label » — what it holds (the data dictionary's two columns in one line)."""
    return f"« {column.title} » — {column.description}" if column.title else column.description


def provenance(directory: Path) -> dict[str, str]:
    """Datasette's ``source``/``source_url`` and ``license``/``license_url``."""
    package_file = directory / PACKAGE
    package = json.loads(package_file.read_text("utf-8")) if package_file.is_file() else {}
    out: dict[str, str] = {}
    source = (package.get("sources") or [None])[0] or _term(getattr(settings, "ATLAS_DATA_SOURCE", None))
    licence = (package.get("licenses") or [None])[0] or _term(getattr(settings, "ATLAS_DATA_LICENSE", None))
    if source:
        out["source"] = source.get("title") or source.get("path") or TITLE
        if source.get("path"):
            out["source_url"] = source["path"]
    if licence:
        out["license"] = licence.get("title") or licence.get("name") or licence.get("path") or "?"
        if licence.get("path"):
            out["license_url"] = licence["path"]
    return out


def _term(value: Any) -> dict[str, str] | None:
    """A setting as a Frictionless source/licence: a dict as it is, an address or a name."""
    if not value:
        return None
    if isinstance(value, dict):
        return value
    text = str(value)
    return {"path": text, "title": text} if "://" in text else {"title": text, "name": text}


def metadata(database: Path) -> dict[str, Any]:
    """The metadata of the served ``database`` (its ``datapackage.json`` beside it)."""
    db = sqlite_utils.Database(database)
    present = set(db.table_names())
    views = set(db.view_names())
    tables: dict[str, Any] = {}
    for table in (stored_table(t, "sqlite") for t in TABLES):
        if table.name not in present:
            continue
        if (view := EUR_VIEW.format(table=table.name)) in views:
            tables[view] = {
                "title": f"{table.title} (en euros)",
                "description": f"The table {table.name} with its amounts in euros, as exact text with two decimals.",
            }
        columns = {c.name: column_description(c) for c in table.columns}
        columns |= DERIVED.get(table.name, {})
        spec: dict[str, Any] = {"title": table.title, "description": table.description, "columns": columns}
        if table.name in FACETS:
            spec["facets"] = FACETS[table.name]
        if table.name in LABELS:
            spec["label_column"] = LABELS[table.name]
        if table.name in SEARCHED:
            spec["fts_table"] = f"{table.name}_fts"
        tables[table.name] = spec
    queries = canned_queries(db)
    db.close()
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        **provenance(database.parent),
        "databases": {database.stem: {"title": TITLE, "tables": tables, "queries": queries}},
    }
