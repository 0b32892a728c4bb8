"""Item classes, their fields taken from ``schemas/*.schema.json`` (the output
contract), so that items and schemas cannot drift apart."""

from __future__ import annotations

import scrapy

from atlas_crawler.schemas import fields, list_fields

PROJECT_FIELDS = fields("project")
PROJECT_LISTS = list_fields("project")
COLLECTIVITY_FIELDS = fields("collectivity")
#: Not a field of the record: what the parse could not explain on its page
#: (``atlas_crawler.extract.doubts``), taken off by the doubts pipeline before
#: the record is written.
DOUBTS = "doubts"


class ProjectItem(scrapy.Item):
    """One atlas project (``detailProjet`` page)."""

    locals().update({name: scrapy.Field() for name in (*PROJECT_FIELDS, DOUBTS)})


class CollectivityItem(scrapy.Item):
    """One French or foreign collectivity."""

    locals().update({name: scrapy.Field() for name in (*COLLECTIVITY_FIELDS, DOUBTS)})
