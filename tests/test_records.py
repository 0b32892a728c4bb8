"""A record's identity and the JSON Lines files of records (atlas_crawler/records.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from atlas_crawler.items import CollectivityItem, ProjectItem
from atlas_crawler.records import (
    RecordsFileError,
    key_fields,
    key_order,
    label,
    read_keys,
    read_records,
    record_key,
    records_by_key,
    repair_torn_line,
)


def test_the_key_is_type_kind_and_id_from_items_and_from_records_read_back() -> None:
    assert record_key(ProjectItem(type="project", id="2431")) == ("project", "", "2431")
    assert record_key({"type": "project", "kind": None, "id": "2431"}) == ("project", "", "2431")
    french = CollectivityItem(type="collectivity", kind="french", id="7")
    foreign = {"type": "collectivity", "kind": "foreign", "id": "7"}
    assert record_key(french) != record_key(foreign)  # same id, two records
    assert record_key({"type": "project", "id": 2431}) == ("project", "", "2431")


def test_keys_sort_by_type_kind_and_numeric_id_and_read_as_output_files_write_them() -> None:
    keys = [
        ("project", "", "10"),
        ("collectivity", "foreign", "2"),
        ("project", "", "9"),
        ("collectivity", "french", "1"),
    ]
    assert sorted(keys, key=key_order) == [
        ("collectivity", "foreign", "2"),
        ("collectivity", "french", "1"),
        ("project", "", "9"),
        ("project", "", "10"),
    ]
    assert key_fields(("project", "", "9")) == {"type": "project", "kind": None, "id": "9"}
    assert label(("collectivity", "french", "1")) == "french collectivity"
    assert label(("project", "", "9")) == "project"


def test_records_are_read_one_per_line_the_last_of_a_key_winning(tmp_path: Path) -> None:
    path = tmp_path / "atlas.jsonl"
    path.write_text(
        '{"type": "project", "id": "1", "title": "old"}\n\n'
        '{"type": "collectivity", "kind": "french", "id": "1"}\n'
        '{"type": "project", "id": "1", "title": "new"}\n',
        encoding="utf-8",
    )
    assert [r["id"] for r in read_records(path)] == ["1", "1", "1"]
    assert records_by_key(read_records(path))["project", "", "1"]["title"] == "new"
    assert read_keys(path) == {("project", "", "1"), ("collectivity", "french", "1")}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"id": "1"}\nnot json\n', r"atlas.jsonl:2: not a JSON record"),
        (b'{"id": "1"}\n[1, 2]\n', r"atlas.jsonl:2: a JSON list, not a record"),
        (b'{"id": "1"}\n\n{"title": "\xe9t\xe9"}\n', r"atlas.jsonl:3: not UTF-8 text"),
    ],
)
def test_a_bad_line_names_the_file_and_the_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "atlas.jsonl"
    path.write_bytes(content)
    with pytest.raises(RecordsFileError, match=message):
        list(read_records(path))


def test_a_torn_last_line_is_an_error_unless_asked_and_can_be_cut(tmp_path: Path) -> None:
    path = tmp_path / "atlas.jsonl"
    path.write_bytes(b'{"type": "project", "id": "1"}\n{"type": "proj')
    with pytest.raises(RecordsFileError, match=":2:"):
        list(read_records(path))
    assert [r["id"] for r in read_records(path, torn_end=True)] == ["1"]
    assert repair_torn_line(path) is True
    assert path.read_bytes() == b'{"type": "project", "id": "1"}\n'
    assert repair_torn_line(path) is False
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert repair_torn_line(empty) is False


def test_a_torn_line_longer_than_a_block_is_cut_back_to_the_last_newline(tmp_path: Path) -> None:
    path = tmp_path / "atlas.jsonl"
    path.write_bytes(b'{"id": "1"}\n' + b"x" * 200_000)
    assert repair_torn_line(path) is True
    assert path.read_bytes() == b'{"id": "1"}\n'
    whole = tmp_path / "one.jsonl"
    whole.write_bytes(b"y" * 100_000)
    assert repair_torn_line(whole) is True and whole.read_bytes() == b""
