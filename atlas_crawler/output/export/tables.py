"""The flat tables, derived from the record schemas.

Every scalar field is a typed column; a list of objects (funding lines, partners,
themes, contacts, volunteers) is a child table keyed by its parent and its row
number; a list of texts (project managers, contracting authorities, other partners)
and ``extra`` stay in their row as JSON text (one cell a spreadsheet shows whole,
``json()`` in DuckDB); ``embassy`` is split into ``projects.embassy_name`` and the
``embassy_contacts`` table. A schema field no rule takes stops the import, so a new
field is never silently dropped. The run's doubts (the doubts file beside the
records) give the ``doubts`` table and the ``doubted`` column of the record tables.

Amounts of money (number fields named ``*_eur``) are marked ``money``: the writers
store them exactly (decimal in Parquet, integer cents in SQLite). A partner row
refers to its collectivity by ``(collectivity_kind, collectivity_id)``, the key of
``collectivities``: a declared foreign key that a failed collectivity page leaves
dangling (said in the table's description)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cached_property
from operator import itemgetter
from typing import Any

from atlas_crawler.extract.doubts import RULES
from atlas_crawler.items import BY_NAME, COLLECTIVITY, PROJECT, RECORD_TYPES, ChildTable, RecordType
from atlas_crawler.pages.labels import french_label
from atlas_crawler.schemas.tree import Field, record_fields
from atlas_crawler.records import record_key

Row = tuple[Any, ...]
Getter = Callable[[dict[str, Any]], Any]


#: Column types held as JSON text in every format (Table Schema's array and object).
JSON_TYPES = ("array", "object")
#: One encoder for every cell (``json.dumps`` with options builds a new one per call).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_text(value: Any) -> str | None:
    return None if value is None else _encode(value)


def _as_json(key: str) -> Getter:
    return lambda item: json_text(item.get(key))


class ExportError(ValueError):
    """A record the tables cannot hold without losing part of it."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Table Schema type: string integer number boolean date datetime array object
    title: str | None  # the French label on the page, when there is one
    description: str
    constraints: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # the record field it holds ("funding[].amount_eur")
    get: Getter = field(default=lambda item: None, repr=False, compare=False)
    #: The item's key when the value is simply ``item.get(key)`` (read in bulk, see Table.rows).
    key: str | None = None
    #: An amount in euros, stored exactly to the cent (see ``cents``).
    money: bool = False


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    record_type: str | None  # None: not filled from records (the doubts table)
    title: str  # French
    description: str  # English
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()
    #: record -> (row number, item) for a child table; None for one row per record.
    items: Callable[[dict[str, Any]], Iterable[tuple[int, Any]]] | None = field(default=None, repr=False)

    def rows(self, record: dict[str, Any]) -> Iterator[Row]:
        build = self._item_row
        if self.items is None:
            yield build(record)
            return
        keys = tuple(c.get(record) for c in self.columns[: len(self.primary_key) - 1])
        for number, item in self.items(record):
            yield (*keys, number, *build(item))

    @cached_property
    def _item_row(self) -> Callable[[Any], Row]:
        """One item's cells: plain keys read with one ``map`` (20,000 projects make
        ~600,000 rows), computed cells by their getter, lists and objects as JSON text
        (every format stores them so: encoded once here, not once per format)."""
        columns = self.columns if self.items is None else self.columns[len(self.primary_key) :]
        keys = [c.key for c in columns]
        computed = [(i, c.get) for i, c in enumerate(columns) if c.key is None]
        computed += [(i, _as_json(c.key)) for i, c in enumerate(columns) if c.type in JSON_TYPES and c.key]
        if len(computed) == len(columns):
            return lambda item: tuple(get(item) for _, get in computed)

        def build(item: dict[str, Any]) -> Row:
            row = list(map(item.get, keys))
            for i, get in computed:
                row[i] = get(item)
            return tuple(row)

        return build

    @cached_property
    def money_positions(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.columns) if c.money)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


#: Child-table columns named after what they refer to.
RENAMED = {
    "foreign_partners[].id": "collectivity_id",
    "foreign_partners[].url": "collectivity_url",
    "french_partners[].id": "collectivity_id",
    "french_partners[].url": "collectivity_url",
}
#: The partner lists and the kind of collectivity their loupe links lead to: with the
#: link's id, the key (kind, id) of the partner's row in ``collectivities``.
PARTNER_KINDS = {"foreign_partners": "foreign", "french_partners": "french"}
#: What a partner table says of references no collectivity row answers.
DANGLING = (
    " (collectivity_kind, collectivity_id) is the key of the partner's row in collectivities (a declared "
    "foreign key); it is null when the page gives no link. A collectivity whose page failed, was skipped "
    "or is gone from the atlas has no row there: its partners keep its id (the page says it) and the "
    "reference dangles, so join with LEFT JOIN to keep them; frictionless validate reports each as a "
    "foreign-key error and SQLite's PRAGMA foreign_key_check lists them (the run report names the failed pages)."
)
#: Money is stored to the cent: decimal(15, 2) in Parquet, integer cents in SQLite.
MONEY_PRECISION, MONEY_SCALE = 15, 2
_CENT = Decimal(1).scaleb(-MONEY_SCALE)
#: How many 'Montant 1%' columns the atlas' funding table has: each gets a named column.
ONE_PERCENT_COLUMNS = 3
_ONE_PERCENT = "funding[].one_percent_amounts_eur"
_THEME_FIELDS = ("theme", "sub_theme", "sub_sub_theme")


#: Fields the schemas leave undescribed (the dictionary must say what every column holds).


def is_money(f: Field) -> bool:
    """An amount in euros: a number (or list of numbers) whose name ends in ``_eur``."""
    return f.name.endswith("_eur") and (f.type == "number" or f.item_type == "number")


def exact(value: Any) -> Decimal | None:
    """An amount as the exact decimal its JSON text spells (``1500.5`` -> ``1500.50``),
    or ExportError when no decimal(15, 2) holds it: a fraction of a cent, or too large."""
    if value is None:
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        held = number.quantize(_CENT)
    except (InvalidOperation, TypeError, ValueError):
        raise ExportError(f"amount {value!r} is not a number of euros") from None
    if held != number or len(held.as_tuple().digits) > MONEY_PRECISION:
        raise ExportError(f"amount {value!r} does not fit decimal({MONEY_PRECISION}, {MONEY_SCALE}) euros")
    return held


def cents(value: Any) -> int | None:
    """An amount in integer cents (``1500.5`` -> ``150050``), exactly."""
    held = exact(value)
    return None if held is None else int(held.scaleb(MONEY_SCALE))


def describe(f: Field, record_type: str) -> tuple[str | None, str]:
    """(French label, description): the schema's description, or where it is only
    the label, an English sentence naming it."""
    label = french_label(f.path, f.description, record_type)
    text = f.description or ""
    if label and text.strip(" .") == label:
        text = f"The value given under « {label} » on the page."
    return label, text


def _column(f: Field, record_type: str, name: str | None = None, get: Getter | None = None) -> Column:
    title, text = describe(f, record_type)
    key = f.name
    return Column(
        name=name or f.name,
        type=f.type,
        title=title,
        description=text,
        constraints=dict(f.constraints),
        source=f.path,
        get=get or (lambda item: item.get(key)),
        key=None if get else key,
        money=is_money(f),
    )


def _scalar_columns(fields: Iterable[Field], record_type: str, prefix: str = "") -> list[Column]:
    """Columns for the fields of one row: scalars, lists of texts and free objects as
    JSON text; lists of objects and nested objects are left to ``_child_tables``."""
    out = []
    for f in fields:
        if f.name == "type" and f.constraints.get("enum"):
            continue  # the table says it
        child_tables = BY_NAME[record_type].child_tables
        if f.is_table or f.path in child_tables:
            if f.path not in child_tables:
                raise ExportError(
                    f"schema field {record_type}.{f.path} has no table: add it to the record type's child_tables "
                    "(atlas_crawler/items.py)"
                )
            continue
        if f.type == "object" and f.children:
            out += _nested_columns(f, record_type)
            continue
        if f.path == _ONE_PERCENT:
            out += _one_percent_columns(f, record_type)
            continue
        out.append(_column(f, record_type, name=prefix + f.name))
    return out


def _nested_columns(parent: Field, record_type: str) -> list[Column]:
    """An object field (``embassy``): its scalars as ``<object>_<field>`` columns."""
    outer = parent.name
    label, _ = describe(parent, record_type)
    out = []
    for child in parent.children:
        if child.is_table:
            continue
        column = _column(child, record_type, name=f"{outer}_{child.name}", get=_inside(outer, child.name))
        constraints = dict(column.constraints)
        if parent.nullable:  # no object, no value
            constraints.pop("required", None)
        out.append(replace(column, title=column.title or label, constraints=constraints))
    return out


def _inside(outer: str, key: str) -> Getter:
    return lambda record: (record.get(outer) or {}).get(key)


def _one_percent_columns(f: Field, record_type: str) -> list[Column]:
    """The 'Montant 1%' cells: how many the row had, then one column per cell."""

    def count(item: dict[str, Any]) -> int:
        cells = item.get(f.name) or []
        if len(cells) > ONE_PERCENT_COLUMNS:
            raise ExportError(
                f"a funding line has {len(cells)} 'Montant 1%' cells; the tables hold {ONE_PERCENT_COLUMNS}"
            )
        return len(cells)

    def cell(n: int) -> Getter:
        def get(item: dict[str, Any]) -> Any:
            cells = item.get(f.name) or ()
            return cells[n - 1] if len(cells) >= n else None

        return get

    title, _ = describe(f, record_type)
    out = [
        Column(
            "one_percent_columns",
            "integer",
            None,
            f"How many 'Montant 1%' cells the funding line has ({ONE_PERCENT_COLUMNS} on the atlas; "
            "0 when the table has no such column); the named columns after it hold them.",
            {"required": True, "minimum": 0, "maximum": ONE_PERCENT_COLUMNS},
            f.path,
            count,
        )
    ]
    for n in range(1, ONE_PERCENT_COLUMNS + 1):
        out.append(
            Column(
                f"one_percent_{n}_eur",
                "number",
                title,
                f"Cell {n} of {ONE_PERCENT_COLUMNS} under the 'Montant 1% …' columns, in euros. {f.description}",
                {},
                f"{f.path}[{n - 1}]",
                cell(n),
                money=is_money(f),
            )
        )
    return out


def _parent_columns(record_type: RecordType) -> list[Column]:
    """A child row's reference to its record: one column per field of the record's key."""
    ids = {f.name: f for f in record_fields(record_type.name)}
    name, table = record_type.name, record_type.table
    return [
        Column(
            f"{name}_{k}",
            "string",
            None,
            f"The {name} ({table}.{k})." if k == "id" else f"The {name}'s {k} ({table}.{k}).",
            dict(ids[k].constraints),
            k,
            itemgetter(k),
        )
        for k in record_type.key
    ]


def _row_number(start: int) -> Column:
    return Column(
        "row_no",
        "integer",
        None,
        f"The row's place among its parent's rows, in page order, from {start}.",
        {"required": True, "minimum": start},
    )


def _list_items(path: str) -> Callable[[dict[str, Any]], Iterable[tuple[int, Any]]]:
    outer, _, inner = path.partition(".")
    if inner:
        return lambda r: enumerate((r.get(outer) or {}).get(inner) or (), 1)
    return lambda r: enumerate(r.get(outer) or (), 1)


def _theme_items(record: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    if any(record.get(k) is not None for k in _THEME_FIELDS):
        yield 0, {**{k: record.get(k) for k in _THEME_FIELDS}, "priority": None, "main": True}
    for number, item in enumerate(record.get("other_themes") or (), 1):
        yield number, {**item, "main": False}


def _child_table(record_type: RecordType, f: Field, child: ChildTable) -> Table:
    name, title, description = child.name, child.title, child.description
    parents = _parent_columns(record_type)
    start = 1
    items = _list_items(f.path)
    references: tuple[ForeignKey, ...] = ()
    if f.is_table:
        columns = []
        for g in f.children:
            renamed = RENAMED.get(g.path)
            if renamed == "collectivity_id" and f.path in PARTNER_KINDS:
                columns.append(_kind_column(PARTNER_KINDS[f.path]))
                references = (ForeignKey(("collectivity_kind", renamed), COLLECTIVITY.table, COLLECTIVITY.key),)
                description += DANGLING
            if renamed:
                columns.append(_column(g, record_type.name, name=renamed))
            else:
                columns += _scalar_columns([g], record_type.name)
    else:  # a list of project ids: one column, named after what it refers to
        project_id = next(c for c in _parent_columns(PROJECT))
        columns = [
            Column(
                "project_id",
                "string",
                None,
                "A project listed on the page (projects.id, when that project's page was crawled).",
                dict(project_id.constraints),
                f"{f.path}[]",
                lambda item: item,
            )
        ]
    if name == "project_themes":
        start, items = 0, _theme_items
        columns.append(
            Column("main", "boolean", None, "True for the project's main theme (theme, sub_theme, sub_sub_theme "
                   "of projects), false for a row of 'Autres thématiques'.", {"required": True}, None,
                   lambda item: item["main"], key="main")
        )  # fmt: skip
    parent_key = tuple(c.name for c in parents)
    return Table(
        name=name,
        record_type=record_type.name,
        title=title,
        description=description,
        columns=(*parents, _row_number(start), *columns),
        primary_key=(*parent_key, "row_no"),
        foreign_keys=(ForeignKey(parent_key, record_type.table, record_type.key), *references),
        indexes=_INDEXES.get(name, ()),
        items=items,
    )


def _kind_column(kind: str) -> Column:
    """The kind half of a partner's reference to its collectivity: the same for every
    row of its table, null with the id (a composite key is checked unless all null)."""
    return Column(
        "collectivity_kind",
        "string",
        None,
        f"'{kind}' when the partner links to its collectivity's page, else null: with collectivity_id, the "
        "key (kind, id) of its row in collectivities.",
        {"enum": [kind]},
        get=lambda item: kind if item.get("id") is not None else None,
    )


#: The record tables' column that says whether the crawl doubted the record.
DOUBTED = "doubted"
DOUBTS_TABLE = "doubts"


def _doubted_column() -> Column:
    return Column(
        DOUBTED,
        "boolean",
        None,
        "True when the crawl doubted the record: the parse left text on its page unexplained or read it two "
        "ways (the reasons are in the doubts table); false when not; null when the records came without the "
        "doubts file of their crawl. Leave doubted records out where an error would matter.",
        get=lambda record: record.get(DOUBTED),
    )


def _doubts_table() -> Table:
    """One row per reason to doubt a record, from the doubts file (not the records)."""
    ids = {f.name: f for f in record_fields(COLLECTIVITY.name)}
    names = [t.name for t in RECORD_TYPES]
    columns = (
        Column("type", "string", None, f"The record's type: {' or '.join(names)}.",
               {"required": True, "enum": list(names)}),
        Column("kind", "string", None, "The collectivity's kind (collectivities.kind); null for a project.",
               {"enum": ids["kind"].constraints["enum"]}),
        Column("id", "string", None, "The record's id (projects.id, or collectivities.id with kind).",
               dict(ids["id"].constraints)),
        Column("row_no", "integer", None, "The reason's place among the record's reasons, from 1.",
               {"required": True, "minimum": 1}),
        Column("rule", "string", None, "The rule that raised the doubt: text nothing claims (unclaimed_text), "
               "text claimed twice (claimed_twice), a known label or column in a role it does not have "
               "(misplaced_vocabulary), a value that cannot be one (implausible_value), a page or pager that fits "
               "two readings (ambiguous_structure).", {"required": True, "enum": list(RULES)}),
        Column("field", "string", None, "The record field concerned, when there is one."),
        Column("text", "string", None, "The text that raised it, as the page shows it (at most 80 characters).",
               {"required": True}),
    )  # fmt: skip
    return Table(
        DOUBTS_TABLE,
        None,
        "Doutes de lecture",
        "One row per reason the crawl doubted a record (the doubts file beside the records, after the page "
        "chrome it learnt is set aside); type, kind and id name the record in projects or collectivities.",
        columns,
        ("type", "kind", "id", "row_no"),
        indexes=(("rule",),),
    )


def doubts_rows(doubts: Iterable[dict[str, Any]]) -> list[Row]:
    """The doubts table's rows: each doubted record's reasons, in the file's order."""
    return [
        (d["type"], d["kind"], d["id"], n, r["rule"], r["field"], r["text"])
        for d in doubts
        for n, r in enumerate(d["reasons"], 1)
    ]


#: Columns people filter or join on, beyond the keys (SQLite indexes).
_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "projects": (("start_year",), ("theme",)),
    "collectivities": (("region",), ("country",)),
    "project_themes": (("theme",),),
    "foreign_partners": (("collectivity_kind", "collectivity_id"), ("country",)),
    "french_partners": (("collectivity_kind", "collectivity_id"),),
    "funding": (("funder",),),
    "collectivity_projects": (("project_id",),),
}


def _tables() -> tuple[Table, ...]:
    """Each record type's table, then its child tables in schema order."""
    out: list[Table] = []
    for record_type in RECORD_TYPES:
        fields = record_fields(record_type.name)
        columns = (*_scalar_columns(fields, record_type.name), _doubted_column())
        name = record_type.table
        out.append(
            Table(name, record_type.name, record_type.title, record_type.description, columns, record_type.key,
                  indexes=_INDEXES.get(name, ()))
        )  # fmt: skip
        for f in fields:
            for g in (f, *f.children) if f.type == "object" else (f,):
                if (child := record_type.child_tables.get(g.path)) is not None:
                    out.append(_child_table(record_type, g, child))
    return (*out, _doubts_table())


TABLES: tuple[Table, ...] = _tables()
TABLES_BY_NAME = {t.name: t for t in TABLES}


def table_rows(records: Iterable[dict[str, Any]], doubts: list[dict[str, Any]] | None = None) -> dict[str, list[Row]]:
    """Every table's rows, from records in any order (unknown record types are
    skipped) and the crawl's doubts (None: unknown, ``doubted`` is null)."""
    out: dict[str, list[Row]] = {t.name: [] for t in TABLES}
    doubted = None if doubts is None else {record_key(d) for d in doubts}
    if doubts is not None:
        out[DOUBTS_TABLE] = doubts_rows(doubts)
    for record in records:
        for name, rows in record_rows(record, None if doubted is None else record_key(record) in doubted):
            out[name].extend(rows)
    return out


def record_rows(record: dict[str, Any], doubted: bool | None) -> Iterator[tuple[str, list[Row]]]:
    """One record's rows in each table of its type (none for an unknown type);
    ``doubted``: whether its crawl doubted it (None: not known)."""
    flagged = record if doubted is None else {**record, DOUBTED: doubted}
    for t in _TABLES_OF_TYPE.get(record.get("type"), ()):
        try:
            rows = list(t.rows(flagged))
            for i in t.money_positions:  # stored exactly by every format, or refused here
                for row in rows:
                    exact(row[i])
        except ExportError as error:
            raise ExportError(f"{record.get('type')} {record.get('id')}: {error}") from None
        yield t.name, rows


#: Each record type's tables: its own, then its child tables.
_TABLES_OF_TYPE = {r.name: [t for t in TABLES if t.record_type == r.name] for r in RECORD_TYPES}
