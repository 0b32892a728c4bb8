"""The data package of every format validates with the project's own install, and says
where the data comes from, under which terms, which schema version the tables follow,
and each file's size and hash; the licence, citation and changelog files agree with the
code.

CSV is checked by Frictionless itself; Parquet and SQLite rows are read by
``datapackage.check`` (pyarrow, sqlite3) and checked by Frictionless against the same
table schemas: each test breaks a package to show the check can fail."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shlex
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from scrapy.settings import Settings

import atlas_crawler
from atlas_crawler import settings as project_settings
from atlas_crawler.archive import manifest as dump_manifest
from atlas_crawler.output.export import export
from atlas_crawler.output.export.datapackage import check, descriptor, main, terms, write_package
from atlas_crawler.output.export.tables import TABLES
from atlas_crawler.replica.world import World
from atlas_crawler.schemas import load_schema, version

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8765/cncdext/dyn/public/atlas/"
VARIANTS = ("csv", "csv-excel", "parquet", "sqlite")


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    """A small world's records; a partner whose collectivity is not among them loses its
    link (as on a page without one), so that every foreign key resolves."""
    truth = copy.deepcopy(World(projects=12, seed=5).truth(BASE)["records"])
    known = {(r["kind"], r["id"]) for r in truth if r["type"] == "collectivity"}
    for n, record in enumerate(truth):
        record["crawled_at"] = f"2026-11-26T04:00:{n % 60:02d}Z"
        for table, kind in (("foreign_partners", "foreign"), ("french_partners", "french")):
            for partner in record.get(table, ()):
                if partner["id"] is not None and (kind, partner["id"]) not in known:
                    partner["id"] = partner["url"] = None
    return truth


def _export(records: list[dict[str, Any]], directory: Path, variant: str) -> Path:
    fmt = variant.split("-", maxsplit=1)[0]
    excel = variant.endswith("excel")
    export(records, {fmt: directory}, excel=excel)
    # The export writes the package; written again here with each file's size and hash
    # (a no-op once the export writes it through write_package).
    write_package(directory, TABLES, fmt, excel, BASE)
    return directory


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_formats_package_validates(records, tmp_path: Path, variant: str) -> None:
    directory = _export(records, tmp_path, variant)
    assert check(directory) == []
    assert main([str(directory)]) == 0


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_package_says_where_the_data_comes_from_and_under_which_terms(
    records, tmp_path: Path, variant: str
) -> None:
    directory = _export(records, tmp_path, variant)
    package = json.loads((directory / "datapackage.json").read_text("utf-8"))
    assert package["licenses"] == [project_settings.ATLAS_DATA_LICENSE]
    assert package["sources"] == [{"title": project_settings.ATLAS_DATA_SOURCE["title"], "path": BASE}]
    assert package["homepage"] == BASE
    assert {"title": project_settings.ATLAS_DATA_SOURCE["publisher"], "role": "publisher"} in package["contributors"]
    assert package["version"] == version() and f"version {version()}" in package["description"]
    assert datetime.fromisoformat(package["created"]).tzinfo is not None
    assert "coopération décentralisée" in package["keywords"]
    for resource in package["resources"]:
        data = (directory / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_broken_parquet_rows_are_caught(records, tmp_path: Path) -> None:
    """A funding row of an unknown project, and a project id that breaks its pattern."""
    directory = _export(records, tmp_path, "parquet")
    path = directory / "funding.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0] = rows[0] | {"project_id": "424242"}
    rows[1] = rows[1] | {"project_id": "x"}
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    problems = check(directory)
    assert any("foreign-key" in p and "424242" in p for p in problems), problems
    assert any("project_id constraint-error" in p for p in problems), problems
    assert any(p.startswith("funding: funding.parquet has hash") for p in problems), problems


def test_broken_sqlite_rows_are_caught(records, tmp_path: Path) -> None:
    """SQLite's rows were never checked: a boolean that is 2 and a theme row of an
    unknown project are found now."""
    directory = _export(records, tmp_path, "sqlite")
    db = sqlite3.connect(directory / "atlas.sqlite")
    with db:
        db.execute("UPDATE project_themes SET main = 2 WHERE row_no = 0")
        db.execute("UPDATE project_themes SET project_id = '424242' WHERE rowid = 1")
    db.close()
    problems = check(directory)
    assert any(re.search(r"\bmain type-error\b", p) for p in problems), problems
    assert any("foreign-key" in p and "424242" in p for p in problems), problems
    assert any(p.startswith("projects: atlas.sqlite has bytes") or "atlas.sqlite has hash" in p for p in problems)
    assert main([str(directory)]) == 1


def test_a_changed_csv_file_is_caught(records, tmp_path: Path) -> None:
    directory = _export(records, tmp_path, "csv")
    with open(directory / "collectivities.csv", "rb+") as f:
        head = f.read(5)
        f.seek(0)
        f.write(head.upper())  # "kind," -> "KIND,": same size, another hash and header
    assert any("hash-count" in p for p in check(directory))


def test_the_licence_and_source_are_settings(monkeypatch) -> None:
    settings = Settings({"ATLAS_DATA_LICENSE": {"name": "ODbL-1.0"}, "ATLAS_DATA_SOURCE": {"title": "Copie"}})
    assert terms(settings) == ({"name": "ODbL-1.0"}, {"title": "Copie"})
    monkeypatch.setenv("ATLAS_DATA_LICENSE", '{"path": "https://example.org/terms", "title": "Autres"}')
    assert terms()[0] == {"path": "https://example.org/terms", "title": "Autres"}
    package = descriptor(TABLES, "csv", source=BASE, settings=settings)
    assert package["licenses"] == [{"name": "ODbL-1.0"}] and package["sources"][0]["title"] == "Copie"
    with pytest.raises(ValueError, match="ATLAS_DATA_LICENSE needs a name or a path"):
        terms(Settings({"ATLAS_DATA_LICENSE": {"title": "sans nom"}}))


def test_the_schemas_state_one_version_the_changelog_names() -> None:
    assert {load_schema(t)["version"] for t in ("project", "collectivity")} == {version()}
    assert re.fullmatch(r"\d+\.\d+\.\d+", version())
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    headings = re.findall(r"^## (\d+\.\d+\.\d+) ", changelog, flags=re.MULTILINE)
    assert headings and headings[0] == version(), "CHANGELOG.md's latest version is the schemas' version"


def test_licence_and_citation_agree_with_the_code() -> None:
    licence = (ROOT / "LICENSE").read_text("utf-8")
    assert licence.startswith("MIT License") and "atlas-crawler contributors" in licence
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text("utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert citation["license"] == "MIT" and citation["version"] == atlas_crawler.__version__
    assert citation["title"] and citation["message"] and citation["authors"] == [{"name": "atlas-crawler contributors"}]
    assert (ROOT / "docs" / "CITING.md").is_file()


def test_citings_commands_print_a_dumps_hash_and_dates(tmp_path: Path) -> None:
    """The commands of docs/CITING.md, run on a manifest as a dump writes it."""
    when = datetime(2026, 11, 1, 2, tzinfo=UTC), datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    built = dump_manifest.build(tmp_path, started_at=when[0], finished_at=when[1], finish_reason="finished",
                                commit=None, settings={})  # fmt: skip
    manifest = dump_manifest.write(tmp_path, built)
    text = (ROOT / "docs" / "CITING.md").read_text("utf-8")
    commands = [line for line in text.splitlines() if "output/dump-2026-11/manifest.json" in line]
    assert [c.split()[0] for c in commands] == ["sha256sum", "python3"]
    outputs = [
        subprocess.run(
            shlex.split(c.replace("output/dump-2026-11/manifest.json", str(manifest))),
            capture_output=True, text=True, check=True,
        ).stdout
        for c in commands
    ]  # fmt: skip
    assert outputs[0].split()[0] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert outputs[1].split() == ["2026-11-01T02:00:00Z", "2026-11-01T09:30:00Z", atlas_crawler.__version__]
