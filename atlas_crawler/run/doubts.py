"""The doubts of a run: what the parse could not explain on the pages of the
records it wrote (``atlas_crawler.extract.doubts``), collected as the records
are written and judged when needed (the stats the monitor reads, the report, the
doubts file), always afresh from what was collected.

Judging sets aside learnt boilerplate: page chrome no page type declares (a
cookie banner, a feedback link) stands unclaimed on most pages of a type and
would make every record doubt. An ``unclaimed_text`` reason whose folded text is
unclaimed on at least ``ATLAS_BOILERPLATE_SHARE`` of the written records of its
record type, once that type has ``ATLAS_BOILERPLATE_MIN_RECORDS`` of them, is
chrome: listed in the report (for a maintainer to declare), not a doubt."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atlas_crawler import stats as names
from atlas_crawler.extract.doubts import RULES, UNCLAIMED
from atlas_crawler.extract.text import fold
from atlas_crawler.files import write_atomically
from atlas_crawler.records import RecordKey, key_fields, key_order

#: ``(rule, field, text)``: one reason, as ``Doubt.as_json`` gives it.
Reason = tuple[str, str | None, str]
#: Doubted records the report quotes whole, and the groups of reasons it lists.
EXAMPLES = 5
GROUPS = 50


@dataclass
class DoubtLog:
    """Every written record's reasons, all of them (boilerplate is only known at
    the end), and how many records of each type were written. A reason is kept
    once and referred to by its number: chrome repeats on every page."""

    reasons: list[Reason] = field(default_factory=list)
    #: Records written with at least one reason: ``{key: (url, reason numbers)}``.
    records: dict[RecordKey, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    #: Records written per record type, doubted or not (the boilerplate's denominator).
    written: Counter[str] = field(default_factory=Counter)
    _numbers: dict[Reason, int] = field(default_factory=dict, repr=False, compare=False)

    def add(self, key: RecordKey, url: str, doubts: Iterable[dict[str, Any]]) -> None:
        """A record written, with its reasons (``item["doubts"]``, maybe empty)."""
        self.written[key[0]] += 1
        numbers = tuple(self._number((d["rule"], d.get("field"), d["text"])) for d in doubts)
        if numbers:
            self.records[key] = (url, numbers)

    def _number(self, reason: Reason) -> int:
        if reason not in self._numbers:
            self._numbers[reason] = len(self.reasons)
            self.reasons.append(reason)
        return self._numbers[reason]

    def keep(self, written: Iterable[RecordKey]) -> None:
        """A resumed job: only the records its feed holds (a record cut off by the
        kill is fetched again, and adds its reasons again)."""
        keys = set(written)
        self.records = {key: entry for key, entry in self.records.items() if key in keys}
        self.written = Counter(key[0] for key in keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "reasons": [list(reason) for reason in self.reasons],
            "records": [[*key, url, list(numbers)] for key, (url, numbers) in self.records.items()],
            "written": dict(self.written),
        }

    @classmethod
    def from_json(cls, saved: dict[str, Any]) -> DoubtLog:
        log = cls(
            reasons=[(rule, field_name, text) for rule, field_name, text in saved["reasons"]],
            records={(t, k, i): (url, tuple(numbers)) for t, k, i, url, numbers in saved["records"]},
            written=Counter(saved["written"]),
        )
        log._numbers = {reason: n for n, reason in enumerate(log.reasons)}
        return log


@dataclass(frozen=True)
class Boilerplate:
    """When an unclaimed text is chrome (``ATLAS_BOILERPLATE_SHARE``, ``…_MIN_RECORDS``)."""

    share: float
    min_records: int

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:  # 0 would take every unclaimed text for chrome
            raise ValueError(f"ATLAS_BOILERPLATE_SHARE must be more than 0 and at most 1, not {self.share}")

    @classmethod
    def from_settings(cls, settings: Any) -> Boilerplate:
        return cls(settings.getfloat("ATLAS_BOILERPLATE_SHARE"), settings.getint("ATLAS_BOILERPLATE_MIN_RECORDS"))


@dataclass(frozen=True)
class Judgement:
    """The doubts of a run: the doubts file's lines (sorted by type, kind, id) and
    the boilerplate learnt, per record type (one wording per folded text)."""

    records: list[dict[str, Any]]
    boilerplate: dict[str, list[str]]


def judge(log: DoubtLog, rule: Boilerplate) -> Judgement:
    """The doubted records and the boilerplate learnt, from what the log holds."""
    folded = {n: fold(text) for n, (kind, _field, text) in enumerate(log.reasons) if kind == UNCLAIMED}
    on_records: dict[str, Counter[str]] = defaultdict(Counter)
    for key, (_url, numbers) in log.records.items():
        on_records[key[0]].update({folded[n] for n in numbers if n in folded})
    chrome: dict[str, set[str]] = {
        record_type: {text for text, n in counts.items() if n >= rule.share * log.written[record_type]}
        for record_type, counts in on_records.items()
        if log.written[record_type] >= rule.min_records
    }
    wording = {}
    for n, text in folded.items():
        wording.setdefault(text, log.reasons[n][2])  # the first seen
    records = []
    for key in sorted(log.records, key=key_order):
        url, numbers = log.records[key]
        cleared = chrome.get(key[0], set())
        left = [log.reasons[n] for n in numbers if folded.get(n) not in cleared]
        if left:
            reasons = [{"rule": rule_name, "field": name, "text": text} for rule_name, name, text in left]
            records.append({**key_fields(key), "url": url, "reasons": reasons})
    boilerplate = {t: sorted(wording[text] for text in texts) for t, texts in sorted(chrome.items()) if texts}
    return Judgement(records, boilerplate)


def by_reason(judged: Judgement) -> dict[str, int]:
    """Reasons left per rule, every rule named (0 included), over the doubted records."""
    counts = Counter({rule: 0 for rule in RULES})
    counts.update(reason["rule"] for record in judged.records for reason in record["reasons"])
    return dict(counts)


def doubt_stats(judged: Judgement) -> dict[str, int]:
    """``atlas/doubts/records`` and ``atlas/doubts/<rule>`` (set, never added up:
    a resumed job's judgement covers the whole job)."""
    values = {names.doubts(rule): n for rule, n in by_reason(judged).items()}
    return {names.DOUBTED_RECORDS: len(judged.records), **values}


def groups(judged: Judgement) -> list[dict[str, Any]]:
    """Reasons grouped by rule, field and wording (folded), the largest first: a
    rule written for one group clears all its records."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for record in judged.records:
        seen = set()
        for reason in record["reasons"]:
            key = (reason["rule"], reason["field"] or "", fold(reason["text"]))
            if key in seen:
                continue
            seen.add(key)
            group = found.setdefault(key, {**reason, "records": 0, "example_url": record["url"]})
            group["records"] += 1
    return sorted(found.values(), key=lambda g: (-g["records"], g["rule"], g["field"] or "", g["text"]))


def report_section(judged: Judgement, path: Path) -> dict[str, Any]:
    """The report's ``doubts`` key."""
    return {
        "records": len(judged.records),
        "file": str(path),
        "by_reason": {rule: n for rule, n in by_reason(judged).items() if n},
        "groups": groups(judged)[:GROUPS],
        "examples": judged.records[:EXAMPLES],
        "boilerplate": judged.boilerplate,
    }


def write_doubts(path: Path, judged: Judgement) -> None:
    """The doubts file, one line per doubted record, moved into place whole; empty
    when nothing is doubted, so that a reader never finds an older run's."""
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in judged.records)
    write_atomically(path, lines.encode("utf-8"))
