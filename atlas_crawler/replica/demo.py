"""``make demo``: start a replica with faults on, crawl it completely with the
real spider, write ``output/demo/atlas.jsonl`` and its report, stop the replica."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from atlas_crawler import files
from atlas_crawler.files import beside, report_view
from atlas_crawler.outcome import EXIT_COMPLETE, EXIT_INCOMPLETE
from atlas_crawler.replica.localrun import PROJECT_ROOT, crawl, replica

OUTPUT = PROJECT_ROOT / "output" / "demo" / "atlas.jsonl"
REPORT = beside(OUTPUT, files.REPORT)


def main() -> int:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    print("starting a replica of the atlas (300 projects, faults on)...", flush=True)
    with replica(projects=300, faults=True) as base:
        print(f"crawling {base} with the atlas spider...", flush=True)
        result = crawl(base, OUTPUT, settings={"LOG_LEVEL": "INFO", "LOG_FILE": str(OUTPUT.with_suffix(".log"))})
    # The replica makes a few projects fail for good on purpose: the run is then
    # "incomplete" (exit 1), and says so. Anything else is a real failure.
    if result.returncode not in (EXIT_COMPLETE, EXIT_INCOMPLETE):
        print(result.stdout, file=sys.stderr)
        print(f"the crawl failed (exit {result.returncode})", file=sys.stderr)
        return result.returncode
    records = [json.loads(line) for line in OUTPUT.read_text("utf-8").splitlines()]
    report = json.loads(REPORT.read_text("utf-8"))
    kinds = Counter(r["type"] if r["type"] == "project" else f"{r['kind']} collectivity" for r in records)
    print(f"\nrecords:  {OUTPUT.relative_to(PROJECT_ROOT)}  ({len(records)} lines: {dict(kinds)})")
    view = report_view(REPORT).relative_to(PROJECT_ROOT)
    print(f"report:   {REPORT.relative_to(PROJECT_ROOT)}  (to look at: {view})")
    print(f"log:      {OUTPUT.with_suffix('.log').relative_to(PROJECT_ROOT)}")
    doubts = report["doubts"]
    doubts_file = Path(doubts["file"]).resolve().relative_to(PROJECT_ROOT)
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
