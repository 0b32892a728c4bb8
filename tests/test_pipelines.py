"""Pipelines through a real crawler: template keys stripped, duplicates dropped,
invalid records rejected and reported; the JSON Lines exporter."""

from __future__ import annotations

import io
import json

import pytest
from scrapy.exceptions import DropItem

from atlas_crawler import signals, stats
from atlas_crawler.output.feeds import JsonLinesExporter
from atlas_crawler.output.pipelines import (
    DoubtsPipeline,
    DuplicatesPipeline,
    SchemaValidationPipeline,
    TemplateKeyCleanerPipeline,
)
from atlas_crawler.pages.project import parse_project
from tests.saved import project_crawler, saved_response


@pytest.fixture
def crawler():
    return project_crawler()


@pytest.fixture
def record(crawler):
    """The seed page's record as the pipelines after the first see it: its doubts taken off."""
    return DoubtsPipeline.from_crawler(crawler).process_item(parse_project(saved_response("project-2431-seed")).item)


def test_template_keys_never_reach_a_record(crawler, record) -> None:
    record["title"] = "???menu.atlas.libelle??? Titre"
    record["funding"][0]["funder"] = "commun.ico.loupe.alter"
    record["extra"] = {
        "???label.inconnu???": "pagination.page.suivant",
        "???label.autre???": "Une valeur",
        "Site": "www.evry.fr",
    }
    pipeline = TemplateKeyCleanerPipeline.from_crawler(crawler)
    out = pipeline.process_item(record)
    assert out["title"] == "Titre"
    assert out["funding"][0]["funder"] is None
    # A key left empty by the cleaner: the entry goes when its value went too, and
    # a value that remains is kept under "(sans libellé)", never under a raw key.
    assert out["extra"] == {"(sans libellé)": "Une valeur", "Site": "www.evry.fr"}
    assert out["embassy"]["contacts"][0]["email"] == "sherazade.benalla@diplomatie.gouv.fr"
    assert crawler.stats.get_value(stats.TEMPLATE_KEYS_CLEANED) == 3
    assert "???" not in json.dumps(dict(out), ensure_ascii=False)


def test_duplicates_are_dropped_whatever_the_url(crawler, record) -> None:
    pipeline = DuplicatesPipeline.from_crawler(crawler)
    pipeline.process_item(record)
    again = record.copy()
    again["crawled_at"] = "2030-01-01T00:00:00Z"
    with pytest.raises(DropItem, match="duplicate"):
        pipeline.process_item(again)
    assert crawler.stats.get_value(stats.DUPLICATES_DROPPED) == 1


def test_collectivities_of_both_kinds_may_share_an_id(crawler) -> None:
    pipeline = DuplicatesPipeline.from_crawler(crawler)
    pipeline.process_item({"type": "collectivity", "kind": "french", "id": "12"})
    pipeline.process_item({"type": "collectivity", "kind": "foreign", "id": "12"})
    with pytest.raises(DropItem):
        pipeline.process_item({"type": "collectivity", "kind": "foreign", "id": "12"})


def test_invalid_records_are_reported_not_written(crawler, record) -> None:
    rejected = []

    def on_rejected(**kwargs) -> None:
        rejected.append(kwargs)

    crawler.signals.connect(on_rejected, signal=signals.record_rejected)
    pipeline = SchemaValidationPipeline.from_crawler(crawler)
    assert pipeline.process_item(record) is record
    record["title"] = ""
    record["end_date"] = "30/09/2013"
    with pytest.raises(DropItem, match="invalid project"):
        pipeline.process_item(record)
    assert crawler.stats.get_value(stats.RECORDS_INVALID) == 1
    assert rejected[0]["record_id"] == "2431"
    assert any(e.startswith("end_date:") for e in rejected[0]["errors"])
    assert any(e.startswith("title:") for e in rejected[0]["errors"])


def test_exporter_writes_utf8_json_lines_in_schema_order(record) -> None:
    buffer = io.BytesIO()
    exporter = JsonLinesExporter(buffer)
    exporter.start_exporting()
    exporter.export_item(record)
    exporter.export_item({"type": "x", "amount": 0, "flag": False, "text": "œ’«»•"})
    exporter.finish_exporting()
    lines = buffer.getvalue().decode("utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert list(first)[:4] == ["type", "id", "url", "crawled_at"]
    assert list(first)[-2:] == ["embassy", "extra"]
    assert "Coopération" in lines[0] and "\\u" not in lines[0]
    assert json.loads(lines[1]) == {"type": "x", "amount": 0, "flag": False, "text": "œ’«»•"}
