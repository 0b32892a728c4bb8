"""Run folders for scheduled crawls, and the lock that keeps two crawls apart.

``ATLAS_RUNS_DIR=output/runs`` gives every run its own folder, ``<UTC stamp>/``, holding
``records.jsonl``, ``report.json``, ``doubts.jsonl``, ``crawl.log`` and ``changes.jsonl``. ``latest``
is a relative symlink to the newest *complete* run, switched with one ``rename``
so that a reader never sees it missing or half-made. Old runs are pruned to the
newest ``ATLAS_KEEP_RUNS``, never the one ``latest`` points at."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from atlas_crawler.files import LATEST, RECORDS

_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d{6}Z(\.\d+)?$")


def utc_stamp(moment: datetime | None = None) -> str:
    """``2026-11-30T031500Z``: sorts as it reads, no ``:`` (awkward in file names)."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H%M%SZ")


def new_run(runs_dir: Path, moment: datetime | None = None) -> Path:
    """A fresh run folder; two runs in the same second get ``.2``, ``.3``, …"""
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = utc_stamp(moment)
    for n in range(1, 1000):
        folder = runs_dir / (stamp if n == 1 else f"{stamp}.{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise RuntimeError(f"no free run folder name for {stamp} in {runs_dir}")


def all_runs(runs_dir: Path) -> list[Path]:
    """Run folders, oldest first."""
    if not runs_dir.is_dir():
        return []
    return sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.is_symlink() and _STAMP.match(p.name))


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
    """Delete all but the newest ``keep`` runs (``keep`` ≤ 0: keep all), sparing
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

    def acquire(self) -> bool:
        """True if this process now holds the lock; False at once if another does."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return False
        file.seek(0)
        file.truncate()
        file.write(f"pid {os.getpid()} since {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n")
        file.flush()
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
