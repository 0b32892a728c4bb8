"""The export: flat tables that hold exactly the records, in CSV, Parquet and SQLite,
with a data package that Frictionless validates.

The records are the replica's ground truth (every field of every record type, no
crawl needed), the saved pages' expected records and a few hand-made edge cases;
the tables are read back by independent readers (Frictionless for CSV, typed by
``datapackage.json``; pyarrow; sqlite3) and rebuilt into records, which must
equal the input."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import sqlite3
import subprocess
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from frictionless import Package, validate
from scrapy.utils.test import get_crawler

from atlas_crawler.files import local_path
from atlas_crawler.output.export import ExportError, export, export_file
from atlas_crawler.output.export.cli import main as export_main
from atlas_crawler.output.export.extension import AutoExport
from atlas_crawler.output.export.tables import TABLES, TABLES_BY_NAME, Table
from atlas_crawler.output.export.writers import FORMULA_GUARD, FORMULA_STARTS
from atlas_crawler.output.feeds import ProjectCsvExporter
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl_command, replica
from atlas_crawler.replica.world import World
from atlas_crawler.schemas.tree import load_schema, record_fields, walk

BASE = "http://127.0.0.1:8765/cncdext/dyn/public/atlas/"
PAGES = Path(__file__).parent / "pages"


# --- the records -----------------------------------------------------------------
def _with_time(record: dict[str, Any], n: int) -> dict[str, Any]:
    """Records as a crawl writes them: ``crawled_at`` after ``url`` (truth and saved
    pages leave it out, as it changes with every crawl)."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        out[key] = value
        if key == "url":
            out["crawled_at"] = f"2026-11-26T04:{n // 60 % 60:02d}:{n % 60:02d}Z"
    return out


def _edge_cases(project: dict[str, Any], collectivity: dict[str, Any]) -> list[dict[str, Any]]:
    """What the truth may not hold: no main theme, no 'Montant 1%' column, an embassy
    without contacts, a float amount, separators and line breaks in texts, a table
    in extra, every list empty."""
    bare = copy.deepcopy(project)
    bare |= {"id": "990001", "theme": None, "sub_theme": None, "sub_sub_theme": None, "extra": {}}
    bare["other_themes"] = [{"theme": "Santé", "sub_theme": None, "sub_sub_theme": None, "priority": "Haute"}]
    bare["funding"] = [
        {"funder": "Région; « Bretagne »", "amount_eur": 1500.5, "one_percent_amounts_eur": [], "year": 2001},
        {"funder": 'Ville "de" Brest', "amount_eur": 0, "one_percent_amounts_eur": [0, None, 12.25], "year": None},
    ]
    bare["embassy"] = {"name": "Ambassade de France à Lomé", "contacts": []}
    bare["title"] = 'Un titre, avec ; des "guillemets"\net une ligne'
    bare["extra"] = {"Tableau inconnu": [{"Colonne": "a;b", "Autre": None}], "Note": "x\n\ny"}
    empty = copy.deepcopy(project)
    empty |= {"id": "990002", "embassy": None, "extra": {}}
    for name in ("other_themes", "project_managers", "contracting_authorities", "foreign_partners",
                 "foreign_partner_contacts", "french_partners", "other_partners", "funding", "volunteers"):  # fmt: skip
        empty[name] = []
    lonely = copy.deepcopy(collectivity) | {"id": "990003", "project_ids": [], "extra": {}, "website": None}
    return [bare, empty, lonely]


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    truth = World(projects=60, seed=3).truth(BASE)["records"]
    keys = {(r["type"], r.get("kind"), r["id"]) for r in truth}
    saved = [json.loads(p.read_text("utf-8")) for p in sorted(PAGES.glob("*/expected.json"))]
    saved = [r for r in saved if (r["type"], r.get("kind"), r["id"]) not in keys]
    project = next(r for r in truth if r["type"] == "project" and r["funding"] and r["embassy"])
    collectivity = next(r for r in truth if r["type"] == "collectivity" and r["kind"] == "french")
    out = [_with_time(r, n) for n, r in enumerate([*truth, *saved, *_edge_cases(project, collectivity)])]
    validators = {t: jsonschema.Draft202012Validator(load_schema(t)) for t in ("project", "collectivity")}
    for record in out:  # every input is a record the crawler could write
        validators[record["type"]].validate(record)
    return out


# --- reading the tables back, independently of the writers --------------------------
def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _plain(value: Any) -> Any:
    """A read-back cell as the records spell it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return _number(value)


def _unguarded(value: Any) -> Any:
    """An Excel CSV cell's text as the records have it (``--excel`` guards formulas)."""
    if isinstance(value, str) and value.startswith(FORMULA_GUARD) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def read_csv(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Through Frictionless, typed by datapackage.json alone."""
    package = Package(str(directory / "datapackage.json"))
    return {
        r.name: [{k: _plain(_unguarded(v)) for k, v in row.to_dict().items()} for row in r.read_rows()]
        for r in package.resources
    }


def read_parquet(directory: Path) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for table in TABLES:
        rows = pq.read_table(directory / f"{table.name}.parquet").to_pylist()
        json_columns = [c.name for c in table.columns if c.type in ("array", "object")]
        for row in rows:
            for name in json_columns:
                row[name] = None if row[name] is None else json.loads(row[name])
        out[table.name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return out


def read_sqlite(directory: Path) -> dict[str, list[dict[str, Any]]]:
    db = sqlite3.connect(directory / "atlas.sqlite")
    db.row_factory = sqlite3.Row
    out = {}
    for table in TABLES:
        kinds = {c.name: "money" if c.money else c.type for c in table.columns}
        money = any(c.money for c in table.columns)  # read through its view in euros
        rows = []
        for row in db.execute(f'SELECT * FROM "{table.name}{"_eur" if money else ""}"'):
            item = dict(row)
            for name, value in item.items():
                if value is not None and kinds[name] == "money":
                    assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", value), value
                    item[name] = _number(Decimal(value))
                elif value is not None and kinds[name] in ("array", "object"):
                    item[name] = json.loads(value)
                elif value is not None and kinds[name] == "boolean":
                    assert value in (0, 1)
                    item[name] = bool(value)
            rows.append(item)
        out[table.name] = rows
    db.close()
    return out


def rebuild(tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Records from the tables, following each column's ``source`` in the record."""
    children: dict[str, dict[tuple[Any, ...], list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for table in TABLES:
        if table.items is not None:
            parent = table.primary_key[:-1]
            for row in tables[table.name]:
                children[table.name][tuple(row[k] for k in parent)].append(row)
    out = []
    for record_type, name in (("project", "projects"), ("collectivity", "collectivities")):
        for row in tables[name]:
            record: dict[str, Any] = {"type": record_type}
            for column in TABLES_BY_NAME[name].columns:
                value = row[column.name]
                if column.source is None:
                    continue  # doubted: from the doubts file, not the record (tests/test_doubts_run.py)
                if column.source == "embassy.name":
                    record["embassy"] = None if value is None else {"name": value, "contacts": []}
                else:
                    record[column.source] = value
            key = (record["id"],) if record_type == "project" else (record["kind"], record["id"])
            for table in TABLES:
                if table.items is not None and table.record_type == record_type:
                    _add_child_rows(record, table, sorted(children[table.name].pop(key, []), key=lambda r: r["row_no"]))
            out.append(record)
    orphans = {name: list(rows) for name, rows in children.items() if rows}
    assert not orphans, f"child rows without a parent: {orphans}"
    return out


def _add_child_rows(record: dict[str, Any], table: Table, rows: list[dict[str, Any]]) -> None:
    first = len(table.primary_key)
    item_columns = table.columns[first:]
    path = next(c.source for c in item_columns if c.source).split("[]")[0]
    items: list[Any] = []
    for row in rows:
        if table.name == "project_themes" and row["row_no"] == 0:
            assert row["main"] is True and row["priority"] is None
            assert [row[k] for k in ("theme", "sub_theme", "sub_sub_theme")] == [
                record["theme"], record["sub_theme"], record["sub_sub_theme"]]  # fmt: skip
            continue
        if path == "project_ids":
            items.append(row["project_id"])
            continue
        item: dict[str, Any] = {}
        cells: dict[str, dict[int, Any]] = defaultdict(dict)
        for column in item_columns:
            if column.source is None:
                continue  # project_themes.main, checked above
            field = column.source.rsplit("[].", 1)[1]
            if cell := re.fullmatch(r"(\w+)\[(\d+)\]", field):
                cells[cell.group(1)][int(cell.group(2))] = row[column.name]
            else:  # for the 'Montant 1%' cells, their count, replaced by the list below
                item[field] = row[column.name]
        for field, got in cells.items():
            item[field] = [got[i] for i in range(item[field])]
        items.append(item)
    outer, _, inner = path.partition(".")
    if inner:
        assert record[outer] is not None or not items
        if record[outer] is not None:
            record[outer][inner] = items
    else:
        record[outer] = items


def _canon(value: Any) -> Any:
    """Equality as JSON means it, strictly: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, list):
        return [_canon(v) for v in value]
    return {k: _canon(v) for k, v in value.items()}


def _by_key(records: list[dict[str, Any]]) -> dict[tuple[Any, ...], Any]:
    return {(r["type"], r.get("kind"), r["id"]): _canon(r) for r in records}


READERS = {"csv": read_csv, "csv-excel": read_csv, "parquet": read_parquet, "sqlite": read_sqlite}


@pytest.mark.parametrize("variant", list(READERS))
def test_the_tables_hold_exactly_the_records(records, tmp_path: Path, variant: str) -> None:
    fmt = variant.split("-", maxsplit=1)[0]
    [done] = export(records, {fmt: tmp_path}, excel=variant.endswith("excel"))
    tables = READERS[variant](tmp_path)
    assert {name: len(rows) for name, rows in tables.items()} == done.rows
    rebuilt = _by_key(rebuild(tables))
    expected = _by_key(records)
    assert rebuilt.keys() == expected.keys()
    for key, record in expected.items():
        assert rebuilt[key] == record, key


def test_every_record_field_has_a_column(records) -> None:
    """No field is dropped: each leaf of each schema is the source of a column."""
    sources = {re.sub(r"\[\d+\]$", "", c.source) for t in TABLES for c in t.columns if c.source}
    for record_type in ("project", "collectivity"):
        for field in walk(record_fields(record_type)):
            if field.children or field.name == "type":
                continue
            assert field.path in sources or f"{field.path}[]" in sources, f"{record_type}.{field.path}"


def _dangling(records: list[dict[str, Any]]) -> set[tuple[str, str, str, str]]:
    """(table, project id, kind, collectivity id) of each partner whose collectivity has
    no record: the saved pages' projects name collectivities the records do not hold."""
    known = {(r["kind"], r["id"]) for r in records if r["type"] == "collectivity"}
    return {
        (table, r["id"], kind, p["id"])
        for r in records
        if r["type"] == "project"
        for table, kind in (("foreign_partners", "foreign"), ("french_partners", "french"))
        for p in r[table]
        if p["id"] is not None and (kind, p["id"]) not in known
    }


@pytest.mark.parametrize("excel", [False, True])
def test_the_data_package_validates(records, tmp_path: Path, excel: bool) -> None:
    """Every row fits its schema and keys; the only errors are the partners whose
    collectivity has no row (declared foreign keys, dangling on purpose)."""
    export(records, {"csv": tmp_path}, excel=excel)
    report = validate(str(tmp_path / "datapackage.json"))
    errors = [e.to_dict() | {"table": task.name} for task in report.tasks for e in task.errors]
    assert {e["type"] for e in errors} == {"foreign-key"}, errors[:5]
    dangling = {(e["table"], e["cells"][0], *e["fieldCells"]) for e in errors}
    assert dangling == _dangling(records) and dangling
    assert {e["referenceName"] for e in errors} == {"collectivities"}
    package = json.loads((tmp_path / "datapackage.json").read_text("utf-8"))
    assert [r["name"] for r in package["resources"]] == [t.name for t in TABLES]
    for resource in package["resources"]:
        assert resource["title"] and resource["description"] and resource["schema"]["primaryKey"]
        for field in resource["schema"]["fields"]:
            assert field["description"], (resource["name"], field["name"])
    # doubts names a record of either table (type, kind, id): no one foreign key can say it
    children = [r for r in package["resources"] if r["name"] not in ("projects", "collectivities", "doubts")]
    assert all(r["schema"]["foreignKeys"] for r in children)
    by_name = {r["name"]: r for r in package["resources"]}
    for table in ("foreign_partners", "french_partners"):
        assert {"fields": ["collectivity_kind", "collectivity_id"],
                "reference": {"resource": "collectivities", "fields": ["kind", "id"]}} in by_name[table]["schema"][
            "foreignKeys"]  # fmt: skip
        assert "dangles" in by_name[table]["description"]
    with_dangling = {project_id for _, project_id, _, _ in dangling}
    resolved = [r for r in records if r["type"] != "project" or r["id"] not in with_dangling]
    export(resolved, {"csv": tmp_path / "resolved"}, excel=excel)
    report = validate(str(tmp_path / "resolved" / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])[:20]


def test_a_broken_package_does_not_validate(records, tmp_path: Path) -> None:
    """The validation test can fail: a funding row of an unknown project breaks its foreign key."""
    export(records, {"csv": tmp_path}, excel=False)
    with open(tmp_path / "funding.csv", "a", encoding="utf-8", newline="") as f:
        f.write("424242,1,Autre,10,3,,,,2001\r\n")
    report = validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    funding = [e.to_dict() for task in report.tasks if task.name == "funding" for e in task.errors]
    keys = [e for e in funding if e["type"] == "foreign-key"]
    assert [(e["fieldCells"], e["referenceName"]) for e in keys] == [(["424242"], "projects")]
    # the file changed after its size and hash were written: the package says that too
    assert {e["type"] for e in funding} <= {"foreign-key", "byte-count", "hash-count"}


def test_csv_is_rfc_4180_and_excel_gets_bom_semicolons_and_decimal_commas(records, tmp_path: Path) -> None:
    export(records, {"csv": tmp_path / "plain"})
    export(records, {"csv": tmp_path / "excel"}, excel=True)
    plain = (tmp_path / "plain" / "projects.csv").read_bytes()
    excel = (tmp_path / "excel" / "funding.csv").read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf") and plain.startswith(b"id,url,crawled_at,title,")
    assert plain.count(b"\r\n") >= 60 and b'"Un titre, avec ; des ""guillemets""\net une ligne"' in plain
    assert excel.startswith(b"\xef\xbb\xbfproject_id;row_no;funder;amount_eur;")
    assert '"Région; « Bretagne »"'.encode() in excel  # a cell holding the separator is quoted
    rows = list(csv.reader(io.StringIO(excel.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert ["990001", "1", "Région; « Bretagne »", "1500,5", "0", "", "", "", "2001"] in rows
    assert ["990001", "2", 'Ville "de" Brest', "0", "3", "0", "", "12,25", ""] in rows


def test_parquet_keeps_integers_dates_and_times_typed(records, tmp_path: Path) -> None:
    export(records, {"parquet": tmp_path})
    projects = pq.read_schema(tmp_path / "projects.parquet")
    funding = pq.read_schema(tmp_path / "funding.parquet")
    assert str(projects.field("start_year").type) == "int64"
    assert str(projects.field("end_date").type) == "date32[day]"
    assert str(projects.field("crawled_at").type) == "timestamp[us, tz=UTC]"
    assert str(projects.field("triennial").type) == "bool"
    assert str(funding.field("year").type) == "int64"
    for name in ("amount_eur", "one_percent_1_eur", "one_percent_2_eur", "one_percent_3_eur"):
        assert str(funding.field(name).type) == "decimal128(15, 2)", name
    assert projects.field("title").metadata[b"title"].decode() == "Titre"


def test_sqlite_has_keys_and_indexes(records, tmp_path: Path) -> None:
    export(records, {"sqlite": tmp_path})
    db = sqlite3.connect(tmp_path / "atlas.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    fk = db.execute("PRAGMA foreign_key_list(funding)").fetchall()
    assert [(row[2], row[3], row[4]) for row in fk] == [("projects", "project_id", "id")]
    for table in ("foreign_partners", "french_partners"):
        fk = db.execute(f"PRAGMA foreign_key_list({table})").fetchall()  # (id, seq, table, from, to, …)
        assert sorted((row[0], row[1], row[2], row[3], row[4]) for row in fk) == [
            (0, 0, "collectivities", "collectivity_kind", "kind"), (0, 1, "collectivities", "collectivity_id", "id"),
            (1, 0, "projects", "project_id", "id")]  # fmt: skip
    # declared, not enforced: the partners of collectivities without a row are in the file, and listed
    unmatched = db.execute("PRAGMA foreign_key_check").fetchall()
    assert {row[2] for row in unmatched} == {"collectivities"}
    listed = {(row[0], *db.execute(f"SELECT project_id, collectivity_kind, collectivity_id FROM {row[0]} "
                                   "WHERE rowid = ?", (row[1],)).fetchone()) for row in unmatched}  # fmt: skip
    assert listed == _dangling(records)
    for table in ("foreign_partners", "french_partners"):  # no link: both halves of the key null
        halves = "SELECT count(*) FROM {} WHERE (collectivity_kind IS NULL) {} (collectivity_id IS NULL)"
        assert db.execute(halves.format(table, "!=")).fetchone()[0] == 0
    unlinked = sum(1 for r in records if r["type"] == "project" for p in r["foreign_partners"] if p["id"] is None)
    assert db.execute(halves.format("foreign_partners", "AND")).fetchone()[0] == unlinked > 0
    indexes = {row[1] for row in db.execute("PRAGMA index_list(foreign_partners)")}
    assert "foreign_partners_collectivity_kind_collectivity_id" in indexes
    pk = [row[1] for row in db.execute("PRAGMA table_info(collectivities)") if row[5]]
    assert sorted(pk) == ["id", "kind"]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO projects (id, url, crawled_at, project_managers, contracting_authorities, "
                   "other_partners, extra) SELECT id, url, crawled_at, '[]', '[]', '[]', '{}' FROM projects LIMIT 1")  # fmt: skip
    joined = db.execute(
        "SELECT count(*) FROM foreign_partners p JOIN collectivities c ON c.kind = p.collectivity_kind "
        "AND c.id = p.collectivity_id"
    ).fetchone()[0]
    linked = sum(1 for r in records if r["type"] == "project" for p in r["foreign_partners"] if p["id"])
    assert joined == linked - sum(1 for d in _dangling(records) if d[0] == "foreign_partners") > 0
    db.close()


#: Amounts whose float sum is 3718118.2800000003 (the issue's DuckDB sum), a negative
#: one, the largest decimal(15, 2) holds, and cents in the 'Montant 1%' cells.
AMOUNTS = [0.1, 0.2, 1234.56, 0.07, 3716883.35, -12.5, 9999999999999.99, 0, None]
ONE_PERCENT = [[0.1, None, 0.2], [0.07], []]


def _money_project(records: list[dict[str, Any]]) -> dict[str, Any]:
    project = copy.deepcopy(next(r for r in records if r["type"] == "project" and r["funding"]))
    project["id"] = "990100"
    project["funding"] = [
        {"funder": f"Financeur {n}", "amount_eur": amount, "one_percent_amounts_eur": ONE_PERCENT[n % 3],
         "year": 2001} for n, amount in enumerate(AMOUNTS)]  # fmt: skip
    return project


def test_money_is_exact_in_parquet_and_sqlite(records, tmp_path: Path) -> None:
    project = _money_project(records)
    parts = [a for a in AMOUNTS[:5]]
    assert sum(parts) == 3718118.2800000003  # what floats give
    exact = sum(Decimal(repr(a)) for a in AMOUNTS if a is not None)
    export([project], {"parquet": tmp_path / "pq", "sqlite": tmp_path / "db", "csv": tmp_path / "csv"})
    funding = pq.read_table(tmp_path / "pq" / "funding.parquet")
    total = pc.sum(funding["amount_eur"]).as_py()
    assert isinstance(total, Decimal) and total == exact
    assert pc.sum(funding["amount_eur"].slice(0, 5)).as_py() == Decimal("3718118.28")
    firsts = [cells[0] for n in range(len(AMOUNTS)) if (cells := ONE_PERCENT[n % 3]) and cells[0] is not None]
    assert pc.sum(funding["one_percent_1_eur"]).as_py() == sum(Decimal(repr(c)) for c in firsts) == Decimal("0.51")
    db = sqlite3.connect(tmp_path / "db" / "atlas.sqlite")
    columns = [row[1] for row in db.execute("PRAGMA table_info(funding)")]
    assert "amount_cents" in columns and "amount_eur" not in columns and "one_percent_3_cents" in columns
    assert db.execute("SELECT typeof(amount_cents), amount_cents FROM funding WHERE row_no = 3").fetchone() == (
        "integer",
        123456,
    )
    assert db.execute("SELECT sum(amount_cents) FROM funding").fetchone()[0] == int(exact * 100)
    assert db.execute("SELECT sum(amount_cents) FROM funding WHERE row_no <= 5").fetchone()[0] == 371811828
    view = db.execute("SELECT amount_eur, one_percent_1_eur FROM funding_eur ORDER BY row_no").fetchall()
    assert view == [(None if a is None else f"{Decimal(repr(a)):.2f}", None if not ONE_PERCENT[n % 3] else
                     None if ONE_PERCENT[n % 3][0] is None else f"{ONE_PERCENT[n % 3][0]:.2f}")
                    for n, a in enumerate(AMOUNTS)]  # fmt: skip
    assert view[5] == ("-12.50", None) and view[6] == ("9999999999999.99", "0.10") and view[8] == (None, None)
    db.close()
    # CSV keeps the records' spelling
    rows = list(csv.DictReader(io.StringIO((tmp_path / "csv" / "funding.csv").read_text("utf-8"), newline="")))
    assert [r["amount_eur"] for r in rows] == ["0.1", "0.2", "1234.56", "0.07", "3716883.35", "-12.5",
                                               "9999999999999.99", "0", ""]  # fmt: skip


@pytest.mark.parametrize("amount", [0.005, 1.001, 10.0**13, 1e-7])
def test_an_amount_no_cent_column_holds_stops_the_export(records, tmp_path: Path, amount: float) -> None:
    project = _money_project(records)
    project["funding"][0]["amount_eur"] = amount
    with pytest.raises(ExportError, match=f"project 990100: amount {amount!r} does not fit decimal"):
        export([project], {"parquet": tmp_path})


def test_excel_csv_guards_every_formula_start_and_the_plain_csv_is_exact(records, tmp_path: Path) -> None:
    project = copy.deepcopy(next(r for r in records if r["type"] == "project" and r["funding"]))
    titles = [f"{start}1+1 titre" for start in FORMULA_STARTS] + ["Titre - normal", "'déjà"]
    projects = [project | {"id": str(990200 + n), "title": t} for n, t in enumerate(titles)]
    projects[0]["context"] = "- une puce\n- une autre"
    projects[0]["funding"] = [{"funder": "Ville", "amount_eur": -150.5, "one_percent_amounts_eur": [], "year": None}]
    export(projects, {"csv": tmp_path / "plain"})
    export(projects, {"csv": tmp_path / "excel"}, excel=True)
    plain = list(
        csv.DictReader(io.StringIO((tmp_path / "plain" / "projects.csv").read_bytes().decode("utf-8"), newline=""))
    )
    excel_text = (tmp_path / "excel" / "projects.csv").read_bytes().decode("utf-8-sig")
    excel = list(csv.DictReader(io.StringIO(excel_text, newline=""), delimiter=";"))
    assert [r["title"] for r in plain] == titles and plain[0]["context"] == "- une puce\n- une autre"
    assert FORMULA_GUARD not in (tmp_path / "plain" / "projects.csv").read_text("utf-8")
    for n, start in enumerate(FORMULA_STARTS):
        assert excel[n]["title"] == FORMULA_GUARD + titles[n], start
    assert [r["title"] for r in excel[len(FORMULA_STARTS) :]] == titles[len(FORMULA_STARTS) :]
    assert excel[0]["context"] == FORMULA_GUARD + "- une puce\n- une autre"
    for row in excel:  # no cell starts as a formula, whatever its column
        assert not any(cell.startswith(FORMULA_STARTS) for name, cell in row.items() if name != "id"), row
    funding = (tmp_path / "excel" / "funding.csv").read_text("utf-8-sig")
    assert ";-150,5;" in funding  # a negative number stays a number
    package = json.loads((tmp_path / "excel" / "datapackage.json").read_text("utf-8"))
    assert "zero-width space" in next(r for r in package["resources"] if r["name"] == "projects")["description"]


def test_too_many_one_percent_cells_stop_the_export(records, tmp_path: Path) -> None:
    project = copy.deepcopy(next(r for r in records if r["type"] == "project" and r["funding"]))
    project["funding"][0]["one_percent_amounts_eur"] = [1, 2, 3, 4]
    with pytest.raises(ExportError, match=f"project {project['id']}: a funding line has 4 'Montant 1%' cells"):
        export([project], {"csv": tmp_path})


def test_the_command_exports_a_file_or_a_run_folder(records, tmp_path: Path, capsys) -> None:
    run = tmp_path / "2026-11-30T031500Z"
    run.mkdir()
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    (run / "records.jsonl").write_text(lines + lines, encoding="utf-8")  # appended twice: exported once
    (run / "changes.jsonl").write_text("", encoding="utf-8")
    assert export_main([str(run), "--to", "csv,sqlite"]) == 0
    assert (run / "tables" / "csv" / "datapackage.json").is_file()
    assert (run / "tables" / "sqlite" / "atlas.sqlite").is_file()
    projects = sum(r["type"] == "project" for r in records)
    assert f"projects {projects}," in capsys.readouterr().out
    flat = tmp_path / "atlas.jsonl"
    flat.write_text(lines, encoding="utf-8")
    assert export_main([str(flat), "--to", "parquet", "--out", str(tmp_path / "pq")]) == 0
    assert (tmp_path / "pq" / "projects.parquet").is_file()
    done = export_file(flat, ["csv"])
    assert done[0].directory == tmp_path / "atlas.tables" / "csv"
    assert export_main([str(tmp_path / "missing.jsonl"), "--to", "csv"]) == 1
    with pytest.raises(SystemExit):
        export_main([str(flat), "--to", "xlsx"])


# --- the crawl's own outputs ---------------------------------------------------------
def test_the_csv_feed_writes_every_project_field_whatever_comes_first(caplog) -> None:
    truth = World(projects=5).truth(BASE)["records"]
    collectivity = next(r for r in truth if r["type"] == "collectivity")
    projects = [_with_time(r, n) for n, r in enumerate(truth) if r["type"] == "project"]
    out = io.BytesIO()
    exporter = ProjectCsvExporter(out)
    exporter.start_exporting()
    exporter.export_item(_with_time(collectivity, 0))
    for record in projects:
        exporter.export_item(record)
    exporter.finish_exporting()
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"), newline="")))
    assert list(rows[0]) == [f.name for f in record_fields("project") if f.name != "type"]
    assert len(rows) == len(projects)
    assert [json.loads(r["funding"]) for r in rows] == [p["funding"] for p in projects]
    assert "1 collectivity records not written" in caplog.text and "python -m atlas_crawler.export" in caplog.text


def test_the_csv_feed_honours_feed_export_fields(caplog) -> None:
    project = _with_time(next(r for r in World(projects=5).truth(BASE)["records"] if r["type"] == "project"), 0)
    out = io.BytesIO()
    exporter = ProjectCsvExporter(out, fields_to_export=["title", "id", "nonsense"])
    exporter.start_exporting()
    exporter.export_item(project)
    exporter.finish_exporting()
    assert out.getvalue().decode("utf-8").splitlines()[0] == "title,id"
    assert "nonsense not project fields" in caplog.text


def _feed_record(row: dict[str, str]) -> Any:
    """A row of the CSV feed back into a project record."""
    read = {"integer": int, "number": float, "boolean": lambda v: v == "true", "array": json.loads,
            "object": json.loads}  # fmt: skip
    record: dict[str, Any] = {"type": "project"}
    for field in record_fields("project")[1:]:
        text = row[field.name]
        record[field.name] = None if text == "" else read.get(field.type, str)(text)
    return _canon(record)


def test_local_feed_paths() -> None:
    assert local_path("output/atlas.jsonl") == Path("output/atlas.jsonl")
    assert local_path("file:///tmp/a%20b.jsonl") == Path("/tmp/a b.jsonl")
    assert local_path("s3://bucket/atlas.jsonl") is None


def test_without_a_feed_the_automatic_export_says_so_and_skips(caplog) -> None:
    crawler = get_crawler(settings_dict={"ATLAS_EXPORT": ["csv"], "FEEDS": {}})
    AutoExport.from_crawler(crawler).engine_stopped()
    assert "no local JSON Lines feed to export" in caplog.text


@pytest.mark.e2e
def test_a_crawl_exports_its_tables_and_a_full_csv_feed(tmp_path: Path) -> None:
    records_path, feed = tmp_path / "atlas.jsonl", tmp_path / "atlas.csv"
    with replica(projects=40, faults=False) as base:
        command = crawl_command(base, records_path, settings={"ATLAS_EXPORT": "csv,sqlite", "LOG_LEVEL": "INFO"})
        command += ["-O", str(feed)]  # a second feed: the CSV one
        result = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    crawled = [json.loads(line) for line in records_path.read_text("utf-8").splitlines()]
    tables = tmp_path / "atlas.tables"
    assert _by_key(rebuild(read_csv(tables / "csv"))) == _by_key(crawled)
    assert _by_key(rebuild(read_sqlite(tables / "sqlite"))) == _by_key(crawled)
    assert validate(str(tables / "csv" / "datapackage.json")).valid
    rows = list(csv.DictReader(io.StringIO(feed.read_text("utf-8"), newline="")))
    assert [_feed_record(row) for row in rows] == [_canon(r) for r in crawled if r["type"] == "project"]
    assert "CSV feed: " in result.stdout and "collectivity records not written" in result.stdout
    assert "tables (sqlite) written to" in result.stdout
