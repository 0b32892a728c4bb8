"""Shared fixtures: crawls of a local replica, run once per session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler.outcome import EXIT_COMPLETE, EXIT_INCOMPLETE
from atlas_crawler.replica.localrun import crawl, replica


@dataclass
class Crawl:
    """A finished crawl: its records, report, log and the replica's ground truth."""

    records: list[dict[str, Any]]
    report: dict[str, Any]
    log: str
    truth: dict[str, Any]
    output: Path


def run_crawl(tmp: Path, projects: int = 300, faults: bool = True, settings=None, **args: str) -> Crawl:
    truth_path = tmp / "truth.json"
    output = tmp / "atlas.jsonl"
    with replica(projects=projects, faults=faults, truth=truth_path) as base:
        result = crawl(base, output, settings=settings, **args)
    # With faults on, a few projects always fail: a run that says so is incomplete.
    assert result.returncode == (EXIT_INCOMPLETE if faults else EXIT_COMPLETE), result.stdout[-5000:]
    return Crawl(
        records=[json.loads(line) for line in output.read_text("utf-8").splitlines()],
        report=json.loads((tmp / "atlas.report.json").read_text("utf-8")),
        log=result.stdout,
        truth=json.loads(truth_path.read_text("utf-8")),
        output=output,
    )


@pytest.fixture(scope="session")
def faulty_crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """The 300-project replica with faults on, crawled with the lists entry."""
    return run_crawl(tmp_path_factory.mktemp("faulty"))
