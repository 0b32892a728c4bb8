"""Keep the history of every run: every version of every record, the runs, the changes.

``python -m atlas_crawler.history [RUNS_DIR] [--rebuild] [--no-parquet]``

Reads the run folders of RUNS_DIR (default: ATLAS_RUNS_DIR, else output/runs) and adds
the runs the history has not seen to RUNS_DIR/history.sqlite, then writes the Parquet
files RUNS_DIR/history/<table>.parquet. Safe to run after every crawl, or at any time:
a run still being written is left for the next time. With --rebuild the store is made
anew from the run folders (a run whose folder was deleted is kept as the old store holds
it) and put in place of the old one: the same folders give the same store.

A record the run could not see (its page failed, or the run did not walk the whole
atlas) is not ended by that run; only a run that saw the whole atlas removes a record.

Exit status: 0 done; 1 some run's records could not be read (named; the run is kept
without them), or the Parquet files could not be written (the store is up to date); 2
the history could not be updated (another process is updating it, or the store is not
one this version can update: the message says what to do).
docs/HISTORY.md."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from atlas_crawler import helptext
from atlas_crawler.files import default_runs_dir
from atlas_crawler.history.build import rebuild, update
from atlas_crawler.history.store import HistoryError


def main(argv: list[str] | None = None) -> int:
    parser = helptext.parser("python -m atlas_crawler.history", __doc__)
    parser.add_argument(
        "runs_dir",
        type=Path,
        nargs="?",
        default=default_runs_dir(),
        help="the folder of the run folders (default: ATLAS_RUNS_DIR, else output/runs)",
    )
    parser.add_argument("--rebuild", action="store_true", help="make the store anew from the run folders")
    parser.add_argument("--no-parquet", action="store_true", help="do not write the Parquet files")
    args = parser.parse_args(argv)
    if not args.runs_dir.is_dir():
        print(f"history: no run folders at {args.runs_dir}", file=sys.stderr)
        return 2
    build = rebuild if args.rebuild else update
    try:
        done = build(args.runs_dir, with_parquet=not args.no_parquet, tell=print)
    except (HistoryError, sqlite3.Error, OSError) as error:
        print(f"history: not updated: {error}", file=sys.stderr)
        return 2
    print(
        f"history: {done.store}: {len(done.added)} run(s) added"
        + (f", {len(done.replayed)} kept from the old store" if done.replayed else "")
        + (f", {len(done.left)} left out" if done.left else "")
    )
    for why in done.unreadable:
        print(f"history: records not read: {why}", file=sys.stderr)
    if done.parquet_error:
        print(f"history: {done.parquet_error}", file=sys.stderr)
    return 1 if done.unreadable or done.parquet_error else 0


if __name__ == "__main__":
    sys.exit(main())
