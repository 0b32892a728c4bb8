"""``python -m atlas_crawler.export RECORDS.jsonl|RUN_DIR --to csv|parquet|sqlite [--out DIR] [--excel]``"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from atlas_crawler.output.export import FORMATS, ExportError, export_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m atlas_crawler.export",
        description="Write the records of a crawl as flat tables (one per entity) with a datapackage.json.",
    )
    parser.add_argument("records", type=Path, help="a JSON Lines records file, or a run folder holding one")
    parser.add_argument(
        "--to",
        action="append",
        required=True,
        help=f"{', '.join(FORMATS)}; repeat it or separate with commas for several",
    )
    parser.add_argument(
        "--out", type=Path, help="output folder (several formats: one sub-folder each); default <records>.tables/<fmt>"
    )
    parser.add_argument("--excel", action="store_true", help="CSV for Excel: UTF-8 BOM, ';' and decimal comma")
    args = parser.parse_args(argv)
    formats = list(dict.fromkeys(f.strip() for value in args.to for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        parser.error(f"unknown format {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    started = time.perf_counter()
    try:
        done = export_file(args.records, formats, args.out, args.excel)
    except (OSError, ValueError, ExportError) as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    for result in done:
        counts = ", ".join(f"{name} {n}" for name, n in result.rows.items())
        print(f"{result.format}: {result.directory}  ({counts})")
    print(f"done in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
