"""Browse a crawl's tables in Datasette on http://127.0.0.1:PORT/ (``make serve``).

``python -m atlas_crawler.serve [RUN_FOLDER | RECORDS.jsonl | SQLITE] [--port N] [--dir DIR]``

Without a source: the latest run (``output/runs/latest``), else ``output/atlas.jsonl``,
else the demo's ``output/demo/atlas.jsonl``. The tables are exported (or the SQLite
file copied) into a folder of the server's own, never into the run folder, and
served on 127.0.0.1 only. Ctrl-C stops it. docs/BROWSING.md."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from datasette.cli import cli

from atlas_crawler import helptext
from atlas_crawler.output.export import ExportError
from atlas_crawler.serve.build import build, default_source
from atlas_crawler.serve.metadata import metadata

HOST = "127.0.0.1"  # never on the network: the data holds people's names and e-mail addresses
#: Datasette settings beyond its defaults.
SETTINGS = {
    "facet_time_limit_ms": "2000",  # five facets on 20,000 projects take longer than the 200 ms default
    "sql_time_limit_ms": "5000",  # the canned queries group every funding line (default 1000 ms)
    "max_returned_rows": "5000",  # one region's collectivities in one page (default 1000)
}


def datasette_args(database: Path, metadata_file: Path, port: int) -> list[str]:
    args = ["serve", "-i", str(database), "--metadata", str(metadata_file), "--host", HOST, "--port", str(port)]
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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="atlas-serve-") as scratch:
        directory = args.dir or Path(scratch)
        try:
            source = args.source or default_source()
            database = build(source, directory)
        except (OSError, ValueError, ExportError) as error:
            print(f"serve failed: {error}", file=sys.stderr)
            return 1
        metadata_file = directory / "metadata.json"
        metadata_file.write_text(json.dumps(metadata(database), ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"serving {source} on http://{HOST}:{args.port}/ (Ctrl-C stops it)", flush=True)
        cli.main(args=datasette_args(database, metadata_file, args.port), prog_name="datasette", standalone_mode=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
