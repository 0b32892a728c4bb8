"""Browse a crawl's tables in Datasette on http://127.0.0.1:PORT/ (``make serve``).

``python -m atlas_crawler.serve [RUN_FOLDER | RECORDS.jsonl | SQLITE] [--port N] [--dir DIR]
[--history HISTORY.sqlite | --no-history]``

Without a source: the latest run (``output/runs/latest``), else ``output/atlas.jsonl``,
else the demo's ``output/demo/atlas.jsonl``. The tables are exported (or the SQLite
file copied) into a folder of the server's own, never into the run folder, and
served on 127.0.0.1 only. The history of the runs (``history.sqlite`` beside the run
folders, when there is one) is copied there too and served as a second database,
``/history``. Ctrl-C stops it. docs/BROWSING.md."""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path

from datasette.cli import cli

from atlas_crawler import helptext
from atlas_crawler.output.export import ExportError
from atlas_crawler.serve.build import build, default_source
from atlas_crawler.serve.history import copy_history, default_history, history_metadata
from atlas_crawler.serve.metadata import metadata

HOST = "127.0.0.1"  # never on the network: the data holds people's names and e-mail addresses
#: Datasette settings beyond its defaults.
SETTINGS = {
    "facet_time_limit_ms": "2000",  # five facets on 20,000 projects take longer than the 200 ms default
    "sql_time_limit_ms": "5000",  # the canned queries group every funding line (default 1000 ms)
    "max_returned_rows": "5000",  # one region's collectivities in one page (default 1000)
}


def datasette_args(database: Path, metadata_file: Path, port: int, history: Path | None = None) -> list[str]:
    args = ["serve", "-i", str(database)]
    if history is not None:
        args += ["-i", str(history)]
    args += ["--metadata", str(metadata_file), "--host", HOST, "--port", str(port)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, value]
    return args


def main(argv: list[str] | None = None) -> int:
    parser = helptext.parser("python -m atlas_crawler.serve", __doc__)
    parser.add_argument(
        "source",
        type=Path,
        nargs="?",
        help="a run folder, a records file or an exported atlas.sqlite (default: latest)",
    )
    parser.add_argument("--port", type=int, default=8001, help="the port on 127.0.0.1 (default 8001)")
    parser.add_argument("--dir", type=Path, help="build the served database here (default: a temporary folder)")
    history = parser.add_mutually_exclusive_group()
    history.add_argument(
        "--history",
        type=Path,
        help="the history to serve as /history (default: the history.sqlite beside the source's run folders, if any)",
    )
    history.add_argument("--no-history", action="store_true", help="serve the atlas alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="atlas-serve-") as scratch:
        directory = args.dir or Path(scratch)
        try:
            source = args.source or default_source()
            database = build(source, directory)
            store = None if args.no_history else args.history or default_history(source)
            if store is not None and not store.is_file():
                raise FileNotFoundError(f"no history at {store}")
        except (OSError, ValueError, ExportError, sqlite3.Error) as error:
            print(f"serve failed: {error}", file=sys.stderr)
            return 1
        try:
            served_history = None if store is None else copy_history(store, directory)
        except (OSError, ValueError, sqlite3.Error) as error:
            if args.history:  # named on the command line: not served is a failure
                print(f"serve failed: {error}", file=sys.stderr)
                return 1
            print(f"serving the atlas without its history: {store}: {error}", file=sys.stderr)
            served_history = None
        spec = metadata(database)
        if served_history is not None:
            spec["databases"][served_history.stem] = history_metadata(served_history)
        metadata_file = directory / "metadata.json"
        metadata_file.write_text(json.dumps(spec, ensure_ascii=False, indent=2), encoding="utf-8")
        also = f" and the history {store}" if served_history else ""
        print(f"serving {source}{also} on http://{HOST}:{args.port}/ (Ctrl-C stops it)", flush=True)
        cli.main(
            args=datasette_args(database, metadata_file, args.port, served_history),
            prog_name="datasette",
            standalone_mode=False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
