"""The history kept by scheduled crawls of the replica's changing world (the session's
``editions``: edition 1, edition 2, edition 2 with pages the site refuses, edition 3
interrupted, edition 3), each run adding itself to ``history.sqlite`` (ATLAS_HISTORY):
each run folder's records are the versions after it; the refused pages and the
interrupted run end nothing; the complete run after them ends what edition 3 removed;
a rebuild from the folders gives the same store, and so does one after retention
deleted folders."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from atlas_crawler.files import HISTORY, HISTORY_LOCK, RECORDS, REPORT_VIEW
from atlas_crawler.history.store import dump
from atlas_crawler.records import read_records, record_key
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, replica
from atlas_crawler.replica.world import World
from atlas_crawler.run import folders
from tests.scheduled import EDITION_PROJECTS, EDITION_RUNS, versions_after

pytestmark = pytest.mark.e2e
NAMES = [name for name, *_ in EDITION_RUNS]


def rows(store: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        return db.execute(sql, params).fetchall()


def bare(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "crawled_at"}


def test_each_scheduled_run_added_itself_to_the_history(editions: dict[str, Any]) -> None:
    runs_dir = editions["tmp"] / "runs"
    store = runs_dir / HISTORY
    assert [f for (f,) in rows(store, "SELECT folder FROM runs ORDER BY run_no")] == [
        editions[f"{n}_run"].name for n in NAMES
    ]
    for name in NAMES:
        assert "history: 1 run(s) added to" in editions[name].stdout, editions[name].stdout[-2000:]
    status = json.loads((runs_dir / "status.json").read_text("utf-8"))
    assert status["last_run"]["history"].startswith("history: 1 run(s) added")
    (flags,) = zip(*rows(store, "SELECT saw_whole_atlas FROM runs ORDER BY run_no"), strict=True)
    assert flags == (1, 1, 1, 0, 1)  # the refused pages are record pages: the walk was whole


def test_the_versions_are_each_run_folders_records(editions: dict[str, Any]) -> None:
    store = editions["tmp"] / "runs" / HISTORY
    for run_no, name in enumerate(NAMES, 1):
        written = {record_key(r): bare(r) for r in read_records(editions[f"{name}_run"] / RECORDS)}
        state = versions_after(store, run_no)
        assert {k: state[k] for k in written} == written, name
        if name in ("first", "second", "third"):
            assert state.keys() == written.keys(), name


def test_refused_pages_and_the_interrupted_run_end_nothing(editions: dict[str, Any]) -> None:
    store = editions["tmp"] / "runs" / HISTORY
    failed = {url.rsplit("=", 1)[1] for url in editions["faulty_truth"]["failed_urls"]}
    assert failed
    unknown = {i for (i,) in rows(store, "SELECT id FROM changes WHERE run_no = 3 AND change = 'unknown' "
                                         "AND type = 'project'")}  # fmt: skip
    assert failed <= unknown
    assert rows(store, "SELECT removed FROM runs WHERE run_no = 4") == [(0,)]
    (kept,) = rows(store, "SELECT unknown FROM runs WHERE run_no = 4")[0]
    assert kept > 0  # what the interrupted run did not reach is kept as it was


def test_the_complete_run_ends_what_the_edition_removed(editions: dict[str, Any]) -> None:
    """Independent of any diff: edition 3 removed projects of edition 2; the interrupted
    run (4) could not end them, the complete run (5) does."""
    store = editions["tmp"] / "runs" / HISTORY
    gone = {
        str(i)
        for i in World(EDITION_PROJECTS, edition=2).projects.keys() - World(EDITION_PROJECTS, edition=3).projects.keys()
    }
    assert gone
    removed = {i for (i,) in rows(store, "SELECT id FROM changes WHERE run_no = 5 AND change = 'removed' "
                                         "AND type = 'project'")}  # fmt: skip
    assert gone <= removed
    for project in gone:
        ((to_run,),) = rows(store, "SELECT max(to_run) FROM versions WHERE type = 'project' AND id = ?", project)
        assert to_run == 5


def test_a_rebuild_gives_the_same_store_even_after_retention(editions: dict[str, Any], tmp_path: Path) -> None:
    copy = tmp_path / "runs"
    shutil.copytree(editions["tmp"] / "runs", copy, symlinks=True)
    original = dump(copy / HISTORY)
    command = [sys.executable, "-m", "atlas_crawler.history", str(copy), "--rebuild"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert dump(copy / HISTORY) == original
    for gone in folders.all_runs(copy)[:3]:
        shutil.rmtree(gone)
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "3 kept from the old store" in result.stdout
    assert dump(copy / HISTORY) == original


def test_the_report_shows_the_trend_from_the_history(editions: dict[str, Any]) -> None:
    page = (editions["third_run"] / REPORT_VIEW).read_text("utf-8")
    assert "lus dans l'historique" in page
    for name in NAMES[:-1]:
        assert editions[f"{name}_run"].name in page


def test_a_run_the_history_lacks_is_not_pruned(tmp_path: Path) -> None:
    """With ``ATLAS_KEEP_RUNS=1`` and the history busy (another update holds its lock),
    the runs are not pruned while the history lacks them; once it can be updated, it
    takes every one of them, and only then are they pruned."""
    runs_dir = tmp_path / "runs"
    scheduled = {"ATLAS_RUNS_DIR": str(runs_dir), "ATLAS_HISTORY": "True", "ATLAS_KEEP_RUNS": "1"}
    busy = folders.RunLock(runs_dir / HISTORY_LOCK)
    with replica(5, slow_seconds=0.1) as base:
        assert busy.acquire("a long rebuild")
        try:
            for _ in range(2):
                result = crawl(base, None, settings=scheduled)
                assert result.returncode == 0, result.stdout[-3000:]
                assert "history not updated" in result.stdout
        finally:
            busy.release()
        assert "run folder(s) kept until the history holds them" in result.stdout
        assert len(folders.all_runs(runs_dir)) == 2
        result = crawl(base, None, settings=scheduled)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "history: 3 run(s) added" in result.stdout
    assert len(rows(runs_dir / HISTORY, "SELECT folder FROM runs")) == 3
    assert [r.name for r in folders.all_runs(runs_dir)] == [
        rows(runs_dir / HISTORY, "SELECT max(folder) FROM runs")[0][0]
    ]
