"""The record types, each declared once.

A declaration names the record type (its records' ``type`` and its schema,
``schemas/<name>.schema.json``), its item class (fields taken from the schema, so
that items and schemas cannot drift apart), what people call its records, where
its parser declares the labels it reads, and its tables in the exports: the
record's own and one per list of objects. The pipelines, the run report, the
changes, the exports, the data dictionary and report.html read these
declarations; the page types (``pages/registry.py``) say which pages give which."""

from __future__ import annotations

from dataclasses import dataclass, field

import scrapy

from atlas_crawler.schemas import fields, list_fields

#: Not a field of the record: what the parse could not explain on its page
#: (``atlas_crawler.extract.doubts``), taken off by the doubts pipeline before
#: the record is written.
DOUBTS = "doubts"
PROJECT_FIELDS = fields("project")
PROJECT_LISTS = list_fields("project")
COLLECTIVITY_FIELDS = fields("collectivity")


class ProjectItem(scrapy.Item):
    """One atlas project (``detailProjet`` page)."""

    locals().update({name: scrapy.Field() for name in (*PROJECT_FIELDS, DOUBTS)})


class CollectivityItem(scrapy.Item):
    """One French or foreign collectivity."""

    locals().update({name: scrapy.Field() for name in (*COLLECTIVITY_FIELDS, DOUBTS)})


@dataclass(frozen=True)
class ChildTable:
    """The export table of one list-of-objects field: its name, title (French, as
    the atlas says it) and description (English)."""

    name: str
    title: str
    description: str


@dataclass(frozen=True, eq=False)  # one object per record type: compared and hashed as itself
class RecordType:
    """One kind of record."""

    name: str
    item_class: type[scrapy.Item]
    #: What its records are called, in French (report.html, the data package).
    title: str
    #: The module whose parser declares the labels its fields are read from.
    page_module: str
    #: Its table in the exports, the fields that identify a row, what a row is.
    table: str
    key: tuple[str, ...]
    description: str
    #: Field path (a list of objects, ``embassy.contacts``, ``project_ids``) -> its table.
    child_tables: dict[str, ChildTable] = field(default_factory=dict)


PROJECT = RecordType(
    "project",
    ProjectItem,
    title="Projets",
    page_module="atlas_crawler.pages.project",
    table="projects",
    key=("id",),
    description="One row per project (detailProjet page); its lists of objects are the child tables.",
    child_tables={
        "other_themes": ChildTable(
            "project_themes",
            "Thématiques des projets",
            "One row per theme of a project: its main theme (row_no 0, main = true, from the project's "
            "theme fields) and each row of its 'Autres thématiques' table (row_no 1, 2, … in page order).",
        ),
        "foreign_partners": ChildTable(
            "foreign_partners",
            "Partenaires étrangers",
            "One row per foreign partner collectivity of a project, in page order.",
        ),
        "foreign_partner_contacts": ChildTable(
            "partner_contacts",
            "Contacts chez les partenaires étrangers",
            "One row per contact person in a project's foreign partner collectivities, in page order.",
        ),
        "french_partners": ChildTable(
            "french_partners",
            "Collectivités territoriales françaises partenaires",
            "One row per French partner collectivity of a project, in page order.",
        ),
        "funding": ChildTable(
            "funding",
            "Financement",
            "One row per line of a project's funding table, in page order, the 'Montant 1%' cells as named columns.",
        ),
        "volunteers": ChildTable(
            "volunteers", "Volontaires", "One row per volunteer involved in a project, in page order."
        ),
        "embassy.contacts": ChildTable(
            "embassy_contacts",
            "Contacts au poste diplomatique",
            "One row per contact of the French embassy block of a project (its name is projects.embassy_name).",
        ),
    },
)
COLLECTIVITY = RecordType(
    "collectivity",
    CollectivityItem,
    title="Collectivités",
    page_module="atlas_crawler.pages.collectivity",
    table="collectivities",
    key=("kind", "id"),
    description="One row per French or foreign collectivity page; kind and id together identify it.",
    child_tables={
        "project_ids": ChildTable(
            "collectivity_projects",
            "Projets des collectivités",
            "One row per project listed on a collectivity's page ('Projets de la collectivité'), in page order.",
        ),
    },
)
#: Every record type, in the order of the exports' tables.
RECORD_TYPES: tuple[RecordType, ...] = (PROJECT, COLLECTIVITY)
BY_NAME: dict[str, RecordType] = {t.name: t for t in RECORD_TYPES}
