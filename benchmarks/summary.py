"""``make bench``'s figures in one place: ``docs/benchmarks.json`` (written by
``benchmarks/run.py``, its ``reparse`` part by ``benchmarks/archive_bench.py``),
rendered to ``docs/BENCHMARKS.md`` and summed up in a few lines.

    .venv/bin/python benchmarks/summary.py            # print the short summary
    .venv/bin/python benchmarks/summary.py --render   # and write docs/BENCHMARKS.md again
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
JSON = DOCS / "benchmarks.json"
#: Written by ``benchmarks/history_bench.py``; rendered here into its section.
HISTORY_JSON = DOCS / "history_benchmark.json"
#: ``throughput_ratio``: atlas as shipped over plain Scrapy (``benchmarks/plain_spider.py``), pages/s.
#: ``reparse_wall_s``: re-parse of the dump of a 20,000-project crawl on this 2-core machine.
GOALS = {
    "throughput_ratio": 0.80,
    "parser_ratio": 3.0,
    "peak_rss_mb": 250,
    "redundant": 0,
    "time_ratio": 4.4,
    "reparse_wall_s": 60.0,
    "reparse_projects": 20000,
}


def code_version() -> str | None:
    """The commit measured, and whether ``atlas_crawler/`` differs from it (None outside a git checkout)."""
    try:
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "atlas_crawler"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + (" with uncommitted changes in atlas_crawler/" if dirty.stdout.strip() else "")


def load(path: Path = JSON) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def write(results: dict[str, Any]) -> None:
    """``docs/benchmarks.json`` and ``docs/BENCHMARKS.md``."""
    DOCS.mkdir(exist_ok=True)
    JSON.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (DOCS / "BENCHMARKS.md").write_text(render(results), encoding="utf-8")


def spread(values: list[float], digits: int = 1) -> dict[str, float]:
    """min, median and max of a measured figure (rounds on a noisy machine)."""
    return {
        "min": round(min(values), digits),
        "median": round(statistics.median(values), digits),
        "max": round(max(values), digits),
    }


def fmt(s: dict[str, float], unit: str = "") -> str:
    return f"{s['median']}{unit} median (min {s['min']}, max {s['max']})"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


# --- the short summary ----------------------------------------------------------------------
def short_summary(results: dict[str, Any]) -> str:
    lines = ["", "=== make bench: summary ==="]
    s = results.get("summary", {})
    if "compare" in results:
        c = results["compare"]
        pairs = c["pairs"]
        pages = sorted({p["plain"]["pages"] for p in pairs} | {p["atlas"]["pages"] for p in pairs})
        lines += [
            f"crawl of a {c['projects']}-project replica, {len(pairs)} rounds alternating atlas / plain Scrapy "
            f"({'/'.join(map(str, pages))} pages per crawl{'' if s['same_pages'] else ', PAGES DIFFER'}):",
            f"  throughput atlas/plain (pages/s): {fmt(s['throughput_ratio'])}; goal >= "
            f"{GOALS['throughput_ratio']}: {'met' if s['throughput_ratio']['median'] >= GOALS['throughput_ratio'] else 'missed'}",
        ]
        lines.append(
            f"  CPU per page atlas/plain: {fmt(s['cpu_per_page_ratio'], 'x')} (steadier than wall-clock speed "
            "on a shared machine; a CPU-bound crawl's throughput ratio is about its inverse)"
        )
        for spider in ("atlas", "plain"):
            lines.append(
                f"  {spider:5s}: {fmt(s[spider]['pages_per_s'], ' pages/s')}; CPU {fmt(s[spider]['cpu_ms_per_page'], ' ms/page')}; "
                f"peak RSS {fmt(s[spider]['peak_rss_mb'], ' MB')}"
            )
    if "reparse" in results:
        lines += reparse_summary(results["reparse"])
    if results.get("carried_over"):
        lines.append(f"  (not re-measured in this run, kept from earlier runs: {', '.join(results['carried_over'])})")
    return "\n".join(lines)


def reparse_summary(r: dict[str, Any]) -> list[str]:
    s = r["summary"]
    goal = GOALS["reparse_wall_s"]
    at_size = r["projects"] == GOALS["reparse_projects"]
    lines = [
        f"re-parse of the dump of a {r['projects']}-project crawl ({s['responses']} responses, {r['processes']} processes, "
        f"{r['date']}), {len(r['rounds'])} rounds alternating with the floor:",
        f"  wall {fmt(s['wall_s'], ' s')}; CPU {fmt(s['cpu_ms_per_page'], ' ms/page')}; peak RSS {s['peak_rss_mb']} MB",
        f"  floor (read the WARC, build lxml trees; one process): CPU {fmt(s['floor_cpu_ms_per_page'], ' ms/page')}, "
        f"wall {fmt(s['floor_wall_s'], ' s')}",
    ]
    lines.append(f"  CPU budget for the goal on {r['processes']} cores, perfectly parallel: {cpu_budget(r)} ms/page")
    if at_size:
        lines.append(f"  goal <= {goal} s: {'met' if s['wall_s']['median'] <= goal else 'missed'}")
    else:
        lines.append(
            f"  goal <= {goal} s applies to {GOALS['reparse_projects']} projects; linear extrapolation of this run: "
            f"{s['wall_s_extrapolated']} s"
        )
    return lines


# --- docs/BENCHMARKS.md ---------------------------------------------------------------------
def render(results: dict[str, Any]) -> str:
    s = results["summary"]
    m = results["machine"]
    a = results["args"]
    c = results["compare"]
    carried = results.get("carried_over", {})
    ratio = s["throughput_ratio"]["median"]
    peak = s["atlas"]["peak_rss_mb"]["max"]
    if c["projects"] == 20000:
        peak_rss = f"{peak} MB | {verdict(peak <= GOALS['peak_rss_mb'])}"
    else:
        peak_rss = f"{peak} MB at {c['projects']} projects | not measured at size"
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `{('benchmarks/run.py ' + a['command']).strip()}` (the first part of `make bench`) on {m['date']}: {m['cpu']}, "
        f"{m['cores']} cores, {m['memory_gb']} GiB, Python {m['python']}, Scrapy {m['scrapy']}, {m['os']}. "
        f"Code: {m.get('code') or 'unknown'}. Load average (1, 5, 15 min) before: {m.get('load_before')}. "
        "Raw figures: `docs/benchmarks.json`.",
        "",
        "**The baseline is plain Scrapy.** `atlas` runs as the project ships it (its settings, middlewares,",
        "extensions, pipelines, feed exporter, run report and Spidermon monitors), with politeness off for the local",
        "replica only (`AUTOTHROTTLE_ENABLED=False DOWNLOAD_DELAY=0 CONCURRENT_REQUESTS=16",
        "CONCURRENT_REQUESTS_PER_DOMAIN=16`; robots.txt is still obeyed). The baseline, `plain`",
        "(`benchmarks/plain_spider.py`), is a minimal spider run with `scrapy runspider` from an empty temporary",
        "folder: no `scrapy.cfg`, no `SCRAPY_SETTINGS_MODULE`, the project not on the path, so none of the",
        "project's settings, middlewares, extensions or pipelines. It follows the same links (every atlas link,",
        "spelled as the atlas spider spells it, so each page once: the same pages, robots.txt aside) and writes a",
        "JSON Lines feed of trivially extracted items (type, id, URL, title, headings) for the same project and",
        "collectivity pages, so it pays for output too. Scrapy's defaults apply but for the figures passed",
        f"with `-s`: {', '.join(f'`{k}={v}`' for k, v in c['plain_settings'].items())} (the same concurrency and log",
        "level as `atlas`; no listening console). The ratio therefore shows what the whole project costs over the",
        "framework, where the earlier baseline (`baseline`, a link-only spider inside the project's settings)",
        "shared the project's middlewares and extensions and hid their cost. Rounds alternate between the two",
        "spiders on the same replica, on a shared 2-core machine whose speed varies: figures are given as median",
        "and min/max of the rounds, and the throughput ratio per pair.",
        "",
        "## Goals",
        "",
        "| goal | target | measured | |",
        "|---|---|---|---|",
        f"| crawl throughput, atlas / plain Scrapy (pages/s, median of per-pair ratios; min, max) | >= {GOALS['throughput_ratio']:.2f} | "
        f"{ratio:.2f} ({s['throughput_ratio']['min']:.2f}, {s['throughput_ratio']['max']:.2f}) | {verdict(ratio >= GOALS['throughput_ratio'])} |",
        f"| peak RSS, 20000-project crawl, whole process tree | <= {GOALS['peak_rss_mb']} MB | {peak_rss} |",
        f"| CPU per page, atlas / plain Scrapy (median of per-pair ratios; min, max) | | "
        f"{s['cpu_per_page_ratio']['median']}x ({s['cpu_per_page_ratio']['min']}x, {s['cpu_per_page_ratio']['max']}x) | |",
        f"| redundant fetches (same page under another address) | 0 | {s['redundant_fetches']} | {verdict(s['redundant_fetches'] == 0)} |",
    ]
    if "parser" in results:
        note = " (not re-measured)" if "parser" in carried else ""
        lines.append(
            f"| item loading / bare lxml parse, per project page{note} | <= 3x | {results['parser']['ratio']}x | "
            f"{verdict(results['parser']['ratio'] <= GOALS['parser_ratio'])} |"
        )
    if "time_ratio" in s:
        lines += [
            f"| time {c['projects']} / {a['small']} projects | <= 4.4 | {s['time_ratio']} | {verdict(s['time_ratio'] <= GOALS['time_ratio'])} |",
            f"| peak memory {c['projects']} / {a['small']} projects | nearly flat | {s['memory_ratio']} | |",
        ]
    if "replica_over_crawler" in s:
        lines.append(
            f"| replica serving speed / crawler speed | >= 3 | {s['replica_over_crawler']} ({results['replica_pages_per_s']} pages/s) | "
            f"{verdict(s['replica_over_crawler'] >= 3)} |"
        )
    if "reparse" in results:
        r = results["reparse"]
        rs = r["summary"]
        size = (
            f"{rs['wall_s']['median']} s | {verdict(rs['wall_s']['median'] <= GOALS['reparse_wall_s'])} |"
            if r["projects"] == GOALS["reparse_projects"]
            else f"{rs['wall_s']['median']} s at {r['projects']} projects (linear extrapolation: {rs['wall_s_extrapolated']} s) | not measured at size |"
        )
        lines.append(
            f"| re-parse of a {GOALS['reparse_projects']}-project dump, wall time, {r['processes']} processes | <= {GOALS['reparse_wall_s']:.0f} s | {size}"
        )
    lines += [
        "",
        f"## Crawl of {c['projects']} projects: atlas against plain Scrapy, alternating rounds",
        "",
        "CPU: user+sys of the crawl's process tree (`getrusage(RUSAGE_CHILDREN)`), divided by the pages it fetched;",
        "peak RSS: the process tree sampled every 0.1 s. `atlas` pages exclude its robots.txt request.",
        "",
        "| round | spider | wall s | pages | pages/s | records | CPU s | CPU ms/page | peak RSS MB | peak PSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, pair in enumerate(c["pairs"], 1):
        for spider in pair["order"]:
            r = pair[spider]
            lines.append(
                f"| {n} | {spider} | {r['wall_s']} | {r['pages']} | {r['pages_per_s']} | {r['records']} | {r['cpu_s']} | "
                f"{r['cpu_ms_per_page']} | {r['peak_rss_mb']} | {r['peak_pss_mb']} |"
            )
        lines.append(f"| {n} | ratio atlas/plain | | | {pair['ratio']} | | | {pair['cpu_ratio']} | | |")
    lines += [
        "",
        f"Medians: atlas {s['atlas']['pages_per_s']['median']} pages/s, {s['atlas']['cpu_ms_per_page']['median']} ms CPU per page, "
        f"peak RSS {s['atlas']['peak_rss_mb']['median']} MB; plain Scrapy {s['plain']['pages_per_s']['median']} pages/s, "
        f"{s['plain']['cpu_ms_per_page']['median']} ms CPU per page, peak RSS {s['plain']['peak_rss_mb']['median']} MB. "
        f"Requests per distinct page (atlas): {s['requests_per_page']}.",
    ]
    if "small" in results:
        note = f" (from the run of {carried['small']}, not re-measured)" if "small" in carried else ""
        lines += [
            "",
            f"## Scaling: {a['small']} projects{note}",
            "",
            "| run | wall s | pages | pages/s | peak RSS MB |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {n} | {r['wall_s']} | {r['pages']} | {r['pages_per_s']} | {r['peak_rss_mb']} |"
            for n, r in enumerate(results["small"], 1)
        ]
    if "browser" in results:
        note = f" (from the run of {carried['browser']}, not re-measured)" if "browser" in carried else ""
        lines += [
            "",
            f"## The browser's cost ({a['small']} projects){note}",
            "",
            "| entry | wall s | user+sys CPU s | peak RSS MB (tree, Chromium included) | peak PSS MB (tree) | pages | warnings |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {k} | {r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mb']} | {r['peak_pss_mb']} | {r['pages']} | {len(r.get('browser_warnings', []))} |"
            for k, r in results["browser"].items()
        ]
    if "parser" in results:
        p = results["parser"]
        note = f" (from the run of {carried['parser']}, not re-measured)" if "parser" in carried else ""
        lines += [
            "",
            f"## Parser micro-benchmark (200 replica project pages, pytest-benchmark medians){note}",
            "",
            f"- bare `lxml.html.fromstring`: {p['lxml_ms_per_page']} ms per page",
            f"- `parse_project` (response, label matcher, table reader, item loaders): {p['loader_ms_per_page']} ms per page "
            f"({p['loader_pages_per_s']} pages/s), {p['ratio']}x the bare parse",
        ]
    if "reparse" in results:
        lines += ["", *render_reparse(results["reparse"])]
    if HISTORY_JSON.exists():
        lines += ["", *render_history(json.loads(HISTORY_JSON.read_text("utf-8")))]
    lines.append("")
    notes = DOCS / "BENCHMARKS-notes.md"
    if notes.exists():
        lines += [
            "_The notes below were written against the earlier baseline (`baseline`: a link-only spider inside the "
            "project's settings); their ratios are not comparable with the plain-Scrapy ratio above._",
            "",
            notes.read_text("utf-8"),
        ]
    return "\n".join(lines) + "\n"


def cpu_budget(r: dict[str, Any]) -> float:
    """CPU ms per page the re-parse may cost to meet its goal with every process busy all along."""
    responses = r["summary"]["responses"] * GOALS["reparse_projects"] / r["projects"]
    return round(GOALS["reparse_wall_s"] * r["processes"] * 1000 / responses, 2)


def render_reparse(r: dict[str, Any]) -> list[str]:
    s = r["summary"]
    lines = [
        f"## Re-parse of an archival dump ({r['projects']} projects, {r['date']})",
        "",
        f"Code: {r.get('code') or 'unknown'}; load average at the end: {r.get('load', 'not recorded')}.",
        "",
        f"`benchmarks/archive_bench.py` crawls a {r['projects']}-project replica with `ATLAS_ARCHIVE` on, then times "
        f"`python -m atlas_crawler.archive.reparse DUMP -O out.jsonl` (the re-parse; {r['processes']} processes, every core) "
        "against a floor, `benchmarks/warc_floor.py`: one process that only reads the dump's WARC files (warcio, bodies "
        "decoded) and builds an lxml tree of every HTML response. Rounds alternate between the two. CPU is user+sys of "
        "the whole process tree, per response in the dump; the floor's wall time is one core's, so on this machine "
        f"the floor for {r['processes']} processes is at best its CPU time / {r['processes']}.",
        "",
        "| round | run | wall s | CPU s | CPU ms/page | peak RSS MB | responses | records |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, pair in enumerate(r["rounds"], 1):
        for kind in pair["order"]:
            x = pair[kind]
            lines.append(
                f"| {n} | {kind} | {x['wall_s']} | {x['cpu_s']} | {x['cpu_ms_per_page']} | {x['peak_rss_mb']} | "
                f"{x['responses']} | {x.get('records', '')} |"
            )
    lines += [
        "",
        f"Re-parse: wall {fmt(s['wall_s'], ' s')}, CPU {fmt(s['cpu_ms_per_page'], ' ms/page')}; its records equal the "
        f"crawl's: {s['equal_to_crawl']}. Floor: CPU {fmt(s['floor_cpu_ms_per_page'], ' ms/page')}, i.e. at best "
        f"{s['floor_wall_s_all_cores']} s of wall time on {r['processes']} cores. The re-parse costs "
        f"{s['over_floor']}x the floor's CPU per page. To re-parse {GOALS['reparse_projects']} projects within "
        f"{GOALS['reparse_wall_s']:.0f} s on {r['processes']} cores it may cost at most {cpu_budget(r)} ms of CPU per page, "
        "and only if every process is busy all along.",
    ]
    if r["projects"] != GOALS["reparse_projects"]:
        lines.append(
            f"Measured at {r['projects']} projects, not {GOALS['reparse_projects']}: a linear extrapolation gives "
            f"{s['wall_s_extrapolated']} s for the goal's size (`make bench` runs it at {GOALS['reparse_projects']})."
        )
    return lines


def render_history(h: dict[str, Any]) -> list[str]:
    """The history store's section (``benchmarks/history_bench.py``); what the figures mean
    is in docs/HISTORY.md."""
    f, end = h["figures"], h["end"]
    mb = 1_000_000
    rows = end["rows"]
    scaling = f["scaling"]
    return [
        f"## History store ({h['runs']} weekly runs of {h['projects']} projects, {h['date']})",
        "",
        f"`benchmarks/history_bench.py`: the replica's world changes one edition a week; each run is written as a "
        f"run folder and added with `history.update` (wall and CPU timed); folders deleted once added unless "
        f"`--keep-folders` (here: {h['keep_folders']}). Code: {h.get('code') or 'unknown'}; load average at the "
        f"end: {h.get('load_average')}. What the figures mean: [HISTORY.md](HISTORY.md#size-and-speed).",
        "",
        "| | measured |",
        "|---|---|",
        f"| update of one weekly run, wall: first, median, max | {f['update_seconds']['first']} s, "
        f"{f['update_seconds']['median']} s, {f['update_seconds']['max']} s (goal: under {h['goal_update_seconds']} s: "
        f"{verdict(h['met'])}) |",
        f"| update, median CPU | {f['update_cpu_seconds_median']} s |",
        f"| runs {scaling['early_runs'][0]}-{scaling['early_runs'][1]} against runs {scaling['late_runs'][0]}-"
        f"{scaling['late_runs'][1]}, median wall (CPU) | {scaling['early_median_update_s']} s "
        f"({scaling['early_median_update_cpu_s']} s) against {scaling['late_median_update_s']} s "
        f"({scaling['late_median_update_cpu_s']} s) |",
        f"| store (`history.sqlite`) | {f['store_bytes'] / mb:,.0f} MB ({f['store_bytes_after_first_run'] / mb:,.0f} MB "
        f"after the first run); {f['store_bytes_per_new_version']:,} bytes per new version |",
        f"| every weekly `records.jsonl` kept instead | {f['snapshots_bytes'] / mb:,.0f} MB: "
        f"{f['snapshots_over_store']}x the store |",
        f"| rows | {rows['runs']} runs, {rows['versions']:,} versions, {rows['changes']:,} changes, "
        f"{rows['field_changes']:,} field changes |",
        f"| Parquet write of the whole history | {end['parquet_seconds']} s, {end['parquet_bytes'] / mb:,.0f} MB |",
        f"| `rebuild` ({end['rebuild_runs_from_folders']} runs from folders, "
        f"{end['rebuild_runs_replayed_from_old_store']} replayed from the old store) | {end['rebuild_seconds']} s; "
        f"the same store: {end['rebuild_gives_the_same_store']} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--render", action="store_true", help="write docs/BENCHMARKS.md again from the JSON")
    args = parser.parse_args()
    results = load()
    if not results:
        print(f"no {JSON}: run benchmarks/run.py first", file=sys.stderr)
        return 1
    if args.render:
        write(results)
    print(short_summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
