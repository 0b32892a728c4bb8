"""The browsing server's database and metadata (atlas_crawler/serve), on the export of
the replica's ground truth: keys Datasette follows, facet lists, full-text search and
canned queries checked against the records themselves; the metadata as Datasette reads
it (an in-process Datasette answers the facets, the search and the labels)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from datasette.utils import get_outbound_foreign_keys

from atlas_crawler import settings
from atlas_crawler.output.export import export_file
from atlas_crawler.output.export.tables import TABLES
from atlas_crawler.replica.world import World
from atlas_crawler.serve import build, default_source, metadata
from atlas_crawler.serve.__main__ import HOST, datasette_args

BASE = "http://127.0.0.1:8765/cncdext/dyn/public/atlas/"


def crawled(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replica's ground truth as a crawl writes it: ``crawled_at`` after ``url``."""
    out = []
    for n, record in enumerate(records):
        row: dict[str, Any] = {}
        for key, value in record.items():
            row[key] = value
            if key == "url":
                row["crawled_at"] = f"2026-11-26T04:{n // 60 % 60:02d}:{n % 60:02d}Z"
        out.append(row)
    return out


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    truth = World(projects=25, seed=7).truth(BASE)["records"]
    return crawled(truth)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]]) -> Path:
    folder = tmp_path_factory.mktemp("run")
    (folder / "records.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return folder


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, run: Path) -> Path:
    return build(run, tmp_path_factory.mktemp("served"))


def _db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    return db


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*")
            if p.is_file()}  # fmt: skip


def test_the_run_folder_is_left_as_it_was(tmp_path: Path, run: Path) -> None:
    before = _tree(run)
    build(run, tmp_path / "a")
    assert _tree(run) == before
    with pytest.raises(ValueError, match="never in the run's files"):
        build(run / "records.jsonl", run)
    assert (tmp_path / "a" / "atlas.sqlite").is_file()
    with pytest.raises(ValueError, match="never in the run's files"):
        build(run, run / "tables" / "sqlite")
    with pytest.raises(ValueError, match="never in the run's files"):
        build(run / "records.jsonl", run / "tables" / "sqlite")
    assert _tree(run) == before


def test_an_exported_sqlite_is_copied_with_its_package(tmp_path: Path, run: Path, served: Path) -> None:
    (done,) = export_file(run, ["sqlite"], tmp_path / "export")
    database = build(done.directory / "atlas.sqlite", tmp_path / "served")
    assert (database.parent / "datapackage.json").read_bytes() == (done.directory / "datapackage.json").read_bytes()
    with _db(database) as db, _db(served) as other:
        assert db.execute("SELECT count(*) FROM projects").fetchone()[0] == other.execute(
            "SELECT count(*) FROM projects").fetchone()[0]  # fmt: skip


def test_keys_datasette_follows(served: Path, records: list[dict[str, Any]]) -> None:
    db = _db(served)
    assert [r[0] for r in db.execute("SELECT name FROM pragma_table_info('collectivities') WHERE pk")] == ["ref"]
    for table in ("foreign_partners", "french_partners", "collectivity_projects"):
        assert {"column": "collectivity", "other_table": "collectivities", "other_column": "ref"} in (
            get_outbound_foreign_keys(db, table)
        )
    assert {"column": "project_id", "other_table": "projects", "other_column": "id"} in get_outbound_foreign_keys(
        db, "collectivity_projects"
    )
    crawled = {(r["kind"], r["id"]) for r in records if r["type"] == "collectivity"}
    partners = [(p, kind) for r in records if r["type"] == "project"
                for kind, name in (("foreign", "foreign_partners"), ("french", "french_partners")) for p in r[name]]  # fmt: skip
    linked = db.execute(
        "SELECT collectivity FROM foreign_partners UNION ALL SELECT collectivity FROM french_partners"
    ).fetchall()
    assert len(linked) == len(partners)
    expected = sorted(f"{kind}-{p['id']}" for p, kind in partners if (kind, p.get("id")) in crawled)
    assert sorted(r[0] for r in linked if r[0]) == expected and expected
    missing = db.execute(
        "SELECT count(*) FROM french_partners p LEFT JOIN collectivities c ON c.ref = p.collectivity "
        "WHERE p.collectivity IS NOT NULL AND c.ref IS NULL"
    ).fetchone()[0]
    assert missing == 0


def test_facet_lists_gather_the_partners_places(served: Path, records: list[dict[str, Any]]) -> None:
    places = {(r["kind"], r["id"]): r for r in records if r["type"] == "collectivity"}
    countries: dict[str, set[str]] = defaultdict(set)
    regions: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r["type"] == "project":
            countries[r["id"]] |= {p["country"] for p in r["foreign_partners"] if p.get("country")}
            for p in r["french_partners"]:
                if (c := places.get(("french", p.get("id")))) and c.get("region"):
                    regions[r["id"]].add(c["region"])
        else:
            for project in r["project_ids"]:
                field = "country" if r["kind"] == "foreign" else "region"
                if r.get(field):
                    (countries if field == "country" else regions)[project].add(r[field])
    rows = _db(served).execute("SELECT id, countries, regions FROM projects").fetchall()
    assert {r["id"]: json.loads(r["countries"]) for r in rows} == {k: sorted(countries[k]) for k, *_ in rows}
    assert {r["id"]: json.loads(r["regions"]) for r in rows} == {k: sorted(regions[k]) for k, *_ in rows}
    assert any(json.loads(r["regions"]) for r in rows) and any(json.loads(r["countries"]) for r in rows)


def test_full_text_search_reads_titles_and_long_texts_without_accents(
    served: Path, records: list[dict[str, Any]]
) -> None:
    db = _db(served)
    project = next(r for r in records if r["type"] == "project" and r.get("objective"))
    word = max(project["objective"].split(), key=len).strip(".,;:()«»'\"")
    plain = word.translate(str.maketrans("éèêàâçôîû", "eeeaacoiu"))
    found = {r[0] for r in db.execute("SELECT rowid FROM projects_fts WHERE projects_fts MATCH ?", [f'"{plain}"'])}
    rowid = db.execute("SELECT rowid FROM projects WHERE id = ?", [project["id"]]).fetchone()[0]
    assert rowid in found
    assert [c[1] for c in db.execute("PRAGMA table_info(projects_fts)")] == [
        "title", "context", "history", "objective", "description"]  # fmt: skip


def _query(served: Path, name: str, **params: str) -> list[dict[str, Any]]:
    sql = metadata(served)["databases"]["atlas"]["queries"][name]["sql"]
    return [dict(r) for r in _db(served).execute(sql, params)]


def test_funding_per_country_and_year_is_exact(served: Path, records: list[dict[str, Any]]) -> None:
    totals: dict[tuple[str, Any], Decimal] = defaultdict(Decimal)
    for r in records:
        if r["type"] != "project":
            continue
        for country in {p["country"] for p in r["foreign_partners"] if p.get("country")}:
            for line in r["funding"]:
                totals[country, line["year"]] += Decimal(str(line["amount_eur"] or 0))
    rows = _query(served, "financements_par_pays_et_annee", pays="")
    assert {(r["pays"], r["annee"]): Decimal(r["montant_eur"]) for r in rows} == dict(totals)
    country = rows[0]["pays"]
    assert {r["pays"] for r in _query(served, "financements_par_pays_et_annee", pays=country)} == {country}


def test_projects_of_a_collectivity_and_collectivities_of_a_region(served: Path, records: list[dict]) -> None:
    french = [r for r in records if r["type"] == "collectivity" and r["kind"] == "french"]
    one = next(r for r in french if r["project_ids"])
    rows = _query(served, "projets_d_une_collectivite", collectivite=one["name"])
    assert {r["projet"] for r in rows if r["collectivite"] == f"french-{one['id']}"} == set(one["project_ids"])
    region = one["region"]
    rows = _query(served, "collectivites_d_une_region", region=region)
    expected = {f"french-{r['id']}": len(r["project_ids"]) for r in french if r["region"] == region}
    assert {r["collectivite"]: r["projets"] for r in rows} == expected


def test_metadata_describes_every_column_in_french(served: Path) -> None:
    spec = metadata(served)
    tables = spec["databases"]["atlas"]["tables"]
    db = _db(served)
    views = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert set(tables) == {t.name for t in TABLES} | views
    for view in views:
        assert tables[view]["title"] and tables[view]["description"]
    for name, table in tables.items():
        if name in views:
            continue
        columns = {r[1] for r in db.execute(f"PRAGMA table_info([{name}])")}
        assert set(table["columns"]) == columns, name
        assert all(table["columns"].values()), name
        for facet in table.get("facets", ()):
            assert (facet["array"] if isinstance(facet, dict) else facet) in columns
    assert tables["projects"]["title"] == next(t.title for t in TABLES if t.name == "projects")
    assert tables["projects"]["columns"]["title"].startswith("« ")
    assert tables["collectivities"]["label_column"] == "name"
    assert spec["source_url"].startswith("http://127.0.0.1:8765/")


def test_licence_from_the_package_else_the_settings(tmp_path: Path, served: Path, monkeypatch) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "atlas.sqlite").write_bytes(served.read_bytes())
    monkeypatch.setattr(settings, "ATLAS_DATA_LICENSE", "https://example.org/licence", raising=False)
    monkeypatch.setattr(settings, "ATLAS_DATA_SOURCE", "Atlas, MEAE", raising=False)
    spec = metadata(folder / "atlas.sqlite")
    assert (spec["license_url"], spec["source"]) == ("https://example.org/licence", "Atlas, MEAE")
    licence = {"name": "etalab-2.0", "title": "Licence Ouverte 2.0", "path": "https://example.org/lo"}
    (folder / "datapackage.json").write_text(json.dumps({"licenses": [licence]}), "utf-8")
    spec = metadata(folder / "atlas.sqlite")
    assert (spec["license"], spec["license_url"]) == ("Licence Ouverte 2.0", "https://example.org/lo")


def test_datasette_serves_facets_search_and_labels(served: Path, records: list[dict[str, Any]]) -> None:
    ds = Datasette([str(served)], immutables=[], metadata=metadata(served))

    async def ask() -> list[dict[str, Any]]:
        paths = ["/atlas/projects.json?_extra=facet_results", "/atlas/french_partners.json?_labels=on&_size=5",
                 "/atlas/projects.json?_search=" + records[0]["title"].split()[0]]  # fmt: skip
        return [(await ds.client.get(path)).json() for path in paths]

    facets, partners, search = asyncio.run(ask())
    assert set(facets["facet_results"]) >= {"countries", "theme", "regions", "status", "start_year"}
    labelled = [r["collectivity"] for r in partners["rows"] if r["collectivity"]]
    assert labelled and all(isinstance(c, dict) and c["label"] for c in labelled)
    assert search["rows"]


def test_command_line_and_default_source(tmp_path: Path, monkeypatch) -> None:
    args = datasette_args(tmp_path / "atlas.sqlite", tmp_path / "m.json", 9999)
    assert args[args.index("--host") + 1] == HOST == "127.0.0.1" and "-i" in args
    monkeypatch.delenv("ATLAS_RUNS_DIR", raising=False)
    with pytest.raises(FileNotFoundError):
        default_source(tmp_path)
    (tmp_path / "atlas.jsonl").touch()
    assert default_source(tmp_path) == tmp_path / "atlas.jsonl"
    (tmp_path / "runs" / "latest").mkdir(parents=True)
    assert default_source(tmp_path) == tmp_path / "runs" / "latest"
