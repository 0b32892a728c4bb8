"""The floor of a re-parse (``benchmarks/archive_bench.py``): read every response
record of a dump's WARC files (warcio, the body decoded from its transfer and content
encodings, as the re-parse reads it) and build an lxml tree of every HTML body; nothing
else. One process; prints its counts and its own CPU and wall time as JSON.

    .venv/bin/python benchmarks/warc_floor.py DUMP-DIR-or-WARC…
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lxml import html
from warcio.archiveiterator import ArchiveIterator


def warc_paths(sources: list[Path]) -> list[Path]:
    """A dump directory's WARC files (``warc/``, in order), or the files given: as the re-parse takes them."""
    found: list[Path] = []
    for source in sources:
        if source.is_dir():
            found += sorted((source / "warc").glob("*.warc.gz")) or sorted(source.glob("*.warc.gz"))
        else:
            found.append(source)
    return found


def floor(paths: list[Path]) -> dict[str, float | int]:
    wall, cpu = time.perf_counter(), time.process_time()
    responses = parsed = size = 0
    for path in paths:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response":
                    continue
                responses += 1
                body = record.content_stream().read()
                size += len(body)
                kind = record.http_headers.get_header("Content-Type", "") if record.http_headers else ""
                if body.strip() and "html" in kind.lower():
                    html.fromstring(body)
                    parsed += 1
    return {
        "files": len(paths),
        "responses": responses,
        "parsed": parsed,
        "body_mb": round(size / 2**20, 1),
        "inner_cpu_s": round(time.process_time() - cpu, 2),
        "inner_wall_s": round(time.perf_counter() - wall, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="+", type=Path, help="a dump directory, or WARC files")
    paths = warc_paths(parser.parse_args().sources)
    if not paths:
        print("no WARC files", file=sys.stderr)
        return 2
    print(json.dumps(floor(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
