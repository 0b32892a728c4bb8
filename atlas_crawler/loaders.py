"""Item loaders: input processors turn what the page parsers found (raw text,
row dicts) into typed, cleaned values; output processors shape the fields.

Every absent scalar ends as None and every absent list as ``[]`` (never ``""``);
``0`` and ``False`` are values and are kept.
"""

from __future__ import annotations

from typing import Any

from itemloaders.processors import Identity, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from atlas_crawler.extract.text import clean, clean_line
from atlas_crawler.extract.values import (
    parse_date,
    parse_email,
    parse_number,
    parse_year,
    split_lines,
    strip_separators,
)
from atlas_crawler.items import PROJECT_LISTS, CollectivityItem, ProjectItem
from atlas_crawler.urls import collectivity_id, collectivity_url

Row = dict[str, Any]


def name(text: str | None) -> str | None:
    """A single-line name or short value, stray separators removed."""
    return strip_separators(clean_line(text))


def year(text: str | None) -> int | None:
    return parse_year(clean_line(text))


def iso_date(text: str | None) -> str | None:
    return parse_date(clean_line(text))


def entries(text: str | None) -> list[str]:
    """A multi-valued text: one entry per line."""
    return split_lines(clean(text))


def amount(text: str | None) -> int | float | None:
    return parse_number(clean_line(text))


def email(text: str | None) -> str | None:
    return parse_email(clean_line(text))


def _row(**converters: Any) -> Any:
    """Processor turning a raw row dict into a typed one, one converter per key
    (a ``(source key, converter)`` pair reads another key of the raw row)."""

    def convert(raw: Row) -> Row | None:
        row = {
            key: fn[1](raw.get(fn[0])) if isinstance(fn, tuple) else fn(raw.get(key)) for key, fn in converters.items()
        }
        return row if any(v is not None for k, v in row.items() if k not in ("id", "url")) else None

    return convert


def _ids(href: str | None) -> str | None:
    return collectivity_id(href) if href else None


def _url(href: str | None) -> str | None:
    return collectivity_url(href) if href and collectivity_id(href) else None


def _numbers(cells: list[str | None] | None) -> list[int | float | None]:
    return [amount(c) for c in cells or []]


def _embassy(raw: Row) -> Row | None:
    contacts = [
        {"role": name(c.get("role")), "name": name(c.get("name")), "email": email(c.get("email"))}
        for c in raw.get("contacts", [])
    ]
    post = name(raw.get("name"))
    return {"name": post, "contacts": contacts} if post else None


def _merge_dicts(values: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for value in values:
        merged.update(value)
    return merged


class _AtlasLoader(ItemLoader):
    default_output_processor = TakeFirst()
    extra_out = _merge_dicts
    list_fields: tuple[str, ...] = ()

    def load_item(self) -> Any:
        """Every field present, in schema order: absent lists ``[]``, absent
        scalars None, ``extra`` ``{}``."""
        loaded = super().load_item()
        item = type(loaded)()
        for field_name in item.fields:
            default: Any = [] if field_name in self.list_fields else {} if field_name == "extra" else None
            item[field_name] = loaded.get(field_name, default)
        return item


class ProjectLoader(_AtlasLoader):
    default_item_class = ProjectItem
    list_fields = PROJECT_LISTS

    title_in = theme_in = sub_theme_in = sub_sub_theme_in = status_in = MapCompose(name)
    partnership_form_in = MapCompose(name)
    first_agreement_year_in = start_year_in = MapCompose(year)
    end_date_in = MapCompose(iso_date)
    context_in = history_in = objective_in = description_in = beneficiaries_in = MapCompose(clean)
    project_managers_in = contracting_authorities_in = other_partners_in = MapCompose(entries)
    triennial_in = communication_in_france_in = Identity()
    communication_in_partner_countries_in = evaluation_policy_in = Identity()
    embassy_in = MapCompose(_embassy)

    other_themes_in = MapCompose(_row(theme=name, sub_theme=name, sub_sub_theme=name, priority=name))
    foreign_partners_in = MapCompose(_row(name=name, country=name, id=("href", _ids), url=("href", _url)))
    foreign_partner_contacts_in = MapCompose(
        _row(collectivity=name, last_name=name, first_name=name, function=name, email=email)
    )
    french_partners_in = MapCompose(_row(name=name, id=("href", _ids), url=("href", _url)))
    funding_in = MapCompose(
        _row(
            funder=name,
            amount_eur=amount,
            one_percent_amounts_eur=_numbers,
            year=year,
        )
    )
    volunteers_in = MapCompose(_row(last_name=name, first_name=name, mission=name, field=name, assignment=name))
    for _field in PROJECT_LISTS:
        locals()[f"{_field}_out"] = Identity()
    del _field


class CollectivityLoader(_AtlasLoader):
    default_item_class = CollectivityItem
    list_fields = ("project_ids",)

    name_in = collectivity_type_in = country_in = region_in = department_in = MapCompose(name)
    website_in = MapCompose(clean_line)
    project_ids_in = MapCompose(lambda v: v if v and v.isdigit() else None)
    project_ids_out = Identity()

    def load_item(self) -> Any:
        item = super().load_item()
        item["project_ids"] = sorted(set(item["project_ids"]), key=int)
        return item
