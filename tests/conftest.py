"""Shared fixtures: crawls of a local replica, run once per session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler.outcome import EXIT_COMPLETE
from atlas_crawler.replica.localrun import crawl, replica


@dataclass
class Crawl:
    """A finished crawl: its records, report, log and the replica's ground truth."""

    records: list[dict[str, Any]]
    report: dict[str, Any]
    log: str
    truth: dict[str, Any]
    output: Path


@pytest.fixture(autouse=True, scope="session")
def _no_atlas_environment() -> None:
    """The crawl command reads ATLAS_* settings from the environment: a developer's
    shell (ATLAS_RUNS_DIR, ATLAS_CONTACT, …) must not leak into the test crawls."""
    for name in [n for n in os.environ if n.startswith("ATLAS_")]:
        del os.environ[name]


def run_crawl(tmp: Path, projects: int = 300, faults: bool = True, settings=None, **args: str) -> Crawl:
    truth_path = tmp / "truth.json"
    output = tmp / "atlas.jsonl"
    with replica(projects=projects, faults=faults, truth=truth_path) as base:
        result = crawl(base, output, settings=settings, **args)
    # With faults on, a few projects always answer the site's error page: the run is
    # complete with known gaps (exit 0), and says so.
    assert result.returncode == EXIT_COMPLETE, result.stdout[-5000:]
    if faults:
        assert "complete with known gaps" in result.stdout, result.stdout[-5000:]
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
