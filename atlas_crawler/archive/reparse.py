"""``python -m atlas_crawler.reparse DIR-or-WARC… -O out.jsonl``: rebuild the
records from an archival dump (or bare WARC files) without asking the site again,
through the same page types, parsers, table-page merge and pipelines as a crawl.

Uses every core (``--processes``), shows its progress on stderr, and writes its
report beside the output (``out.report.json``): records per type, field coverage,
unreadable values, the pages that gave no record and why, the doubts (the doubted
records themselves in ``out.doubts.jsonl``, as a crawl writes them). ``crawled_at``
is the ``WARC-Date`` of each page's response."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from atlas_crawler import helptext
from atlas_crawler.archive.layout import WARC_SUFFIX, warc_files
from atlas_crawler.archive.offline import OfflinePipelines
from atlas_crawler.archive.workers import Index, reparse, workers
from atlas_crawler.files import DOUBTS, REPORT, beside
from atlas_crawler.output.feeds import JsonLinesExporter
from atlas_crawler.run.doubts import report_section, write_doubts
from atlas_crawler.run.report.build import unreadable
from atlas_crawler.run.state import judged_doubts, run_state


def inputs(paths: list[Path]) -> list[Path]:
    """WARC files: a dump directory's (in order), or the files given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += warc_files(path) or sorted(path.glob(f"*{WARC_SUFFIX}"))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    if not found:
        raise FileNotFoundError(f"no WARC files in {', '.join(map(str, paths))}")
    return found


class ReparseProgress:
    """The re-parse's progress on stderr, every ``every`` pages: done, share, records, speed
    (a crawl's progress line is ``atlas_crawler.run.progress``)."""

    def __init__(self, total: int, every: int = 2000, stream: IO[str] = sys.stderr) -> None:
        self.total, self.every, self.stream = total, every, stream
        self.start = time.perf_counter()
        self.done = self.shown = 0

    def update(self, pages: int, records: int) -> None:
        self.done += pages
        if self.done - self.shown >= self.every or self.done == self.total:
            self.shown = self.done
            rate = self.done / max(time.perf_counter() - self.start, 1e-9)
            share = 100 * self.done / max(self.total, 1)
            print(
                f"reparse: {self.done}/{self.total} pages ({share:.0f} %), {records} records, {rate:.0f} pages/s",
                file=self.stream,
                flush=True,
            )


def run(sources: list[Path], output: Path, processes: int) -> dict[str, Any]:
    started = datetime.now(UTC)
    clock = time.perf_counter()
    pipelines = OfflinePipelines()
    state = run_state(pipelines.crawler)  # type: ignore[arg-type]
    counts: Counter[str] = Counter()
    failed: list[dict[str, Any]] = []
    index: Index | None = None
    progress: ReparseProgress | None = None
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("wb") as out:
        exporter = JsonLinesExporter(out)
        exporter.start_exporting()
        for kind, value in reparse(sources, processes):
            if kind == "index":
                index = value
                progress = ReparseProgress(len(index.order))
                print(f"reparse: {len(index.files)} WARC files, {len(index.order)} pages", file=sys.stderr, flush=True)
                continue
            counts.update(value.counts)
            failed += value.failed
            for item, _page in value.items:
                kept = pipelines.process(item)
                if kept is not None:
                    exporter.export_item(kept)
            assert progress is not None
            progress.update(value.pages, len(state.written))
        exporter.finish_exporting()
    pipelines.close()
    judged = judged_doubts(pipelines.crawler)  # type: ignore[arg-type]
    doubts_file = beside(output, DOUBTS)
    write_doubts(doubts_file, judged)
    assert index is not None
    seconds = time.perf_counter() - clock
    responses = sum(len(a) for a in index.answers.values())
    stats = pipelines.crawler.stats.get_stats()
    return {
        "sources": [str(p) for p in sources],
        "output": str(output),
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_seconds": round(seconds, 2),
        "processes": processes,
        "warc": {
            "files": len(index.files),
            "records": index.records,
            "responses": responses,
            "pages": len(index.order),
            "truncated_files": index.truncated,
        },
        "responses_per_second": round(responses / max(seconds, 1e-9), 1),
        "records": state.records_by_type(),
        "counts": dict(sorted(counts.items())),
        "pipelines": {"stats": stats, "invalid_records": state.rejected},
        "pages_without_records": failed,
        "field_coverage": state.coverage(),
        "unreadable": unreadable(state, stats),
        "doubts": report_section(judged, doubts_file),
    }


def main(argv: list[str] | None = None) -> int:
    parser = helptext.parser("python -m atlas_crawler.reparse", __doc__)
    parser.add_argument("sources", nargs="+", type=Path, help="a dump directory, or WARC files")
    parser.add_argument("-O", "--output", required=True, type=Path, help="the JSON Lines file to write (overwritten)")
    parser.add_argument("--report", type=Path, help="default: <output name>.report.json beside the output")
    parser.add_argument("--processes", type=int, default=workers(), help="worker processes (default: every core)")
    args = parser.parse_args(argv)
    try:
        sources = inputs(args.sources)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = run(sources, args.output, max(1, args.processes))
    path = args.report or beside(args.output, REPORT)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"reparse: {sum(report['records'].values())} records {report['records']} in {report['duration_seconds']} s "
        f"({report['doubts']['records']} doubted) -> {args.output}; report {path}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
