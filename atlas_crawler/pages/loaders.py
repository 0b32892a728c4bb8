"""Item loaders: input processors turn what the page parsers found (raw text,
row dicts) into typed, cleaned values; output processors shape the fields.

Every absent scalar ends as None and every absent list as ``[]`` (never ``""``);
``0`` and ``False`` are values and are kept. A value that is there but cannot be
read (``31/02/2013``, ``vers 1850``, ``n.c.``) ends as None too, and its raw text
is kept in ``extra["unreadable"]`` under the field's name: nothing is lost, and
the run report can tell "absent" from "unreadable".
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
from atlas_crawler.items import DOUBTS, PROJECT_LISTS, CollectivityItem, ProjectItem
from atlas_crawler.urls import collectivity_id, collectivity_url, record_id

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


#: Converters that return None for text they cannot read (the others keep any text).
_FALLIBLE: set[Any] = {year, iso_date, amount, email}
UNREADABLE = "unreadable"


def _note_unreadable(context: dict[str, Any], path: str, text: Any, value: Any) -> None:
    """Keep the raw text of a value a fallible converter could not read."""
    if value is None and isinstance(text, str) and (raw := clean_line(text)):
        context[UNREADABLE].setdefault(path, []).append(raw)


def _readable(field: str, convert: Any) -> Any:
    """``convert`` for one field, noting what it could not read."""

    def process(text: Any, loader_context: dict[str, Any]) -> Any:
        value = convert(text)
        if convert in _FALLIBLE:
            _note_unreadable(loader_context, field, text, value)
        return value

    return process


def _row(record_field: str, /, **converters: Any) -> Any:
    """Processor turning a raw row dict into a typed one, one converter per key
    (a ``(source key, converter)`` pair reads another key of the raw row; a
    ``[converter]`` converts each of the several cells a key holds). Unreadable cells are
    noted as ``<field>.<key>``."""

    def convert(raw: Row, loader_context: dict[str, Any]) -> Row | None:
        row = {}
        for key, fn in converters.items():
            source, function = fn if isinstance(fn, tuple) else (key, fn)
            if isinstance(function, list):  # ``[convert]``: a key holding several cells
                read = _readable(f"{record_field}.{key}", function[0])
                row[key] = [read(v, loader_context) for v in raw.get(source) or []]
            else:
                row[key] = _readable(f"{record_field}.{key}", function)(raw.get(source), loader_context)
        return row if any(v is not None for k, v in row.items() if k not in ("id", "url")) else None

    return convert


def _ids(href: str | None) -> str | None:
    return collectivity_id(href) if href else None


def _url(href: str | None) -> str | None:
    return collectivity_url(href) if href and collectivity_id(href) else None


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context[UNREADABLE] = {}

    def load_item(self) -> Any:
        """Every field present, in schema order: absent lists ``[]``, absent
        scalars None, ``extra`` ``{}`` (plus what could not be read)."""
        loaded = super().load_item()
        item = type(loaded)()
        for field_name in item.fields:
            default: Any = [] if field_name in (*self.list_fields, DOUBTS) else {} if field_name == "extra" else None
            item[field_name] = loaded.get(field_name, default)
        if found := self.context[UNREADABLE]:
            texts = {path: raw[0] if len(raw) == 1 else raw for path, raw in found.items()}
            item["extra"] = {**item["extra"], UNREADABLE: texts}
        return item


class ProjectLoader(_AtlasLoader):
    default_item_class = ProjectItem
    list_fields = PROJECT_LISTS

    title_in = theme_in = sub_theme_in = sub_sub_theme_in = status_in = MapCompose(name)
    partnership_form_in = MapCompose(name)
    first_agreement_year_in = MapCompose(_readable("first_agreement_year", year))
    start_year_in = MapCompose(_readable("start_year", year))
    end_date_in = MapCompose(_readable("end_date", iso_date))
    context_in = history_in = objective_in = description_in = beneficiaries_in = MapCompose(clean)
    project_managers_in = contracting_authorities_in = other_partners_in = MapCompose(entries)
    triennial_in = communication_in_france_in = Identity()
    communication_in_partner_countries_in = evaluation_policy_in = Identity()
    embassy_in = MapCompose(_embassy)

    other_themes_in = MapCompose(_row("other_themes", theme=name, sub_theme=name, sub_sub_theme=name, priority=name))
    foreign_partners_in = MapCompose(
        _row("foreign_partners", name=name, country=name, id=("href", _ids), url=("href", _url))
    )
    foreign_partner_contacts_in = MapCompose(
        _row("foreign_partner_contacts", collectivity=name, last_name=name, first_name=name, function=name, email=email)
    )
    french_partners_in = MapCompose(_row("french_partners", name=name, id=("href", _ids), url=("href", _url)))
    funding_in = MapCompose(
        _row(
            "funding",
            funder=name,
            amount_eur=amount,
            one_percent_amounts_eur=[amount],
            year=year,
        )
    )
    volunteers_in = MapCompose(
        _row("volunteers", last_name=name, first_name=name, mission=name, field=name, assignment=name)
    )
    for _field in PROJECT_LISTS:
        locals()[f"{_field}_out"] = Identity()
    del _field


class CollectivityLoader(_AtlasLoader):
    default_item_class = CollectivityItem
    list_fields = ("project_ids",)

    name_in = collectivity_type_in = country_in = region_in = department_in = MapCompose(name)
    website_in = MapCompose(clean_line)
    project_ids_in = MapCompose(record_id)  # ids in their one spelling, as every address's
    project_ids_out = Identity()

    def load_item(self) -> Any:
        item = super().load_item()
        item["project_ids"] = sorted(set(item["project_ids"]), key=int)
        return item
