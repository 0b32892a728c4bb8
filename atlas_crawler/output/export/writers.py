"""Writers of the tables: CSV (RFC 4180, UTF-8; Excel's UTF-8 BOM, ``;`` and decimal
comma on request), Parquet (pyarrow, typed columns) and SQLite (stdlib ``sqlite3``:
primary and foreign keys, indexes; sqlite-utils would add a dependency for what
``CREATE TABLE`` says in a few lines).

Every file is written under a temporary name and moved into place when complete,
so a reader never sees half a table."""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from atlas_crawler.output.export.tables import Row, Table

FORMATS = ("csv", "parquet", "sqlite")
SQLITE_NAME = "atlas.sqlite"


# --- CSV ---------------------------------------------------------------------
def csv_cell(kind: str, excel: bool) -> Callable[[Any], Any] | None:
    """How one column's values are spelled in CSV, or None where the csv module's own
    spelling is right (text, JSON text, integers, ISO dates; ``None`` is the empty cell,
    and no text field is ever "" in the records, so the empty cell is unambiguous)."""
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


def arrow_schema(table: Table) -> pa.Schema:
    fields = [
        pa.field(
            c.name,
            ARROW_TYPES[c.type],
            nullable=not c.constraints.get("required"),
            metadata={"description": c.description, **({"title": c.title} if c.title else {})},
        )
        for c in table.columns
    ]
    return pa.schema(fields, metadata={"title": table.title, "description": table.description})


def _arrow_column(kind: str, values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    if kind in ("date", "datetime"):  # ISO 8601 text, parsed by Arrow itself
        return pa.array(values, type=pa.string()).cast(arrow_type)
    return pa.array(values, type=arrow_type)


def write_parquet(table: Table, rows: Sequence[Row], path: Path) -> Path:
    schema = arrow_schema(table)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in table.columns]
    arrays = [
        _arrow_column(c.type, values, schema.field(i).type)
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


def write_sqlite(tables: Sequence[Table], rows: dict[str, Sequence[Row]], path: Path) -> Path:
    """One database, every table; parents are filled before their children so the
    database passes ``PRAGMA foreign_key_check``; indexes are built once the rows are in."""
    with _Replaced(path) as tmp:
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode = OFF")  # a new file, written once: no journal needed
            db.execute("PRAGMA synchronous = OFF")  # fsync'd once, when the file is moved into place
            with db:
                for table in tables:
                    db.execute(create_table(table))
                    insert = f"INSERT INTO {_quote(table.name)} VALUES ({', '.join('?' * len(table.columns))})"
                    db.executemany(insert, rows[table.name])
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
