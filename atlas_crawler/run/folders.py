"""Run folders for scheduled crawls, and the lock that keeps two crawls apart.

``ATLAS_RUNS_DIR=output/runs`` gives every run its own folder, ``<UTC stamp>/``, holding
``records.jsonl``, ``report.json``, ``doubts.jsonl``, ``crawl.log`` and ``changes.jsonl``. ``latest``
is a relative symlink to the newest *complete* run, switched with one ``rename``
so that a reader never sees it missing or half-made. Old runs are pruned to the
newest ``ATLAS_KEEP_RUNS``, never the one ``latest`` points at.

"Newest" is the order the runs were made in, never the clock: each folder holds its
number in that order (``.sequence``), and a folder whose stamp lies in the future (made
while the clock was ahead) is reported, not trusted. Folders made before numbering are
older than every numbered one."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from atlas_crawler.files import LATEST, RECORDS, RUN_SEQUENCE

_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d{6}Z(\.\d+)?$")
#: A stamp this far ahead of the clock is "in the future" (two machines' clocks, a leap
#: second, a slow NTP step are not).
_CLOCK_SLACK = timedelta(minutes=5)


def utc_stamp(moment: datetime | None = None) -> str:
    """``2026-11-30T031500Z``: sorts as it reads, no ``:`` (awkward in file names)."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H%M%SZ")


def new_run(runs_dir: Path, moment: datetime | None = None) -> Path:
    """A fresh run folder, numbered after every run made before it; two runs in the
    same second (or a clock set back onto an earlier stamp) get ``.2``, ``.3``, …"""
    runs_dir.mkdir(parents=True, exist_ok=True)
    number = 1 + max((sequence(run) for run in all_runs(runs_dir)), default=0)
    stamp = utc_stamp(moment)
    for n in range(1, 1000):
        folder = runs_dir / (stamp if n == 1 else f"{stamp}.{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        try:
            (folder / RUN_SEQUENCE).write_text(f"{number}\n", encoding="utf-8")
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)  # an unnumbered folder would sort among the oldest
            raise
        return folder
    raise RuntimeError(f"no free run folder name for {stamp} in {runs_dir}")


def sequence(run: Path) -> int:
    """The run's number in the order runs were made; 0 for a folder made before runs
    were numbered (or whose number is unreadable): older than every numbered one."""
    try:
        return int((run / RUN_SEQUENCE).read_text("utf-8").strip())
    except (OSError, ValueError):
        return 0


def all_runs(runs_dir: Path) -> list[Path]:
    """Run folders, oldest first: in the order they were made, whatever their stamps say."""
    if not runs_dir.is_dir():
        return []
    runs = (p for p in runs_dir.iterdir() if p.is_dir() and not p.is_symlink() and _STAMP.match(p.name))
    return sorted(runs, key=lambda run: (sequence(run), run.name))


def stamped_in_the_future(runs_dir: Path, now: datetime | None = None) -> list[Path]:
    """Run folders whose stamp is later than now (made while the clock was ahead): their
    names cannot be trusted to say which run is newest."""
    limit = utc_stamp((now or datetime.now(UTC)) + _CLOCK_SLACK)
    return [run for run in all_runs(runs_dir) if run.name.split(".")[0] > limit]


def latest_complete(runs_dir: Path) -> Path | None:
    """The run ``latest`` points at, if it still exists."""
    link = runs_dir / LATEST
    if not link.is_symlink():
        return None
    target = (runs_dir / os.readlink(link)).resolve()
    return target if (target / RECORDS).exists() else None


def point_latest(runs_dir: Path, run: Path) -> None:
    """Switch ``latest`` to ``run`` atomically: a new symlink under a temporary
    name, renamed over the old one (``rename`` replaces a symlink in one step)."""
    temp = runs_dir / f".{LATEST}.{os.getpid()}.tmp"
    temp.unlink(missing_ok=True)
    os.symlink(run.name, temp)
    os.replace(temp, runs_dir / LATEST)


def prune(runs_dir: Path, keep: int, protect: set[Path]) -> list[Path]:
    """Delete all but the ``keep`` runs made last (``keep`` ≤ 0: keep all), sparing
    ``protect`` (the run just made and the one ``latest`` points at)."""
    if keep <= 0:
        return []
    runs = all_runs(runs_dir)
    spared = {p.resolve() for p in protect}
    removed = [run for run in runs[:-keep] if run.resolve() not in spared]
    for run in removed:
        shutil.rmtree(run)
    return removed


# --- the lock -------------------------------------------------------------------
class RunLock:
    """An exclusive ``flock`` on a file: the kernel drops it when the process ends,
    however it ends, so a crashed run never leaves a stale lock behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[str] | None = None

    def acquire(self, what: str = "") -> bool:
        """True if this process now holds the lock; False at once if another does.
        ``what``: what the holder does, for the one refused (its feeds). An ``OSError``
        (a full disk: the holder's line cannot be written) leaves the lock free."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return False
        try:
            file.seek(0)
            file.truncate()
            since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            file.write(f"pid {os.getpid()} since {since}{f': {what}' if what else ''}\n")
            file.flush()
        except OSError:
            with contextlib.suppress(OSError):  # its flush fails again; the descriptor still closes
                file.close()  # closing drops the flock
            raise
        self.file = file
        return True

    def holder(self) -> str:
        """Who holds it, as the holder wrote it (``pid 1234 since …``)."""
        try:
            return self.path.read_text("utf-8").strip() or "unknown process"
        except OSError:
            return "unknown process"

    def release(self) -> None:
        if self.file is not None:
            fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
            self.file.close()
            self.file = None
