"""docs/DATA.md is the dictionary of the schemas as they are: regenerated here and
compared with the committed file, which must name every field and every column."""

from __future__ import annotations

from pathlib import Path

from atlas_crawler.items import RECORD_TYPES
from atlas_crawler.output.datadict import DATA_MD, example, example_records, main, render
from atlas_crawler.output.export.tables import TABLES
from atlas_crawler.pages.labels import label_keys
from atlas_crawler.schemas.tree import record_fields, walk


def test_docs_data_md_is_up_to_date() -> None:
    assert DATA_MD.read_text("utf-8") == render(), "docs/DATA.md is out of date: run python -m atlas_crawler.datadict"


def test_every_field_and_every_column_is_described() -> None:
    text = render()
    for record_type in RECORD_TYPES:
        for field in walk(record_fields(record_type.name)):
            assert f"| `{field.path}` |" in text, field.path
    for table in TABLES:
        assert f"### `{table.name}` — {table.title}" in text
        for column in table.columns:
            assert column.description, (table.name, column.name)


def test_labels_come_from_the_parsers() -> None:
    """The labels the parsers match (wherever they are declared) reach the dictionary."""
    project, collectivity = label_keys("project"), label_keys("collectivity")
    assert "titre" in project["title"] and "le partenariat est triennal" in project["triennial"]
    assert "nom du financeur" in project["funding[].funder"] and "financement" in project["funding"]
    assert "type de collectivite" in collectivity["collectivity_type"]
    text = render()
    assert "| `title` | text or null | « Titre » |" in text
    assert "| `funding[].funder` | text | « Nom du financeur » (also `financeur`) |" in text


def test_examples_come_from_the_saved_pages() -> None:
    examples = example_records()
    assert examples["project"][0]["id"] == "2431"  # the real page first
    assert example("funding[].amount_eur", examples["project"]) == "`109550`"
    assert example("embassy.contacts[].role", examples["project"]) == '`"Correspondant coopération décentralisée"`'
    assert example("region", examples["collectivity"]) != "—"


def test_the_command_rewrites_and_checks(tmp_path: Path, capsys) -> None:
    out = tmp_path / "DATA.md"
    assert main(["--out", str(out), "--check"]) == 1
    assert main(["--out", str(out)]) == 0
    assert out.read_text("utf-8") == render()
    assert main(["--out", str(out), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
