"""What a run has done so far, shared by the report's components (collector,
job state, writer): one object per crawler, like ``crawler.stats``."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler

from atlas_crawler.run.doubts import Boilerplate, DoubtLog, Judgement, judge


@dataclass
class RunState:
    """Records written, pages fetched, failures, lists, warnings, doubts: everything
    the report says that Scrapy's stats do not hold."""

    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    runs: int = 1
    failures: dict[str, str] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fetched: Counter[str] = field(default_factory=Counter)
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: First example of each unreadable value: ``{field path: {"url", "text"}}``.
    unreadable: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The reasons of every record written (the doubts pipeline), judged when needed.
    doubts: DoubtLog = field(default_factory=DoubtLog)
    #: Counters of a job's earlier runs (JOBDIR), added to this run's stats.
    earlier_stats: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "runs": self.runs,
            "failures": self.failures,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "written": {kind: sorted(ids) for kind, ids in self.written.items()},
            "fetched": dict(self.fetched),
            "lists": {url: {**entry, "ids": sorted(entry["ids"])} for url, entry in self.lists.items()},
            "unreadable": self.unreadable,
            "doubts": self.doubts.to_json(),
            "stats": self.earlier_stats,
        }

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> RunState:
        """The state a job's earlier run saved; this run is the next one."""
        return cls(
            started_at=datetime.fromisoformat(state["started_at"]),
            runs=state["runs"] + 1,
            failures=state["failures"],
            rejected=state["rejected"],
            warnings=state["warnings"],
            written=defaultdict(set, {kind: set(ids) for kind, ids in state["written"].items()}),
            fetched=Counter(state["fetched"]),
            lists={url: {**entry, "ids": set(entry["ids"])} for url, entry in state["lists"].items()},
            unreadable=state.get("unreadable", {}),
            doubts=DoubtLog.from_json(state["doubts"]) if "doubts" in state else DoubtLog(),
            earlier_stats=state["stats"],
        )


_STATES: WeakKeyDictionary[Crawler, RunState] = WeakKeyDictionary()


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
