"""The history as Parquet files (``history/<table>.parquet`` beside ``history.sqlite``),
for DuckDB, pandas or Arrow: every table of the store, money back in exact euros
(decimal), flags as booleans, times as UTC timestamps.

Parquet files cannot be appended to: each update writes them anew from the store, a
file at a time (each replaced whole)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

from atlas_crawler.history.schema import HISTORY_TABLES
from atlas_crawler.history.store import rows_of
from atlas_crawler.output.export.tables import MONEY_SCALE, Table
from atlas_crawler.output.export.writers import write_parquet


def write(store: Path, directory: Path) -> Path:
    """Every table of ``store`` into ``directory``; returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        for table in HISTORY_TABLES:
            write_parquet(table, _as_parquet(table, list(rows_of(db, table))), directory / f"{table.name}.parquet")
    return directory


def _as_parquet(table: Table, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """SQLite's cells as Parquet holds them: cents -> euros, 0/1 -> booleans."""
    convert = {i: _euros for i, c in enumerate(table.columns) if c.money}
    convert |= {i: _flag for i, c in enumerate(table.columns) if c.type == "boolean"}
    if not convert:
        return rows
    return [tuple(convert[i](v) if i in convert else v for i, v in enumerate(row)) for row in rows]


def _euros(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-MONEY_SCALE)


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)
