"""Item fields, mirroring ``schemas/*.schema.json`` (the output contract)."""

from __future__ import annotations

import scrapy

PROJECT_SCALARS = (
    "title", "first_agreement_year", "theme", "sub_theme", "sub_sub_theme", "start_year",
    "status", "end_date", "context", "history", "objective", "description",
    "partnership_form", "beneficiaries", "triennial", "communication_in_france",
    "communication_in_partner_countries", "evaluation_policy", "embassy",
)
PROJECT_LISTS = (
    "other_themes", "project_managers", "contracting_authorities", "foreign_partners",
    "foreign_partner_contacts", "french_partners", "other_partners", "funding", "volunteers",
)
COLLECTIVITY_SCALARS = ("kind", "name", "collectivity_type", "country", "region", "department", "website")


class ProjectItem(scrapy.Item):
    """One atlas project (``detailProjet`` page)."""

    type = scrapy.Field()
    id = scrapy.Field()
    url = scrapy.Field()
    crawled_at = scrapy.Field()
    extra = scrapy.Field()
    locals().update({name: scrapy.Field() for name in PROJECT_SCALARS + PROJECT_LISTS})


class CollectivityItem(scrapy.Item):
    """One French or foreign collectivity (``detailCollectivite…`` page)."""

    type = scrapy.Field()
    id = scrapy.Field()
    url = scrapy.Field()
    crawled_at = scrapy.Field()
    project_ids = scrapy.Field()
    extra = scrapy.Field()
    locals().update({name: scrapy.Field() for name in COLLECTIVITY_SCALARS})
