"""Item fields, in the order of ``schemas/*.schema.json`` (the output contract)."""

from __future__ import annotations

import scrapy

PROJECT_FIELDS = (
    "type",
    "id",
    "url",
    "crawled_at",
    "title",
    "first_agreement_year",
    "theme",
    "sub_theme",
    "sub_sub_theme",
    "other_themes",
    "start_year",
    "status",
    "end_date",
    "context",
    "history",
    "objective",
    "description",
    "partnership_form",
    "project_managers",
    "contracting_authorities",
    "beneficiaries",
    "foreign_partners",
    "foreign_partner_contacts",
    "french_partners",
    "other_partners",
    "triennial",
    "funding",
    "communication_in_france",
    "communication_in_partner_countries",
    "evaluation_policy",
    "volunteers",
    "embassy",
    "extra",
)
PROJECT_LISTS = (
    "other_themes",
    "project_managers",
    "contracting_authorities",
    "foreign_partners",
    "foreign_partner_contacts",
    "french_partners",
    "other_partners",
    "funding",
    "volunteers",
)
COLLECTIVITY_FIELDS = (
    "type",
    "id",
    "kind",
    "url",
    "crawled_at",
    "name",
    "collectivity_type",
    "country",
    "region",
    "department",
    "website",
    "project_ids",
    "extra",
)


class ProjectItem(scrapy.Item):
    """One atlas project (``detailProjet`` page)."""

    locals().update({name: scrapy.Field() for name in PROJECT_FIELDS})


class CollectivityItem(scrapy.Item):
    """One French or foreign collectivity (``detailCollectivite…`` page)."""

    locals().update({name: scrapy.Field() for name in COLLECTIVITY_FIELDS})
