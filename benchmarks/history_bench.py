"""``make bench``, the history store (issue 22): ten years of weekly runs must stay small
(the store grows with the changes, not with the runs) and adding one more run must take
seconds (its cost is that of the run's records, whatever the number of runs before it).

The replica's world of ``--projects`` projects changes one edition a week (each edition
removes, adds and edits 5 % of the projects and changes a few collectivity websites);
each of ``--runs`` weekly runs is written as a run folder (``replica.runs.write_run``, no
crawl) and added with ``history.update`` (timed: wall and CPU). Unless ``--keep-folders``,
every folder but the newest is deleted once added, as ``ATLAS_KEEP_RUNS`` would (the
newest stays, so that run numbering goes on): the store alone must keep everything. At
the end: one Parquet write, and one ``rebuild`` (with retention on, it replays the
deleted runs from the old store), checked to give the same store.

Results: printed, and ``docs/history_benchmark.json`` (``--json`` another path)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas_crawler import history
from atlas_crawler.files import RECORDS
from atlas_crawler.history import parquet
from atlas_crawler.history.schema import HISTORY_TABLES
from atlas_crawler.history.store import rows_of
from atlas_crawler.replica.localrun import PROJECT_ROOT
from atlas_crawler.replica.runs import BASE, write_run
from atlas_crawler.replica.world import World
from atlas_crawler.run import folders
from benchmarks.summary import code_version

FIRST_RUN = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)  # a Monday night, as the scheduled crawl runs
#: The early runs (2 to this) and the late ones (the last this many and one) whose median
#: update times are compared: flat means O(records of a run), not O(runs).
WINDOW = 10
GOAL_UPDATE_SECONDS = 5.0  # "adding one more run takes seconds"


@dataclass
class Run:
    """One weekly run as the benchmark measured it."""

    run: int
    records: int
    added: int
    removed: int
    changed: int
    update_s: float
    update_cpu_s: float
    store_bytes: int
    snapshots_bytes: int  # every weekly records.jsonl so far, had they all been kept


def quiet(_: str) -> None:
    """The history's progress lines, unwanted: a hundred runs would drown the summary."""


def add_runs(runs_dir: Path, projects: int, runs: int, keep_folders: bool) -> list[Run]:
    """Write and add ``runs`` weekly runs of a changing world; the measured series."""
    world = World(projects)
    series: list[Run] = []
    snapshots = 0
    for number in range(1, runs + 1):
        if number > 1:
            world.next_edition()
        folder = write_run(runs_dir, FIRST_RUN + timedelta(weeks=number - 1), world.truth(BASE)["records"])
        snapshots += (folder / RECORDS).stat().st_size
        started, cpu = time.perf_counter(), time.process_time()
        done = history.update(runs_dir, with_parquet=False, tell=quiet)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        if done.added != [folder.name]:
            raise RuntimeError(f"run {number}: the update added {done.added}, left {done.left}")
        series.append(Run(number, *last_run_counts(runs_dir), round(seconds, 3), round(cpu_seconds, 3),
                          history.history_path(runs_dir).stat().st_size, snapshots))  # fmt: skip
        if not keep_folders:  # the newest stays: new_run numbers a folder after the folders it finds
            folders.prune(runs_dir, keep=1, protect={folder})
        if number == 1 or number % 10 == 0:
            r = series[-1]
            print(f"  run {number}: {r.records} records, {r.added}+ {r.removed}- {r.changed}~, update {r.update_s}s"
                  f" (CPU {r.update_cpu_s}s), store {r.store_bytes / 1e6:.1f} MB, snapshots {snapshots / 1e6:.0f} MB")  # fmt: skip
    return series


def last_run_counts(runs_dir: Path) -> tuple[int, int, int, int]:
    """Records, added, removed, changed of the run the store added last."""
    with closing(sqlite3.connect(history.history_path(runs_dir))) as db:
        row = db.execute("SELECT records, added, removed, changed FROM runs ORDER BY run_no DESC LIMIT 1").fetchone()
    return tuple(row)


def store_digest(path: Path) -> str:
    """SHA-256 of a store's content (the tables ``rebuild`` must give again), streamed
    table by table rather than held whole as ``store.dump`` does."""
    digest = hashlib.sha256()
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        for table in HISTORY_TABLES:
            digest.update(table.name.encode())
            for row in rows_of(db, table):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def table_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {
            name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in ("runs", "versions", "changes", "field_changes")
        }


def bytes_by_table(path: Path) -> dict[str, int]:
    """Where the store's bytes are: each table with its indexes (SQLite's ``dbstat``),
    largest first, and the free pages (``freelist``) that updates left for reuse."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT s.tbl_name, sum(d.pgsize) FROM dbstat d JOIN sqlite_schema s ON s.name = d.name "
            "GROUP BY s.tbl_name ORDER BY 2 DESC"
        ).fetchall()
        free = db.execute("PRAGMA freelist_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
    return {**dict(rows), "freelist": free}


def at_the_end(runs_dir: Path) -> dict[str, Any]:
    """One Parquet write and one rebuild, timed; the rebuild checked against the store."""
    store = history.history_path(runs_dir)
    started = time.perf_counter()
    directory = parquet.write(store, runs_dir / "history-bench-parquet")
    parquet_s = time.perf_counter() - started
    parquet_bytes = sum(f.stat().st_size for f in directory.iterdir())
    before = store_digest(store)
    started = time.perf_counter()
    done = history.rebuild(runs_dir, with_parquet=False, tell=quiet)
    rebuild_s = time.perf_counter() - started
    return {
        "rows": table_counts(store),
        "store_bytes_by_table": bytes_by_table(store),
        "parquet_seconds": round(parquet_s, 2),
        "parquet_bytes": parquet_bytes,
        "rebuild_seconds": round(rebuild_s, 2),
        "rebuild_runs_from_folders": len(done.added),
        "rebuild_runs_replayed_from_old_store": len(done.replayed),
        "rebuild_gives_the_same_store": store_digest(store) == before,
    }


def median_update(series: list[Run], first: int, last: int, what: str = "update_s") -> float:
    return round(statistics.median(getattr(r, what) for r in series if first <= r.run <= last), 3)


def cpu_slope(series: list[Run]) -> float | None:
    """The least-squares slope of an update's CPU seconds against the run's number, in ms per run."""
    if len(series) < 2:
        return None
    fit = statistics.linear_regression([r.run for r in series], [r.update_cpu_s for r in series])
    return round(1000 * fit.slope, 3)


def figures(series: list[Run], end: dict[str, Any]) -> dict[str, Any]:
    """What the series says: update times, early against late, sizes, bytes per change."""
    runs = len(series)
    early = (2, min(runs, WINDOW))  # the first run adds everything: not a weekly update
    late = (max(2, runs - WINDOW), runs)  # 90..100 for 100 runs
    first, final = series[0], series[-1]
    new_versions = sum(r.added + r.changed for r in series[1:])
    grown = final.store_bytes - first.store_bytes
    times = [r.update_s for r in series]
    return {
        "update_seconds": {"first": first.update_s, "median": round(statistics.median(times), 3), "max": max(times)},
        "update_cpu_seconds_median": round(statistics.median(r.update_cpu_s for r in series), 3),
        "scaling": {
            "early_runs": list(early),
            "late_runs": list(late),
            "early_median_update_s": median_update(series, *early),
            "late_median_update_s": median_update(series, *late),
            "early_median_update_cpu_s": median_update(series, *early, what="update_cpu_s"),
            "late_median_update_cpu_s": median_update(series, *late, what="update_cpu_s"),
            # over every weekly run, less noisy than two windows: ~0 when the cost does not grow with the runs
            "update_cpu_ms_per_run_slope": cpu_slope(series[1:]),
        },
        "store_bytes": final.store_bytes,
        "store_bytes_after_first_run": first.store_bytes,
        "snapshots_bytes": final.snapshots_bytes,
        "snapshots_over_store": round(final.snapshots_bytes / final.store_bytes, 2),
        "new_versions_after_first_run": new_versions,
        "store_bytes_per_new_version": round(grown / new_versions) if new_versions else None,
        "parquet_bytes": end["parquet_bytes"],
    }


def summary(result: dict[str, Any]) -> str:
    f, s, end = result["figures"], result["figures"]["scaling"], result["end"]
    return "\n".join([
        f"{result['runs']} weekly runs of {result['projects']} projects: update {f['update_seconds']['median']}s "
        f"median (first {f['update_seconds']['first']}s, max {f['update_seconds']['max']}s; goal < "
        f"{GOAL_UPDATE_SECONDS:.0f}s: {'met' if result['met'] else 'MISSED'})",
        f"scaling: runs {s['early_runs'][0]}-{s['early_runs'][1]} {s['early_median_update_s']}s (CPU "
        f"{s['early_median_update_cpu_s']}s), runs {s['late_runs'][0]}-{s['late_runs'][1]} {s['late_median_update_s']}s "
        f"(CPU {s['late_median_update_cpu_s']}s); CPU trend {s['update_cpu_ms_per_run_slope']} ms per run",
        f"store {f['store_bytes'] / 1e6:.1f} MB against {f['snapshots_bytes'] / 1e6:.0f} MB of weekly snapshots "
        f"({f['snapshots_over_store']}x); {f['store_bytes_per_new_version']} bytes per new version "
        f"({f['new_versions_after_first_run']} after the first run)",
        f"bytes by table: {end['store_bytes_by_table']}",
        f"rows: {end['rows']}; Parquet {end['parquet_bytes'] / 1e6:.1f} MB in {end['parquet_seconds']}s; rebuild "
        f"{end['rebuild_seconds']}s ({end['rebuild_runs_from_folders']} runs from folders, "
        f"{end['rebuild_runs_replayed_from_old_store']} replayed from the old store; same store: "
        f"{end['rebuild_gives_the_same_store']})",
    ])  # fmt: skip


def bench(projects: int, runs: int, keep_folders: bool) -> dict[str, Any]:
    """The whole benchmark in a temporary runs folder; its result."""
    with tempfile.TemporaryDirectory(prefix="atlas-history-bench-") as tmp:
        runs_dir = Path(tmp) / "runs"
        started = time.perf_counter()
        series = add_runs(runs_dir, projects, runs, keep_folders)
        total = time.perf_counter() - started
        end = at_the_end(runs_dir)
    result: dict[str, Any] = {
        "projects": projects,
        "runs": runs,
        "keep_folders": keep_folders,
        "figures": figures(series, end),
        "end": end,
        "seconds_whole_benchmark_loop": round(total, 1),
    }
    result["met"] = (
        result["figures"]["update_seconds"]["max"] < GOAL_UPDATE_SECONDS and end["rebuild_gives_the_same_store"]
    )
    result |= {
        "goal_update_seconds": GOAL_UPDATE_SECONDS,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
        },
        "code": code_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "series": [vars(r) for r in series],  # every run: a hundred short rows
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--keep-folders", action="store_true", help="keep every run folder (no retention)")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "docs" / "history_benchmark.json")
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error("--runs: at least 2 (the first run adds everything; the others are what is measured)")
    result = bench(args.projects, args.runs, args.keep_folders)
    print(summary(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.json}")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
