"""``make bench``, the export: the 20,000-project benchmark atlas (the replica's
ground truth, the records a complete crawl of it writes) exported from its JSON
Lines file to CSV, Parquet and SQLite, each format timed on its own as
``python -m atlas_crawler.export`` runs it (read, build the tables, write them and
``datapackage.json``), best of ``--rounds``, then the three in one export (as
``ATLAS_EXPORT = ["csv", "parquet", "sqlite"]`` does it). Goal: that export under 30 s.

Results: printed, and ``docs/export_benchmark.json``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from atlas_crawler.output.export import FORMATS, export_file
from atlas_crawler.replica.localrun import PROJECT_ROOT
from atlas_crawler.replica.world import World

GOAL_SECONDS = 30.0
BASE = "http://127.0.0.1:8765/cncdext/dyn/public/atlas/"


def write_records(path: Path, projects: int) -> dict[str, int]:
    """The world's records as a crawl writes them (``crawled_at`` included)."""
    records = World(projects=projects).truth(BASE)["records"]
    counts: dict[str, int] = {}
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            record = {**record, "crawled_at": "2026-11-26T04:19:58Z"}  # noqa: PLW2901 (a copy, with the time)
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            counts[record["type"]] = counts.get(record["type"], 0) + 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atlas-export-bench-") as tmp:
        records = Path(tmp) / "atlas.jsonl"
        started = time.perf_counter()
        counts = write_records(records, args.projects)
        build = time.perf_counter() - started
        print(f"{args.projects} projects: {counts} in {records.stat().st_size / 1e6:.0f} MB, built in {build:.1f}s")
        seconds: dict[str, float] = {}
        cpu_seconds: dict[str, float] = {}
        rows: dict[str, int] = {}
        for fmt in FORMATS:
            times, cpu_times = [], []
            for _ in range(args.rounds):
                started, cpu = time.perf_counter(), time.process_time()
                [done] = export_file(records, [fmt], Path(tmp) / fmt)
                times.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu)
            seconds[fmt], cpu_seconds[fmt] = round(min(times), 2), round(min(cpu_times), 2)
            rows = done.rows
            size = sum(f.stat().st_size for f in done.files) / 1e6
            print(f"  {fmt:8} {seconds[fmt]:6.2f}s  (CPU {cpu_seconds[fmt]:.2f}s, {size:.0f} MB)")
        started, cpu = time.perf_counter(), time.process_time()
        export_file(records, list(FORMATS), Path(tmp) / "all")
        together = round(time.perf_counter() - started, 2)
        together_cpu = round(time.process_time() - cpu, 2)
    total = round(sum(seconds.values()), 2)
    result: dict[str, Any] = {
        "projects": args.projects,
        "records": counts,
        "rows": rows,
        "seconds": seconds,
        "seconds_three_formats_one_by_one": total,
        "seconds_three_formats_in_one_export": together,
        "cpu_seconds": cpu_seconds,
        "cpu_seconds_three_formats_in_one_export": together_cpu,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "goal_seconds": GOAL_SECONDS,
        "met": together < GOAL_SECONDS,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
    }
    print(
        f"export of {args.projects} projects to the three formats: {together}s in one export (CPU {together_cpu}s; "
        f"goal < {GOAL_SECONDS:.0f}s: {'met' if result['met'] else 'MISSED'}), {total}s one format at a time; "
        f"peak RSS {result['peak_rss_mb']} MB, load average {result['load_average_1min']}"
    )
    out = PROJECT_ROOT / "docs" / "export_benchmark.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out.relative_to(PROJECT_ROOT)}")
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
