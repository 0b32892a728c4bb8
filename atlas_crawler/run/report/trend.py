"""The trend across runs on report.html: in a run folder, the records, failures,
doubts and changes of each earlier run, as a table and small line charts (inline SVG,
nothing fetched). The runs come from the history store beside the run folders
(``history.sqlite``, atlas_crawler.history) when there is one, so that runs whose
folders were pruned still show; a run the history does not hold yet is read from its
own ``report.json``. The history counts a run's changes against the atlas as the
history knew it; a report, against the previous complete run.

A run folder whose report is missing or unreadable (a run killed before it wrote
one, a file cut by a full disk) is a row that says so, never an error: the page of
this run must be drawn whatever happened to the earlier ones."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from atlas_crawler.files import HISTORY, REPORT
from atlas_crawler.run import folders
from atlas_crawler.run.report import words
from atlas_crawler.run.report.words import number

#: Runs shown, this one included (``ATLAS_KEEP_RUNS`` keeps 10 by default).
MAX_RUNS = 12
#: Runs shown when the history holds them: a year of weekly runs.
MAX_HISTORY_RUNS = 52
_CHANGES = ("added", "removed", "changed")
#: What the trend reads of the history's ``runs`` table (atlas_crawler.history.schema
#: declares the table; tests/test_history.py checks that it has these columns).
HISTORY_RUNS = "runs"
HISTORY_COLUMNS = ("folder", "sequence", "readable", "exit_code", "meaning", "records", "failures", "known_gaps",
                   "doubts", *_CHANGES, "unknown")  # fmt: skip


@dataclass(frozen=True)
class RunSummary:
    """What the trend shows of one run; ``None`` values: not in its report."""

    folder: str
    readable: bool
    exit_code: int | None = None
    meaning: str | None = None
    records: int | None = None
    failures: int | None = None
    known_gaps: int | None = None
    doubts: int | None = None
    changes: int | None = None
    changes_detail: dict[str, int] | None = None
    from_history: bool = False

    @classmethod
    def of(cls, folder: str, report: Any) -> RunSummary:
        if not isinstance(report, dict):
            return cls(folder, readable=False)
        result = report.get("outcome") if isinstance(report.get("outcome"), dict) else {}
        changes = report.get("changes") if isinstance(report.get("changes"), dict) else {}
        counts = changes.get("counts") if changes.get("since") else None  # no earlier run: nothing compared
        detail = None
        if isinstance(counts, dict):
            detail = {k: sum(int((v or {}).get(k) or 0) for v in counts.values()) for k in (*_CHANGES, "unknown")}
        return cls(
            folder,
            readable=True,
            exit_code=result.get("exit_code"),
            meaning=result.get("meaning"),
            records=sum(v for v in (report.get("records") or {}).values() if isinstance(v, int)),
            failures=len(report.get("failures") or []),
            known_gaps=len(result.get("known_gaps") or []),
            doubts=(report.get("doubts") or {}).get("records") if isinstance(report.get("doubts"), dict) else None,
            changes=sum(detail[k] for k in _CHANGES) if detail is not None else None,
            changes_detail=detail,
        )


def earlier_runs(report_path: Path, limit: int | None = None) -> list[RunSummary] | None:
    """The runs made before the one whose report this is, oldest first (at most
    ``limit``: by default ``MAX_HISTORY_RUNS`` - 1 with a history, else ``MAX_RUNS`` - 1);
    None when the report is not in a run folder."""
    run = report_path.parent
    if report_path.name != REPORT or not folders.is_run_folder(run):
        return None
    runs = [r.resolve() for r in folders.all_runs(run.parent)]
    here = run.resolve()
    if here not in runs:
        return None
    this = (folders.sequence(here), here.name)
    known = {s.folder: (order, s) for order, s in _history(run.parent / HISTORY) if order < this}
    found = dict(known)
    for r in runs[: runs.index(here)]:
        if r.name not in found:
            found[r.name] = ((folders.sequence(r), r.name), RunSummary.of(r.name, _read(r / REPORT)))
    if limit is None:
        limit = (MAX_HISTORY_RUNS if known else MAX_RUNS) - 1
    earlier = [summary for _, summary in sorted(found.values(), key=lambda item: item[0])]
    return earlier[-limit:] if limit > 0 else []


def _history(path: Path) -> list[tuple[tuple[int, str], RunSummary]]:
    """The runs the history store holds, with their place in the order of run folders;
    none when there is no store or it cannot be read (the reports are read instead)."""
    if not path.is_file():
        return []
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(f"SELECT {', '.join(HISTORY_COLUMNS)} FROM {HISTORY_RUNS} ORDER BY run_no").fetchall()
    except sqlite3.Error:
        return []
    out = []
    for row in rows:
        values = dict(zip(HISTORY_COLUMNS, row, strict=True))
        detail = {k: values[k] for k in (*_CHANGES, "unknown")}
        summary = RunSummary(
            values["folder"],
            readable=bool(values["readable"]),
            exit_code=values["exit_code"],
            meaning=values["meaning"],
            records=values["records"],
            failures=values["failures"],
            known_gaps=values["known_gaps"],
            doubts=values["doubts"],
            changes=sum(detail[k] for k in _CHANGES),
            changes_detail=detail,
            from_history=True,
        )
        out.append(((values["sequence"] or 0, values["folder"]), summary))
    return out


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


# --- drawing -------------------------------------------------------------------------------
def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _result(run: RunSummary) -> str:
    if not run.readable:
        return '<span class="bad">rapport absent ou illisible</span>'
    if run.exit_code is None:
        return "—"
    word = words.outcome_word(run.exit_code)
    if run.exit_code == 0 and run.known_gaps:
        word += f" ({run.known_gaps} refusée(s) par le site)"
    return f'<span class="{"good" if run.exit_code == 0 else "bad"}">{_e(word)} ({run.exit_code})</span>'


def _changes(run: RunSummary) -> str:
    d = run.changes_detail
    if d is None:
        return "—"
    return f"+{number(d['added'])} / −{number(d['removed'])} / ~{number(d['changed'])}"


def trend_section(runs: Sequence[RunSummary]) -> str:
    """The table and the charts; ``runs`` oldest first, this run last."""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Passage", "Résultat", "Enregistrements", "Pages en échec", "Douteux",
                  "Changements (ajoutés / retirés / modifiés)")
    )  # fmt: skip
    rows = "".join(
        f"<tr><td><code class=u>{_e(r.folder)}</code>{' (celui-ci)' if i == len(runs) - 1 else ''}</td>"
        f"<td>{_result(r)}</td>"
        f"<td class=num>{number(r.records)}</td><td class=num>{number(r.failures)}</td>"
        f"<td class=num>{number(r.doubts)}</td>"
        f"<td class=num>{_changes(r)}</td></tr>"
        for i, r in enumerate(runs)
    )
    charts = "".join(
        line_chart(title, runs, value)
        for title, value in (
            ("Enregistrements", lambda r: r.records),
            ("Pages en échec", lambda r: r.failures),
            ("Enregistrements douteux", lambda r: r.doubts),
            ("Changements", lambda r: r.changes),
        )
    )
    return (
        "<section id=\"tendance\"><h3>D'un passage à l'autre</h3>"
        f"<p>Les {len(runs)} derniers passages de ce dossier, du plus ancien à celui-ci ({_source(runs)}).</p>"
        f'<div class="scroll"><table class="trend"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'
        f'<div class="minis">{charts}</div></section>'
    )


def _source(runs: Sequence[RunSummary]) -> str:
    if any(r.from_history for r in runs):
        return (
            "lus dans l'historique <code>history.sqlite</code>, les changements comptés par rapport à l'atlas "
            "tel que l'historique le connaissait ; les autres dans leur <code>report.json</code>"
        )
    return "lus dans leur <code>report.json</code>"


def line_chart(title: str, runs: Sequence[RunSummary], value: Callable[[RunSummary], int | None]) -> str:
    """One small line chart, narrow enough to read on a phone (a point per run; a run
    without the value leaves a gap)."""
    width, height, left, right, top, bottom = 320, 130, 44, 12, 12, 22
    values = [value(r) for r in runs]
    known = [v for v in values if v is not None]
    if not known:
        body = '<p class="empty">Aucune donnée.</p>'
        return f'<figure class="mini"><figcaption>{_e(title)}</figcaption>{body}</figure>'
    high = max(known) or 1
    step = (width - left - right) / max(len(runs) - 1, 1)

    def x(i: int) -> float:
        return left + i * step if len(runs) > 1 else (left + width - right) / 2

    def y(v: int) -> float:
        return top + (height - top - bottom) * (1 - v / high)

    parts = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}"></line>',
        f'<text x="{left - 6}" y="{y(high) + 4:.1f}" text-anchor="end">{number(high)}</text>',
        f'<text x="{left - 6}" y="{height - bottom + 4}" text-anchor="end">0</text>',
    ]
    segment: list[str] = []
    for i, v in enumerate([*values, None]):
        if v is None:
            if len(segment) > 1:
                parts.append(f'<polyline points="{" ".join(segment)}"></polyline>')
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(v):.1f}")
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5">'
            f"<title>{_e(runs[i].folder)} : {number(v)}</title></circle>"
        )
    parts.append(f'<text x="{left}" y="{height - 6}">{_e(runs[0].folder[:10])}</text>')
    if len(runs) > 1:
        parts.append(f'<text x="{width - right}" y="{height - 6}" text-anchor="end">{_e(runs[-1].folder[:10])}</text>')
    svg = (
        f'<svg class="trend" role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'
    )
    return f'<figure class="mini"><figcaption>{_e(title)}</figcaption>{svg}</figure>'
