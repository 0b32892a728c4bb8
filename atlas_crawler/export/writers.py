"""Writers of the tables: CSV (RFC 4180, UTF-8; Excel's UTF-8 BOM, ``;`` and decimal
comma on request), Parquet (pyarrow, typed columns) and SQLite (stdlib ``sqlite3``:
primary and foreign keys, indexes; sqlite-utils would add a dependency for what
``CREATE TABLE`` says in a few lines).

Every file is written under a temporary name and moved into place when complete,
so a reader never sees half a table."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from atlas_crawler.export.tables import Row, Table

FORMATS = ("csv", "parquet", "sqlite")
SQLITE_NAME = "atlas.sqlite"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- CSV ---------------------------------------------------------------------
def csv_cell(kind: str, excel: bool) -> Callable[[Any], str]:
    """How one column's values are spelled in CSV; ``None`` is the empty cell (no
    text field is ever "" in the records, so the empty cell is unambiguous)."""
    if kind in ("array", "object"):
        return lambda v: "" if v is None else _json(v)
    if kind == "boolean":
        return lambda v: "" if v is None else ("true" if v else "false")
    if kind == "number":

        def number(v: Any) -> str:
            if v is None:
                return ""
            text = str(int(v)) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else repr(v)
            return text.replace(".", ",") if excel else text

        return number
    if kind == "integer":
        return lambda v: "" if v is None else str(v)
    return lambda v: "" if v is None else v


def write_csv(table: Table, rows: Sequence[Row], path: Path, excel: bool = False) -> Path:
    """RFC 4180: CRLF line ends, fields quoted when they hold the separator, a quote
    or a line break (long texts keep their ``\\n``)."""
    cells = [csv_cell(c.type, excel) for c in table.columns]
    with _Replaced(path) as tmp, open(tmp, "w", encoding="utf-8-sig" if excel else "utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
        writer.writerow([c.name for c in table.columns])
        writer.writerows([cell(v) for cell, v in zip(cells, row, strict=True)] for row in rows)
    return path


# --- Parquet -----------------------------------------------------------------
ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "array": pa.string(),  # JSON text, as in the CSV (DuckDB: json(column))
    "object": pa.string(),
}


def _arrow_value(kind: str) -> Callable[[Any], Any]:
    if kind == "date":
        return lambda v: None if v is None else date.fromisoformat(v)
    if kind == "datetime":
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if kind in ("array", "object"):
        return lambda v: None if v is None else _json(v)
    if kind == "number":
        return lambda v: None if v is None else float(v)
    return lambda v: v


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


def write_parquet(table: Table, rows: Sequence[Row], path: Path) -> Path:
    schema = arrow_schema(table)
    columns = []
    for i, column in enumerate(table.columns):
        value = _arrow_value(column.type)
        columns.append(pa.array([value(row[i]) for row in rows], type=schema.field(i).type))
    with _Replaced(path) as tmp:
        pq.write_table(pa.Table.from_arrays(columns, schema=schema), tmp, compression="zstd")
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


def create_statements(table: Table) -> list[str]:
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
    statements = [f"CREATE TABLE {_quote(table.name)} (\n" + ",\n".join(lines) + "\n)"]
    for columns in table.indexes:
        index = f"{table.name}_{'_'.join(columns)}"
        statements.append(f"CREATE INDEX {_quote(index)} ON {_quote(table.name)} ({', '.join(map(_quote, columns))})")
    return statements


def _sql_value(kind: str) -> Callable[[Any], Any]:
    if kind in ("array", "object"):
        return lambda v: None if v is None else _json(v)
    if kind == "boolean":
        return lambda v: None if v is None else int(v)
    return lambda v: v


def write_sqlite(tables: Sequence[Table], rows: dict[str, Sequence[Row]], path: Path) -> Path:
    """One database, every table; parents are filled before their children so the
    database passes ``PRAGMA foreign_key_check``."""
    with _Replaced(path) as tmp:
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode = OFF")  # a new file, written once: no journal needed
            db.execute("PRAGMA synchronous = OFF")  # fsync'd once, when the file is moved into place
            with db:
                for table in tables:
                    for statement in create_statements(table):
                        db.execute(statement)
                    values = [_sql_value(c.type) for c in table.columns]
                    marks = ", ".join("?" * len(table.columns))
                    db.executemany(
                        f"INSERT INTO {_quote(table.name)} VALUES ({marks})",
                        ([v(x) for v, x in zip(values, row, strict=True)] for row in rows[table.name]),
                    )
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
