"""Writers of the tables: CSV (RFC 4180, UTF-8; Excel's UTF-8 BOM, ``;``, decimal
comma and no cell read as a formula on request), Parquet (pyarrow, typed columns,
money as decimal) and SQLite (stdlib ``sqlite3``: primary and foreign keys, indexes,
money as integer cents with a view in euros; sqlite-utils would add a dependency
for what ``CREATE TABLE`` says in a few lines).

``stored_table`` says what a format holds where it differs from the table's
definition (SQLite's cents columns, the Excel CSV's guarded texts): the data
package describes that.

Every file is written under a temporary name and moved into place when complete,
so a reader never sees half a table."""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from atlas_crawler.output.export.tables import (
    MONEY_PRECISION,
    MONEY_SCALE,
    Column,
    Row,
    Table,
    cents,
    exact,
)

FORMATS = ("csv", "parquet", "sqlite")
SQLITE_NAME = "atlas.sqlite"
#: First characters that make Excel, LibreOffice and Google Sheets read a cell as a
#: formula (OWASP, CSV injection): ``- `` starts the bullet lines of the long texts.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What ``--excel`` puts before such a text: a zero-width space (U+200B), which no
#: spreadsheet reads as a formula and none shows. OWASP's apostrophe is shown in the
#: cell when Excel opens a CSV (only a typed one is hidden; apache/superset#13735),
#: which would change every bullet line a reader sees.
FORMULA_GUARD = "\u200b"
EXCEL_NOTE = (
    " In this Excel CSV a text that starts with = + - @, a tab or a carriage return has a zero-width space "
    "(U+200B) before it, so that no spreadsheet reads it as a formula; the plain CSV has the texts exactly."
)
#: SQLite: the view of a table with money, in euros (``funding`` -> ``funding_eur``).
EUR_VIEW = "{table}_eur"


def stored_table(table: Table, fmt: str, excel: bool = False) -> Table:
    """``table`` as ``fmt`` holds it: in SQLite each money column is integer cents
    (``amount_eur`` -> ``amount_cents``, the view ``<table>_eur`` shows euros); in
    the Excel CSV the description says how texts are guarded; else ``table`` itself."""
    if fmt == "csv" and excel:
        return replace(table, description=table.description + EXCEL_NOTE)
    if fmt != "sqlite" or not any(c.money for c in table.columns):
        return table
    columns = tuple(_cents_column(c) if c.money else c for c in table.columns)
    view = EUR_VIEW.format(table=table.name)
    note = (
        f" Amounts are integer cents here (exact sums: sum(amount_cents) / 100.0, or the exact text "
        f"printf('%d.%02d', sum(amount_cents) / 100, sum(amount_cents) % 100)); the view {view} shows each in "
        "euros as exact text with two decimals."
    )
    return replace(table, columns=columns, description=table.description + note)


def _cents_column(column: Column) -> Column:
    return replace(
        column,
        name=_cents_name(column.name),
        type="integer",
        description=f"{column.description} In integer cents (1500.50 euros is 150050), exact.",
    )


def _cents_name(name: str) -> str:
    return name.removesuffix("_eur") + "_cents"


# --- CSV ---------------------------------------------------------------------
def csv_cell(kind: str, excel: bool) -> Callable[[Any], Any] | None:
    """How one column's values are spelled in CSV, or None where the csv module's own
    spelling is right (text, JSON text, integers, ISO dates; ``None`` is the empty cell,
    and no text field is ever "" in the records, so the empty cell is unambiguous).
    Numbers, money included, keep the JSON records' spelling (``1500.5``)."""
    if kind == "string" and excel:
        return excel_text
    if kind == "boolean":
        return {True: "true", False: "false", None: ""}.__getitem__
    if kind == "number":

        def number(v: Any) -> Any:
            if not isinstance(v, float):
                return v  # an int, or None: the csv module spells them right
            text = str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
            return text.replace(".", ",") if excel else text

        return number
    return None


def excel_text(value: Any) -> Any:
    """A text no spreadsheet reads as a formula (see ``FORMULA_GUARD``)."""
    return FORMULA_GUARD + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def converted(rows: Sequence[Row], cells: Sequence[Callable[[Any], Any] | None]) -> Iterable[Sequence[Any]]:
    """Rows with the columns that need it converted, a column at a time (``map``
    over a column is much faster than a loop over rows), the others as they are."""
    convert = [(i, cell) for i, cell in enumerate(cells) if cell is not None]
    if not convert or not rows:
        return rows
    columns: list[Any] = list(zip(*rows, strict=True))
    for i, cell in convert:
        columns[i] = map(cell, columns[i])
    return zip(*columns, strict=True)


def write_csv(table: Table, rows: Sequence[Row], path: Path, excel: bool = False) -> Path:
    """RFC 4180: CRLF line ends, fields quoted when they hold the separator, a quote
    or a line break (long texts keep their ``\\n``)."""
    cells = [csv_cell(c.type, excel) for c in table.columns]
    with _Replaced(path) as tmp, open(tmp, "w", encoding="utf-8-sig" if excel else "utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
        writer.writerow([c.name for c in table.columns])
        writer.writerows(converted(rows, cells))
    return path


# --- Parquet -----------------------------------------------------------------
ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "array": pa.string(),  # JSON text (tables.JSON_TYPES), as in the CSV (DuckDB: json(column))
    "object": pa.string(),
}
#: Money: exact to the cent, summed exactly by Arrow, DuckDB, pandas (Decimal).
MONEY_ARROW_TYPE = pa.decimal128(MONEY_PRECISION, MONEY_SCALE)


def arrow_type(column: Column) -> pa.DataType:
    return MONEY_ARROW_TYPE if column.money else ARROW_TYPES[column.type]


def arrow_schema(table: Table) -> pa.Schema:
    fields = [
        pa.field(
            c.name,
            arrow_type(c),
            nullable=not c.constraints.get("required"),
            metadata={"description": c.description, **({"title": c.title} if c.title else {})},
        )
        for c in table.columns
    ]
    return pa.schema(fields, metadata={"title": table.title, "description": table.description})


def _arrow_column(column: Column, values: Sequence[Any], to: pa.DataType) -> pa.Array:
    if column.type in ("date", "datetime"):  # ISO 8601 text, parsed by Arrow itself
        return pa.array(values, type=pa.string()).cast(to)
    if column.money:  # the decimal the JSON text spells, never through a float
        return pa.array(map(exact, values), type=to)
    return pa.array(values, type=to)


def write_parquet(table: Table, rows: Sequence[Row], path: Path) -> Path:
    schema = arrow_schema(table)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in table.columns]
    arrays = [
        _arrow_column(c, values, schema.field(i).type)
        for i, (c, values) in enumerate(zip(table.columns, columns, strict=True))
    ]
    with _Replaced(path) as tmp:
        pq.write_table(pa.Table.from_arrays(arrays, schema=schema), tmp, compression="zstd")
    return path


# --- SQLite ------------------------------------------------------------------
#: Declared types; dates stay ISO 8601 text (SQLite has no date type; its date
#: functions read that text), JSON stays text (SQLite and DuckDB ``json_*`` read it).
SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "date": "TEXT",
    "datetime": "TEXT",
    "array": "TEXT",
    "object": "TEXT",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table(table: Table) -> str:
    lines = [
        f"  {_quote(c.name)} {SQL_TYPES[c.type]}{' NOT NULL' if c.constraints.get('required') else ''}"
        for c in table.columns
    ]
    lines.append(f"  PRIMARY KEY ({', '.join(map(_quote, table.primary_key))})")
    for fk in table.foreign_keys:
        lines.append(
            f"  FOREIGN KEY ({', '.join(map(_quote, fk.fields))}) "
            f"REFERENCES {_quote(fk.table)} ({', '.join(map(_quote, fk.reference))})"
        )
    return f"CREATE TABLE {_quote(table.name)} (\n" + ",\n".join(lines) + "\n)"


def create_indexes(table: Table) -> list[str]:
    return [
        f"CREATE INDEX {_quote(f'{table.name}_' + '_'.join(columns))} ON {_quote(table.name)} "
        f"({', '.join(map(_quote, columns))})"
        for columns in table.indexes
    ]


def euros_sql(column: str) -> str:
    """Integer cents as exact euros text (``150050`` -> ``1500.50``): integer
    arithmetic only, no float on the way."""
    c = _quote(column)
    return (
        f"CASE WHEN {c} IS NULL THEN NULL ELSE printf('%s%d.%02d', CASE WHEN {c} < 0 THEN '-' ELSE '' END, "
        f"abs({c}) / 100, abs({c}) % 100) END"
    )


def create_view(table: Table) -> str | None:
    """``<table>_eur``: the table as the other formats show it, each money column
    in euros (exact text, two decimals); None for a table without money."""
    if not any(c.money for c in table.columns):
        return None
    cells = [
        f"{euros_sql(_cents_name(c.name))} AS {_quote(c.name)}" if c.money else _quote(c.name) for c in table.columns
    ]
    view = _quote(EUR_VIEW.format(table=table.name))
    return f"CREATE VIEW {view} AS SELECT {', '.join(cells)} FROM {_quote(table.name)}"


def in_cents(table: Table, rows: Sequence[Row]) -> Sequence[Row]:
    """Rows with each money column in integer cents, as SQLite stores them."""
    positions = table.money_positions
    if not positions:
        return rows
    cells = [cents if i in positions else None for i in range(len(table.columns))]
    return list(converted(rows, cells))


def write_sqlite(tables: Sequence[Table], rows: dict[str, Sequence[Row]], path: Path) -> Path:
    """One database, every table; indexes are built once the rows are in. Foreign
    keys are declared, not enforced (SQLite checks them only on a connection that
    sets ``PRAGMA foreign_keys = ON``, and then only for new writes): a partner whose
    collectivity page failed keeps its reference, and ``PRAGMA foreign_key_check``
    lists such rows. Money is integer cents, with a view in euros."""
    with _Replaced(path) as tmp:
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode = OFF")  # a new file, written once: no journal needed
            db.execute("PRAGMA synchronous = OFF")  # fsync'd once, when the file is moved into place
            with db:
                for table in tables:
                    stored = stored_table(table, "sqlite")
                    db.execute(create_table(stored))
                    insert = f"INSERT INTO {_quote(table.name)} VALUES ({', '.join('?' * len(table.columns))})"
                    db.executemany(insert, in_cents(table, rows[table.name]))
                    if view := create_view(table):
                        db.execute(view)
                for table in tables:
                    for statement in create_indexes(table):
                        db.execute(statement)
        finally:
            db.close()
    return path


# --- helpers -----------------------------------------------------------------
class _Replaced:
    """A temporary path beside ``path``, moved onto it on success, removed on failure."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileNotFoundError):
            self.tmp.unlink()
        return self.tmp

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            with open(self.tmp, "rb") as done:
                os.fsync(done.fileno())
            os.replace(self.tmp, self.path)
        else:
            with suppress(FileNotFoundError):
                self.tmp.unlink()
