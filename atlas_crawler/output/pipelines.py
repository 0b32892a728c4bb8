"""Item pipelines: take the doubts off, strip template keys, drop duplicates,
count unreadable values, validate against the output contract. A record that
fails validation is reported, never written; every clean-up is counted in a stat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastjsonschema
from itemadapter import ItemAdapter
from jsonschema import Draft202012Validator, FormatChecker
from scrapy import signals as scrapy_signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from atlas_crawler import signals, stats
from atlas_crawler.extract.text import clean, may_hold_template_key
from atlas_crawler.items import DOUBTS, RECORD_TYPES
from atlas_crawler.pages.loaders import UNREADABLE
from atlas_crawler.records import record_key
from atlas_crawler.run import ledger
from atlas_crawler.run.doubts import Boilerplate, doubt_stats
from atlas_crawler.run.state import DUPLICATE, judged_doubts, run_state
from atlas_crawler.schemas import inlined_schema, load_schema

#: Where ``extra`` keeps a value whose label was only a template key.
UNLABELLED = "(sans libellé)"


def _clean_deep(value: Any) -> Any:
    """Every string that may hide a template key through the cleaner (the
    loaders have cleaned everything else); keys of ``extra`` too: a key left
    empty becomes ``UNLABELLED``, an entry left with neither key nor value goes."""
    if isinstance(value, str):
        return clean(value) if may_hold_template_key(value) else value
    if isinstance(value, list):
        return [_clean_deep(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            cleaned = _clean_deep(inner)
            label = clean(key) if may_hold_template_key(key) else key
            if label is None and cleaned in (None, "", [], {}):
                continue
            out[label or _free_key(out, UNLABELLED)] = cleaned
        return out
    return value


def _free_key(taken: dict[str, Any], key: str) -> str:
    n = 1
    candidate = key
    while candidate in taken:
        n += 1
        candidate = f"{key} {n}"
    return candidate


class DoubtsPipeline:
    """Takes ``item["doubts"]`` off before any other pipeline sees the record (it is
    no field of it: the schema would reject it, the feed must not hold it) and notes
    them in the run state only once the record is written (``record_written``): a
    record dropped as a duplicate or invalid, or failed, leaves nothing behind.

    Sets the doubt stats from the run's judgement in ``close_spider``, which Scrapy
    calls after the last item and before ``spider_closed``, where the close monitors
    (DoubtedRecordsMonitor) read them."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        Boilerplate.from_settings(crawler.settings)  # a bad setting stops the crawl at its start, not its end
        #: The doubts of items still in the pipelines, by item identity (the signals
        #: carry the item object itself); every item ends with one of the signals below.
        self.pending: dict[int, list[dict[str, Any]]] = {}
        connect = crawler.signals.connect
        connect(self.record_written, signal=signals.record_written)
        connect(self.item_left, signal=scrapy_signals.item_dropped)
        connect(self.item_left, signal=scrapy_signals.item_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DoubtsPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        doubts = ItemAdapter(item).pop(DOUBTS, None)
        if doubts:
            self.pending[id(item)] = doubts
        return item

    def record_written(self, item: Any) -> None:
        doubts = self.pending.pop(id(item), [])
        run_state(self.crawler).doubts.add(record_key(item), ItemAdapter(item).get("url"), doubts)

    def item_left(self, item: Any) -> None:
        self.pending.pop(id(item), None)

    def close_spider(self) -> None:
        for name, value in doubt_stats(judged_doubts(self.crawler)).items():
            self.crawler.stats.set_value(name, value)


class TemplateKeyCleanerPipeline:
    """Unresolved template keys (``???menu.atlas.libelle???``,
    ``commun.ico.loupe.alter``) never reach a record, whatever field they hide in."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TemplateKeyCleanerPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in list(adapter.keys()):
            value = adapter[name]
            cleaned = _clean_deep(value)
            if cleaned != value:
                self.stats.inc_value(stats.TEMPLATE_KEYS_CLEANED)
                adapter[name] = cleaned
        return item


class DuplicatesPipeline:
    """One record per (type, kind, id), whatever address it was reached by."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        job = ledger.ledger_of(crawler)  # a resumed JOBDIR job: the records its feed holds already
        self.seen: set[tuple[str, ...]] = set(job.written) if job is not None else set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DuplicatesPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        key = record_key(item)
        if key in self.seen:
            self.stats.inc_value(stats.DUPLICATES_DROPPED)
            raise DropItem(f"{DUPLICATE} record {key}")
        self.seen.add(key)
        return item


class UnreadableValuesPipeline:
    """Counts, per field, the values a page showed but no reader could read
    (``atlas/field/<name>/unreadable``); their raw text is in ``extra``."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UnreadableValuesPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        for path, text in (ItemAdapter(item).get("extra") or {}).get(UNREADABLE, {}).items():
            self.stats.inc_value(stats.unreadable(path), len(text) if isinstance(text, list) else 1)
        return item


def compile_schema(name: str) -> Callable[[Any], Any]:
    """A compiled validator of the schema (fastjsonschema: the hot path)."""
    # Without "$schema": fastjsonschema's draft-07 keywords are those of draft 2020-12 for this contract.
    schema = {k: v for k, v in inlined_schema(name).items() if k != "$schema"}
    return fastjsonschema.compile(schema)


class SchemaValidationPipeline:
    """Each record against ``schemas/<type>.schema.json``; failures go to the
    run report with all their errors and are not written. A compiled validator
    checks every record; ``jsonschema`` explains the rare ones that fail."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.fast = {t.name: compile_schema(t.name) for t in RECORD_TYPES}
        self.validators = {
            t.name: Draft202012Validator(load_schema(t.name), format_checker=FormatChecker()) for t in RECORD_TYPES
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchemaValidationPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        record = dict(ItemAdapter(item).items())  # values are plain JSON types already
        fast = self.fast.get(record.get("type"))
        if fast is not None:
            try:
                fast(record)
            except fastjsonschema.JsonSchemaException:
                pass
            else:
                return item
        validator = self.validators.get(record.get("type"))
        errors = (
            [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in validator.iter_errors(record)]
            if validator
            else [f"unknown record type {record.get('type')!r}"]
        )
        if errors:
            self.crawler.stats.inc_value(stats.RECORDS_INVALID)
            self.crawler.signals.send_catch_log(
                signals.record_rejected,
                record_type=record.get("type"),
                record_id=record.get("id"),
                url=record.get("url"),
                errors=errors,
            )
            raise DropItem(f"invalid {record.get('type')} record {record.get('url')}: {errors[:3]}")
        return item
