"""Collectivity pages (``detailCollectiviteFrancaise`` / ``…Etrangere``) -> ``CollectivityItem``."""

from __future__ import annotations

from scrapy.http import TextResponse

from atlas_crawler.extract.text import text_of
from atlas_crawler.items import CollectivityItem
from atlas_crawler.loaders import CollectivityLoader
from atlas_crawler.pages.common import PageIndex, TableSpec, extra_key, table_as_extra, utc_now
from atlas_crawler.urls import PROJECT_ID_PARAM, collectivity_id, collectivity_kind, collectivity_url, project_id

LABELS: dict[str, str] = {
    "nom": "name",
    "nom de la collectivite": "name",
    "type de collectivite": "collectivity_type",
    "pays": "country",
    "region": "region",
    "departement": "department",
    "site internet": "website",
    "site web": "website",
}

PROJECTS = TableSpec("project_ids", ("projets de la collectivite", "projets"), "titre du projet", ())


def _kind_from_fields(loader: CollectivityLoader) -> str:
    """French or foreign, when the address does not say: a French collectivity
    has a région or a département, a foreign one a country other than France."""
    if loader.get_collected_values("region") or loader.get_collected_values("department"):
        return "french"
    countries = loader.get_collected_values("country")
    return "foreign" if countries and countries[0] != "France" else "french"


def parse_collectivity(response: TextResponse, crawled_at: str | None = None) -> CollectivityItem:
    page = PageIndex(response, known_labels=LABELS)
    loader = CollectivityLoader(selector=response.selector)  # the page parsed once, not again
    cid = collectivity_id(response.url)
    kind = collectivity_kind(response.url)
    loader.add_value("type", "collectivity")
    loader.add_value("id", cid)
    loader.add_value("url", collectivity_url(response.url) if cid else None)
    loader.add_value("crawled_at", crawled_at or utc_now())

    extra: dict[str, object] = {}
    for pair in page.pairs:
        target = LABELS.get(pair.key)
        if target is None:
            extra[extra_key(pair.label)] = text_of(pair.raw_text)
        elif not loader.get_collected_values(target):
            loader.add_value(target, pair.raw_text)
    kind = kind or _kind_from_fields(loader)
    loader.add_value("kind", kind)
    if kind == "french" and not loader.get_collected_values("country"):
        loader.add_value("country", "France")

    table, _ = page.table_rows(PROJECTS)
    rows = table.rows if table is not None else []
    for cells in rows:
        href = page.first_link(cells, PROJECT_ID_PARAM)
        loader.add_value("project_ids", project_id(href) if href else None)
    for other in page.unused_tables():
        if other.rows:
            extra[extra_key(other.title)] = table_as_extra(other)
    loader.add_value("extra", {k: v for k, v in extra.items() if v not in (None, "", [])})
    return loader.load_item()
