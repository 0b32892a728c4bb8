"""``make demo``: start a local replica of the atlas with its faults on (500s, 503 with
Retry-After, soft error pages, slow pages, one project in 97 that always fails), crawl it
completely with the real spider, write ``output/demo/atlas.jsonl`` with its report,
doubts and log, stop the replica, and show what the crawl found.

Each demo starts a fresh log; the previous demo's is kept as ``atlas.log.1``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from atlas_crawler import files, helptext
from atlas_crawler.files import beside, report_view
from atlas_crawler.outcome import EXIT_COMPLETE, EXIT_INCOMPLETE
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, replica

OUTPUT = PROJECT_ROOT / "output" / "demo" / "atlas.jsonl"


def fresh_log(path: Path) -> Path:
    """``path`` ready for a new run's log: the previous run's log moved to ``<name>.1``
    (over an older one), so that two demos never pile into one file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.replace(path.with_name(f"{path.name}.1"))
    return path


def shown(path: Path) -> Path:
    """``path`` as the user reads it: relative to the project when inside it."""
    return path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path


def main(argv: list[str] | None = None) -> int:
    parser = helptext.parser("python -m atlas_crawler.replica.demo", __doc__)
    parser.add_argument("--projects", type=int, default=300, help="size of the replica (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="the replica's seed (default 1)")
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help=f"the records file (default {shown(OUTPUT)}; overwritten)"
    )
    args = parser.parse_args(argv)
    output: Path = args.output.resolve()
    report_file = beside(output, files.REPORT)
    log = fresh_log(output.with_suffix(".log"))
    print(f"starting a replica of the atlas ({args.projects} projects, faults on)...", flush=True)
    with replica(projects=args.projects, seed=args.seed, faults=True) as base:
        print(f"crawling {base} with the atlas spider...", flush=True)
        # LOG_FILE_APPEND off as well: Scrapy's default appends to an existing LOG_FILE.
        settings = {"LOG_LEVEL": "INFO", "LOG_FILE": str(log), "LOG_FILE_APPEND": "False"}
        result = crawl(base, output, settings=settings)
    # The replica makes a few projects fail for good on purpose: the run says so in its
    # outcome (exit 0 or 1, see the report). Anything else is a real failure.
    if result.returncode not in (EXIT_COMPLETE, EXIT_INCOMPLETE):
        print(result.stdout, file=sys.stderr)
        print(f"the crawl failed (exit {result.returncode})", file=sys.stderr)
        return result.returncode
    records = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    report = json.loads(report_file.read_text("utf-8"))
    kinds = Counter(r["type"] if r["type"] == "project" else f"{r['kind']} collectivity" for r in records)
    print(f"\nrecords:  {shown(output)}  ({len(records)} lines: {dict(kinds)})")
    print(f"report:   {shown(report_file)}  (to look at: {shown(report_view(report_file))})")
    print(f"log:      {shown(log)}")
    doubts = report["doubts"]
    doubts_file = shown(Path(doubts["file"]).resolve())
    print(f"doubts:   {doubts_file}  ({doubts['records']} records the parser could not wholly explain)")
    print(
        f"finish reason {report['finish_reason']}, {report['pages_fetched']} pages, "
        f"{report['redundant_fetches']} fetched twice, {report['retries']} retries, "
        f"{report['duration_seconds']}s"
    )
    lists = report["lists"]
    print(f"lists whose announced count matches what was written: {lists['complete']}/{lists['checked']}")
    failed = [name for name, m in report["monitors"].items() if not m["passed"]]
    print(f"Spidermon monitors: {len(report['monitors']) - len(failed)} passed, failed: {', '.join(failed) or 'none'}")
    for failure in report["failures"]:
        print(f"failed after retries: {failure['url']}  ({failure['reason']})")
    print(f"exit status {result.returncode}: {report['outcome']['meaning']} (the replica fails a few pages on purpose)")
    print("\nfirst project record:")
    print(json.dumps(next(r for r in records if r["type"] == "project"), ensure_ascii=False, indent=2)[:1500], "…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
