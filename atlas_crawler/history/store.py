"""The history store: ``history.sqlite`` beside the run folders.

A run is added in one transaction (a kill leaves the store as it was before it).
Adding a run reads the versions open in the store (the atlas as the history knows
it), compares them with what the run read, by the changes' own rule (``run.changes``:
a record the run did not see is ended only by a run that saw the whole atlas and
failed nothing that could hide it), and writes only what changed: new versions, ended
versions, the changes, and the run that last saw each open version. Its cost is that
of the run's records, whatever the number of runs before it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atlas_crawler.history.schema import FORMAT, HISTORY_TABLES, META, RUNS_TABLE, sqlite_table
from atlas_crawler.output.export.tables import TABLES_BY_NAME, Table, json_text, record_rows
from atlas_crawler.output.export.writers import create_indexes, create_table, in_cents
from atlas_crawler.records import RecordKey, key_fields
from atlas_crawler.run.changes import compare

_RUN_COLUMNS = [c.name for c in RUNS_TABLE.columns]


class HistoryError(ValueError):
    """A store this version cannot update (another format, not a history, damaged)."""


@dataclass(frozen=True)
class KnownRun:
    run_no: int
    folder: str
    sequence: int

    @property
    def order(self) -> tuple[int, str]:
        """Its place among run folders (``run.folders.all_runs``' order)."""
        return self.sequence, self.folder


def _key(row: sqlite3.Row | tuple[Any, ...]) -> RecordKey:
    record_type, kind, record_id = row[0], row[1], row[2]
    return record_type, kind or "", record_id


class Store:
    """One open history database."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self.db = db

    # --- opening --------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> Store:
        """The store at ``path``, created empty when there is none; HistoryError when
        the file is not a history of this format."""
        new = not path.exists() or path.stat().st_size == 0  # 0 bytes: made, killed before its tables
        db = sqlite3.connect(path)
        store = cls(path, db)
        try:
            if new:
                store._create()
            else:
                store._check()
        except (sqlite3.DatabaseError, HistoryError) as error:
            db.close()
            if new:
                path.unlink(missing_ok=True)
            if isinstance(error, HistoryError):
                raise
            raise HistoryError(f"{path} is not a readable history ({error})") from None
        return store

    def close(self) -> None:
        self.db.close()

    def _create(self) -> None:
        # one transaction: Python's sqlite3 opens none before CREATE on its own, and a
        # store killed halfway through its tables would be no history at all
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute(f"CREATE TABLE {META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self.db.execute(f"INSERT INTO {META} VALUES ('format', ?)", (str(FORMAT),))
            for table in HISTORY_TABLES:
                stored = sqlite_table(table)
                self.db.execute(create_table(stored))
                for statement in create_indexes(stored):
                    self.db.execute(statement)

    def _check(self) -> None:
        try:
            row = self.db.execute(f"SELECT value FROM {META} WHERE key = 'format'").fetchone()
        except sqlite3.DatabaseError as error:
            raise HistoryError(f"{self.path} is not a history store ({error})") from None
        if row is None or row[0] != str(FORMAT):
            raise HistoryError(
                f"{self.path} is a history of format {row[0] if row else '?'}, this version writes format "
                f"{FORMAT}: rebuild it (python -m atlas_crawler.history --rebuild) while its run folders exist"
            )

    # --- reading ----------------------------------------------------------------------
    def known_runs(self) -> list[KnownRun]:
        rows = self.db.execute("SELECT run_no, folder, sequence FROM runs ORDER BY run_no")
        return [KnownRun(n, folder, sequence or 0) for n, folder, sequence in rows]

    def open_versions(self) -> dict[RecordKey, tuple[int, dict[str, Any]]]:
        """The atlas as the history knows it: each record's current version (id, record)."""
        rows = self.db.execute(
            "SELECT type, kind, id, version_id, record FROM versions JOIN version_records USING (version_id) "
            "WHERE to_run IS NULL"
        )
        return {_key(row): (row[3], json.loads(row[4])) for row in rows}

    def run_row(self, run_no: int) -> dict[str, Any]:
        row = self.db.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE run_no = ?", (run_no,)).fetchone()
        return dict(zip(_RUN_COLUMNS, row, strict=True))

    def run_changes(self, run_no: int) -> list[dict[str, Any]]:
        """A run's changes as ``run.changes.compare`` gives them."""
        rows = self.db.execute(
            "SELECT change, type, kind, id, url, reason, fields FROM changes WHERE run_no = ? ORDER BY change_no",
            (run_no,),
        )
        out = []
        for change, record_type, kind, record_id, url, reason, fields in rows:
            entry = {"change": change, "type": record_type, "kind": kind, "id": record_id, "url": url}
            if reason is not None:
                entry["reason"] = reason
            if fields is not None:
                entry["fields"] = json.loads(fields)
            out.append(entry)
        return out

    def run_versions(self, run_no: int) -> tuple[dict[RecordKey, dict[str, Any]], dict[RecordKey, bool | None]]:
        """The versions a run opened: their records and whether they were doubted."""
        rows = self.db.execute(
            "SELECT type, kind, id, record, doubted FROM versions JOIN version_records USING (version_id) "
            "WHERE from_run = ? ORDER BY version_id",
            (run_no,),
        )
        records, doubted = {}, {}
        for row in rows:
            records[_key(row)] = json.loads(row[3])
            doubted[_key(row)] = None if row[4] is None else bool(row[4])
        return records, doubted

    # --- writing ----------------------------------------------------------------------
    def add_run(
        self,
        run: dict[str, Any],
        records: dict[RecordKey, dict[str, Any]] | None,
        doubted: dict[RecordKey, bool | None],
        report: dict[str, Any],
        found: list[dict[str, Any]] | None = None,
    ) -> dict[str, int]:
        """Add one run, in one transaction: ``run`` its columns (``runs``), ``records``
        what it read by key (None: nothing could be read), ``doubted`` whether its crawl
        doubted each, ``report`` what the unknown rule reads. ``found``: the changes
        when already known (a run replayed from an earlier store); else they are
        computed. Returns the counts of changes."""
        with self.db:
            run_no = 1 + (self.db.execute("SELECT max(run_no) FROM runs").fetchone()[0] or 0)
            current = self.open_versions() if records is not None else {}
            if records is None:
                found = []
            elif found is None:
                found = compare({k: v[1] for k, v in current.items()}, records, report)
            counts = dict.fromkeys(("added", "removed", "changed", "unknown"), 0)
            for change in found:
                counts[change["change"]] += 1
            row = {**run, **counts, "run_no": run_no}
            self.db.execute(
                f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' * len(_RUN_COLUMNS))})",
                [row[c] for c in _RUN_COLUMNS],
            )
            self._apply(run_no, row["started_at"], found, records or {}, doubted, current)
        return counts

    def _apply(
        self,
        run_no: int,
        at: str,
        found: list[dict[str, Any]],
        records: dict[RecordKey, dict[str, Any]],
        doubted: dict[RecordKey, bool | None],
        current: dict[RecordKey, tuple[int, dict[str, Any]]],
    ) -> None:
        touched: set[RecordKey] = set()
        for change in found:
            key: RecordKey = (change["type"], change.get("kind") or "", change["id"])
            what = change["change"]
            cursor = self.db.execute(
                "INSERT INTO changes (run_no, change, type, kind, id, url, reason, fields) VALUES (?,?,?,?,?,?,?,?)",
                (run_no, what, *key_fields(key).values(), change.get("url"), change.get("reason"),
                 json_text(change.get("fields"))),
            )  # fmt: skip
            if what == "changed":
                self.db.executemany(
                    "INSERT INTO field_changes VALUES (?,?,?,?,?,?,?,?)",
                    [
                        (cursor.lastrowid, name, run_no, *key_fields(key).values(), json_text(v["old"]),
                         json_text(v["new"]))
                        for name, v in change["fields"].items()
                    ],
                )  # fmt: skip
            if what in ("changed", "removed"):
                self.db.execute(
                    "UPDATE versions SET to_run = ?, valid_to = ? WHERE version_id = ?", (run_no, at, current[key][0])
                )
            if what in ("added", "changed"):
                self._add_version(run_no, at, key, records[key], doubted.get(key))
            touched.add(key)
        # every other current version was read again, unchanged, by this run
        seen = [(run_no, version_id) for key, (version_id, _) in current.items() if key not in touched]
        self.db.executemany("UPDATE versions SET last_seen_run = ? WHERE version_id = ?", seen)

    def _add_version(self, run_no: int, at: str, key: RecordKey, record: dict[str, Any], doubted: bool | None) -> None:
        cursor = self.db.execute(
            "INSERT INTO versions (type, kind, id, label, valid_from, valid_to, from_run, to_run, last_seen_run, "
            "doubted) VALUES (?,?,?,?,?,NULL,?,NULL,?,?)",
            (*key_fields(key).values(), record.get("title") or record.get("name"), at, run_no, run_no, doubted),
        )
        self.db.execute("INSERT INTO version_records VALUES (?, ?)", (cursor.lastrowid, json_text(record)))
        for name, rows in record_rows(record, doubted):
            if rows:
                table = TABLES_BY_NAME[name]
                cells = [(cursor.lastrowid, *row) for row in in_cents(sqlite_table(table), rows)]
                self.db.executemany(_insert(name, 1 + len(table.columns)), cells)


def _insert(table: str, width: int) -> str:
    return f'INSERT INTO "{table}" VALUES ({", ".join("?" * width)})'


@dataclass(frozen=True)
class Dump:
    """A store's content, table by table, in key order: two stores built from the
    same runs give equal dumps (``rebuild`` is checked against it)."""

    tables: dict[str, list[tuple[Any, ...]]]


def dump(path: Path) -> Dump:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return Dump({t.name: list(rows_of(db, t)) for t in HISTORY_TABLES})


def rows_of(db: sqlite3.Connection, table: Table) -> Iterator[tuple[Any, ...]]:
    """A table's rows as SQLite stores them, in key order."""
    stored = sqlite_table(table)
    columns = ", ".join(f'"{c.name}"' for c in stored.columns)
    order = ", ".join(f'"{c}"' for c in stored.primary_key)
    yield from db.execute(f'SELECT {columns} FROM "{table.name}" ORDER BY {order}')
