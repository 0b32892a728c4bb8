"""``python -m atlas_crawler.verify DIR``: check an archival dump against its
manifest (every file's size and SHA-256, no file missing or added, every WARC
record whole with right digests, record counts, the record-to-capture map, the
CDXJ index and the WACZ package, all recomputed).

Exit status: 0 verified; 1 a mismatch (each line names its file); 2 usage;
3 incomplete (no manifest: the crawl was killed or has not ended), with the last
complete record it can be read up to."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from atlas_crawler.archive.verify import INCOMPLETE, MISMATCH, VERIFIED, verify

EXIT = {VERIFIED: 0, MISMATCH: 1, INCOMPLETE: 3}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m atlas_crawler.verify", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path, help="the dump directory (ATLAS_ARCHIVE_DIR of the crawl)")
    args = parser.parse_args(argv)
    verdict = verify(args.directory)
    print(f"{verdict.status}: {args.directory}")
    for note in verdict.notes:
        print(f"  {note}")
    for problem in verdict.problems:
        print(f"  {problem}")
    return EXIT[verdict.status]


if __name__ == "__main__":
    sys.exit(main())
