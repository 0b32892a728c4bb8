"""Shared fixtures: crawls of a local replica, run once per session."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler.outcome import EXIT_COMPLETE
from atlas_crawler.replica.localrun import crawl, free_port, replica
from atlas_crawler.run import folders
from tests.scheduled import EDITION_PROJECTS, EDITION_RUNS


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


@pytest.fixture(scope="session")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Scheduled runs of the replica's changing world on one port, as cron runs them,
    with the history kept (ATLAS_HISTORY): edition 1, edition 2, edition 2 with faults
    (pages the site refuses), edition 3 interrupted, edition 3. For each name: the
    finished process, ``<name>_truth`` (the replica's ground truth), ``<name>_run``
    (its run folder); ``tmp`` the folder holding ``runs``."""
    tmp = tmp_path_factory.mktemp("editions")
    port = free_port()
    scheduled = {"ATLAS_RUNS_DIR": str(tmp / "runs"), "ATLAS_HISTORY": "True"}
    out: dict[str, Any] = {"tmp": tmp}
    for name, edition, faults, settings in EDITION_RUNS:
        truth = tmp / f"{name}-truth.json"
        with replica(
            EDITION_PROJECTS, faults=faults, truth=truth, slow_seconds=0.2, options=("--edition", str(edition)),
            port=port,
        ) as base:  # fmt: skip
            out[name] = crawl(base, None, settings={**scheduled, **settings})
        out[f"{name}_truth"] = json.loads(truth.read_text("utf-8"))
        out[f"{name}_run"] = folders.all_runs(tmp / "runs")[-1]
    return out
