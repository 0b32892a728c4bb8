"""What a run has seen, in one place: the records written (by their full key), the
lists and what they announced, the pages fetched and failed, the warnings, the
rejected records, the unreadable values, the field coverage and the doubts.

One object per crawler, like ``crawler.stats``. The collector fills it from
signals; the job state saves it in the ledger and restores it on resume; the
report, the progress line and the re-parse read it. Each fact is added up here
and nowhere else."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from atlas_crawler.crawl.robots import FORBIDDEN
from atlas_crawler.outcome import split_failures
from atlas_crawler.pages.loaders import UNREADABLE
from atlas_crawler.pages.registry import expected_type, record_of_url
from atlas_crawler.records import RecordKey, record_key
from atlas_crawler.run.doubts import Boilerplate, DoubtLog, Judgement, judge
from atlas_crawler.schemas import fields
from atlas_crawler.urls import canonicalize

#: How the duplicate check's rule begins (``DuplicatesPipeline``): such a page's record is written.
DUPLICATE = "duplicate"
#: Values that do not count as found (Spidermon's field coverage skips the same).
EMPTY: tuple[Any, ...] = (None, "", [], {})


@dataclass
class ListSeen:
    """A list of the atlas as its pages said it: the record type it lists
    (``project`` or ``collectivity``), the count it announced, the ids listed."""

    kind: str
    announced: int | None = None
    pages: int = 0
    ids: set[str] = field(default_factory=set)


@dataclass
class RunState:
    """Everything the report says that Scrapy's stats do not hold."""

    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Seconds the job's earlier runs crawled (``JOBDIR``); this run's from ``clock`` on.
    seconds_before: float = 0.0
    #: When this run began, on the monotonic clock: a wall clock stepped back or ahead
    #: during the run changes no duration.
    clock: float = field(default_factory=time.monotonic)
    runs: int = 1
    failures: dict[str, str] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: set[RecordKey] = field(default_factory=set)
    fetched: Counter[str] = field(default_factory=Counter)
    lists: dict[str, ListSeen] = field(default_factory=dict)
    #: Per record type, on how many written records each field was found.
    found: dict[str, Counter[str]] = field(default_factory=dict)
    #: First example of each unreadable value: ``{field path: {"url", "text"}}``.
    unreadable: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The reasons of every record written (the doubts pipeline), judged when needed.
    doubts: DoubtLog = field(default_factory=DoubtLog)
    #: Counters of a job's earlier runs (JOBDIR), added to this run's stats.
    earlier_stats: dict[str, int] = field(default_factory=dict)
    #: Every record page the atlas linked or listed (its canonical address): each one
    #: must end written, failed or skipped (``pages``).
    linked: set[str] = field(default_factory=set)
    #: Record pages not fetched on purpose, with the rule that dropped them.
    skipped: dict[str, str] = field(default_factory=dict)
    #: Canonical addresses of the records written (and of those rejected as invalid).
    written_urls: set[str] = field(default_factory=set)

    # --- adding up ------------------------------------------------------------------
    def record_written(self, record: Any) -> None:
        """A record that reached the feed: its key, the fields it has, an example of
        each value that was there but could not be read."""
        adapter = ItemAdapter(record)
        key = record_key(record)
        if key in self.written:
            return  # a second feed of the run wrote it too
        self.written.add(key)
        url = record_page(adapter.get("url") or "")
        self.written_urls.add(url)
        self.failures.pop(url, None)  # failed in an earlier run of the job, written now
        self.found.setdefault(key[0], Counter()).update(n for n, v in adapter.items() if v not in EMPTY)
        for path, text in (adapter.get("extra") or {}).get(UNREADABLE, {}).items():
            example = text[0] if isinstance(text, list) else text
            self.unreadable.setdefault(path, {"url": adapter.get("url"), "text": example})

    def list_page(self, list_url: str, announced: int | None, ids: list[str], kind: str) -> None:
        """A page of a list (``list_page_parsed``): its ids; the count it announces."""
        entry = self.lists.setdefault(list_url, ListSeen(kind))
        entry.pages += 1
        entry.ids.update(ids)
        if announced is not None:
            entry.announced = announced

    def page_linked(self, url: str) -> None:
        """A link to a record page (a list row, a project's partner)."""
        self.linked.add(record_page(url))

    def page_skipped(self, url: str, rule: str) -> None:
        self.skipped.setdefault(record_page(url), rule)

    # --- reading ---------------------------------------------------------------------
    def seconds(self) -> float:
        """Time spent crawling, over every run of a job (monotonic clock)."""
        return self.seconds_before + time.monotonic() - self.clock

    def pages(self) -> dict[str, Any]:
        """The record pages' ends: every page linked is written, failed or skipped
        (a duplicate of a record written under another address, a rule: robots.txt
        (``forbidden``), a trap limit), or its record was rejected as invalid; one
        that is none of these is a bug of the crawler, named in ``unaccounted``."""
        written = self.linked & self.written_urls
        failed = (self.linked & {record_page(url) for url in self.failures}) - written
        ends = {url: rule for url, rule in self.skipped.items() if url in self.linked and url not in written | failed}
        duplicates = {url for url, rule in ends.items() if rule.startswith(DUPLICATE)}
        forbidden = {url for url, rule in ends.items() if rule.startswith(FORBIDDEN)}
        rejected = {record_page(r["url"]) for r in self.rejected if r.get("url")}
        rejected = (self.linked & rejected) - written - failed - set(ends)
        unaccounted = self.linked - written - failed - set(ends) - rejected
        return {
            "linked": len(self.linked),
            "written": len(written),
            "failed": len(failed),
            "skipped": len(ends) - len(duplicates),
            "forbidden": len(forbidden),  # by robots.txt, among the skipped
            "duplicates": len(duplicates),
            "rejected": len(rejected),
            "unaccounted": sorted(unaccounted),  # a bug of the crawler
        }

    def written_ids(self, record_type: str) -> set[str]:
        """Ids of the written records of a type, any kind (a list names ids only)."""
        return {record_id for kind, _, record_id in self.written if kind == record_type}

    def records_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(key[0] for key in self.written).items()))

    def _written_by_kind(self) -> dict[str, set[str]]:
        """The written ids of each record type a list lists."""
        return {kind: self.written_ids(kind) for kind in {entry.kind for entry in self.lists.values()}}

    def list_checks(self, allowed: int = 0) -> list[dict[str, Any]]:
        """Each list: what it announced, what it listed, what of that was written; a
        list that shows every row it announces but misses only pages the site refused
        (``allowed`` of them at most: the tolerance) is ``explained_by_failures``."""
        written = self._written_by_kind()
        gaps = split_failures(self.failures, allowed)[0]
        refused = {record for url in gaps if (record := record_of_url(url)) is not None}
        out = []
        for url, entry in sorted(self.lists.items()):
            missing = sorted(entry.ids - written[entry.kind], key=lambda i: (len(i), i))
            explained = entry.announced == len(entry.ids) and all((entry.kind, i) in refused for i in missing)
            out.append(
                {
                    "url": url,
                    "kind": entry.kind,
                    "pages": entry.pages,
                    "announced": entry.announced,
                    "listed": len(entry.ids),
                    "written": len(entry.ids) - len(missing),
                    "missing_ids": missing,
                    "complete": entry.announced == len(entry.ids) and not missing,
                    "explained_by_failures": bool(missing) and explained,
                }
            )
        return out

    def lists_done(self) -> tuple[int, int, int]:
        """(lists complete, rows written, rows announced) over the lists seen so far."""
        complete = done = announced = 0
        written = self._written_by_kind()
        for entry in self.lists.values():
            count = len(entry.ids & written[entry.kind])
            expected = entry.announced if entry.announced is not None else len(entry.ids)
            complete += count >= expected
            done += min(count, expected)
            announced += expected
        return complete, done, announced

    def coverage(self) -> dict[str, Any]:
        """For each record type and field, on how many written records it was found
        (``null``, ``""``, ``[]``, ``{}`` count as not found)."""
        totals = self.records_by_type()
        out: dict[str, Any] = {}
        for record_type, total in totals.items():
            counts = self.found.get(record_type, Counter())
            names = fields(record_type)
            out[record_type] = {
                "records": total,
                "fields": {n: {"found": counts[n], "ratio": round(counts[n] / total, 4)} for n in names},
                "never_found": [n for n in names if not counts[n]],
            }
        return out

    # --- saving ------------------------------------------------------------------------
    # What the records say (written, found, unreadable) and the lists are not saved
    # here: a resumed job reads them again from its feed file (the truth of what was
    # written) and from the ledger's list pages (written with each page's "done").
    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "seconds": self.seconds(),
            "runs": self.runs,
            "failures": self.failures,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "fetched": dict(self.fetched),
            "doubts": self.doubts.to_json(),
            "stats": self.earlier_stats,
            "linked": sorted(self.linked),
            "skipped": self.skipped,
        }

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> RunState:
        """The state a job's earlier run saved; this run is the next one."""
        return cls(
            started_at=datetime.fromisoformat(state["started_at"]),
            seconds_before=state.get("seconds", 0.0),
            runs=state["runs"] + 1,
            failures=state["failures"],
            rejected=state["rejected"],
            warnings=state["warnings"],
            fetched=Counter(state["fetched"]),
            doubts=DoubtLog.from_json(state["doubts"]) if "doubts" in state else DoubtLog(),
            earlier_stats=state["stats"],
            linked=set(state.get("linked", ())),
            skipped=state.get("skipped", {}),
        )


def record_page(url: str) -> str:
    """The one spelling of a record page's address (its page type's canonical one),
    under which the run counts it linked, written, failed or skipped."""
    page_type = expected_type(url)
    if page_type is not None and page_type.record_type is not None:
        return page_type.canonical_url(url)
    return canonicalize(url)


_STATES: WeakKeyDictionary[Any, RunState] = WeakKeyDictionary()


def run_state(crawler: Crawler) -> RunState:
    """The crawler's run state (made on first use)."""
    if crawler not in _STATES:
        _STATES[crawler] = RunState()
    return _STATES[crawler]


def replace_run_state(crawler: Crawler, state: RunState) -> None:
    """A resumed job's state takes the place of a fresh one."""
    _STATES[crawler] = state


def judged_doubts(crawler: Crawler) -> Judgement:
    """The run's doubts judged under its settings, afresh from what was collected
    (the stats, the doubts file and the report each ask when they need it)."""
    return judge(run_state(crawler).doubts, Boilerplate.from_settings(crawler.settings))
