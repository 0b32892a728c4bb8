"""Run folders for scheduled crawls, and the lock that keeps two crawls apart.

``ATLAS_RUNS_DIR=output/runs`` gives every run its own folder, ``<UTC stamp>/``, holding
``records.jsonl``, ``report.json``, ``doubts.jsonl``, ``crawl.log`` and ``changes.jsonl``. ``latest``
is a relative symlink to the newest *complete* run, switched with one ``rename``
so that a reader never sees it missing or half-made. Old runs are pruned to the
newest ``ATLAS_KEEP_RUNS``, never the one ``latest`` points at.

"Newest" is the order the runs were made in, never the clock: each folder holds its
number in that order (``.sequence``), and a folder whose stamp lies in the future (made
while the clock was ahead) is reported, not trusted. Folders made before numbering are
older than every numbered one.

``status.json`` beside ``latest`` says, for a dashboard, the last run and its outcome
and the last complete run (``write_status``)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from atlas_crawler.files import LATEST, RECORDS, REPORT, RUN_SEQUENCE, write_atomically

#: Beside ``latest``: the last run, its outcome, the last complete run (for dashboards).
STATUS = "status.json"

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
    runs = (p for p in runs_dir.iterdir() if is_run_folder(p))
    return sorted(runs, key=lambda run: (sequence(run), run.name))


def is_run_folder(path: Path) -> bool:
    """A folder named as ``new_run`` names them (a stamp, maybe ``.2``), not a symlink."""
    return path.is_dir() and not path.is_symlink() and bool(_STAMP.match(path.name))


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


def write_status(runs_dir: Path, run: Path, report: dict[str, Any] | None, result: dict[str, Any]) -> Path:
    """``status.json`` beside ``latest``, replaced whole (a dashboard polling it never
    reads half of one): the last run (folder, when it finished, its outcome's code and
    meaning, ``known_gaps`` counted) and the last complete run, the one ``latest``
    points at (folder and when it finished, read from its report), or null.
    ``result``: the run's outcome as the crawl command made it (``exit_code``,
    ``meaning``, ``known_gaps``, and ``history``: what became of the history store, when kept)."""
    latest = latest_complete(runs_dir)
    status = {
        "last_run": {
            "folder": run.name,
            "finished_at": (report or {}).get("finished_at"),
            "exit_code": result.get("exit_code"),
            "meaning": result.get("meaning"),
            "known_gaps": len(result.get("known_gaps") or []),
            "records": sum((report or {}).get("records", {}).values()) if report else None,
            **({"history": result["history"]} if "history" in result else {}),
        },
        "last_complete_run": None
        if latest is None
        else {"folder": latest.name, "finished_at": _finished_at(latest, run, report)},
    }
    path = runs_dir / STATUS
    write_atomically(path, (json.dumps(status, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return path


def _finished_at(folder: Path, run: Path, report: dict[str, Any] | None) -> str | None:
    if folder.resolve() == run.resolve() and report is not None:
        return report.get("finished_at")
    try:
        return json.loads((folder / REPORT).read_text("utf-8")).get("finished_at")
    except (OSError, ValueError, AttributeError):
        return None


# --- the lock -------------------------------------------------------------------
class RunLock:
    """An exclusive ``flock`` on a file: the kernel drops it when the process ends,
    however it ends, so a crashed run never leaves a stale lock behind.

    The file itself is removed when the lock is released, so a run leaves no
    ``.atlas.jsonl.lock`` beside its feed. Removing a lock file that another process
    may have opened is racy with plain ``flock``: a second process that opened the file
    before it was removed would lock the removed file, and a third that opens the path
    afterwards would lock a new file: two holders. So the holder removes the file while
    it still holds the lock (``release``: unlink, then unlock), and ``acquire`` checks,
    once it holds the lock, that the path still names the file it locked (same device
    and inode); if not, the file it locked was removed by its last holder and it tries
    again on the path's file. A kill leaves the file (not the lock): the next run takes
    it over and removes it in its turn."""

    #: Tries of ``acquire`` when the file it locked was removed meanwhile: each time a
    #: holder released the lock between this process's open and its lock.
    _TRIES = 20

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[str] | None = None

    def acquire(self, what: str = "") -> bool:
        """True if this process now holds the lock; False at once if another does.
        ``what``: what the holder does, for the one refused (its feeds). An ``OSError``
        (a full disk: the holder's line cannot be written) leaves the lock free."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(self._TRIES):
            file = self.path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                file.close()
                return False
            if self._still_at_path(file):
                break
            file.close()  # the file this process locked was released and removed: again
        else:
            return False
        try:
            file.seek(0)
            file.truncate()
            since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            file.write(f"pid {os.getpid()} since {since}{f': {what}' if what else ''}\n")
            file.flush()
        except OSError:
            with contextlib.suppress(OSError):  # its flush fails again; the descriptor still closes
                self.path.unlink(missing_ok=True)  # still held: no one else has it
                file.close()  # closing drops the flock
            raise
        self.file = file
        return True

    def _still_at_path(self, file: IO[str]) -> bool:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(file.fileno())
        return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)

    def holder(self) -> str:
        """Who holds it, as the holder wrote it (``pid 1234 since …``)."""
        try:
            return self.path.read_text("utf-8").strip() or "unknown process"
        except OSError:
            return "unknown process"

    def release(self) -> None:
        """Remove the file, then drop the lock (in this order: see the class)."""
        if self.file is not None:
            with contextlib.suppress(OSError):  # a read-only or vanished folder: the file stays, harmless
                if self._still_at_path(self.file):
                    self.path.unlink()
            fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
            self.file.close()
            self.file = None
