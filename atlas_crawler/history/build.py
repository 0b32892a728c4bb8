"""Bringing the history up to date with the run folders, or rebuilding it.

``update`` adds, in order, the runs the store has not seen, and stops at a run still
being written (the newest folder while a crawl holds the runs folder's lock). A run
folder older than the store's last run (copied in afterwards) cannot be slotted in:
it is named, and ``rebuild`` places it.

``rebuild`` makes the store anew, beside the old one, then puts it in its place: each
run from its folder when the folder is there, else (a folder deleted by retention)
from the old store, replaying the changes that run made. The same folders give the
same store."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from atlas_crawler.files import HISTORY, HISTORY_LOCK, HISTORY_PARQUET
from atlas_crawler.history import parquet
from atlas_crawler.history.runs import observe, read_report, settled
from atlas_crawler.history.store import HistoryError, KnownRun, Store
from atlas_crawler.run import folders

logger = logging.getLogger(__name__)
Tell = Callable[[str], None]


class HistoryBusyError(HistoryError):
    """Another process is updating the same history."""


@dataclass
class Update:
    """What one update or rebuild did."""

    store: Path
    added: list[str] = field(default_factory=list)  # run folders added, in order
    replayed: list[str] = field(default_factory=list)  # runs taken from the old store (folder gone)
    left: list[str] = field(default_factory=list)  # runs not added, each with why
    unreadable: list[str] = field(default_factory=list)  # runs added without their records, each with why
    parquet: Path | None = None
    parquet_error: str | None = None  # the store is updated; its Parquet copies are not


def history_path(runs_dir: Path) -> Path:
    return runs_dir / HISTORY


def held_runs(runs_dir: Path) -> set[str]:
    """The run folders the history holds (none when there is no readable history): a
    folder not among them must not be pruned while the history is kept."""
    path = history_path(runs_dir)
    if not path.is_file():
        return set()
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return {folder for (folder,) in db.execute("SELECT folder FROM runs")}
    except sqlite3.Error:
        return set()


def update(runs_dir: Path, *, with_parquet: bool = True, tell: Tell = logger.info) -> Update:
    """Add the runs of ``runs_dir`` the history has not seen (see the module's docstring)."""
    with _Locked(runs_dir):
        path = history_path(runs_dir)
        store = Store.open(path)
        try:
            done = Update(path)
            known = store.known_runs()
            names = {run.folder for run in known}
            last = known[-1].order if known else None
            runs = folders.all_runs(runs_dir)
            for i, run in enumerate(runs):
                if run.name in names:
                    continue
                if last is not None and (folders.sequence(run), run.name) < last:
                    done.left.append(f"{run.name}: older than the history's last run ({known[-1].folder}); "
                                     "rebuild the history to place it")  # fmt: skip
                    continue
                if not _add_folder(store, run, i == len(runs) - 1, done, tell):
                    break  # the runs after it wait for it
        finally:
            store.close()
        _finish(runs_dir, done, with_parquet, tell)
        return done


def rebuild(runs_dir: Path, *, with_parquet: bool = True, tell: Tell = logger.info) -> Update:
    """Make the history anew from the run folders, keeping from the old store the runs
    whose folders are gone."""
    with _Locked(runs_dir):
        path = history_path(runs_dir)
        old = Store.open(path) if path.exists() else None
        fresh = path.with_name(f".{path.name}.rebuild")
        fresh.unlink(missing_ok=True)
        store = Store.open(fresh)
        try:
            done = Update(path)
            runs = folders.all_runs(runs_dir)
            names = {run.name for run in runs}
            gone = [run for run in (old.known_runs() if old else []) if run.folder not in names]
            order: list[tuple[tuple[int, str], Path | KnownRun]] = [
                ((folders.sequence(run), run.name), run) for run in runs
            ]
            order += [(run.order, run) for run in gone]
            for _, run in sorted(order, key=lambda item: item[0]):
                if isinstance(run, KnownRun):
                    assert old is not None
                    _replay(store, old, run)
                    done.replayed.append(run.folder)
                    tell(f"history: {run.folder} kept from the old store (its folder is gone)")
                else:
                    _add_folder(store, run, run == runs[-1], done, tell)
        except BaseException:
            store.close()
            fresh.unlink(missing_ok=True)
            raise
        finally:
            if old is not None:
                old.close()
        store.close()
        os.replace(fresh, path)
        _finish(runs_dir, done, with_parquet, tell)
        return done


def _add_folder(store: Store, run: Path, newest: bool, done: Update, tell: Tell) -> bool:
    """Add a run folder; False (named in ``done.left``) when a crawl is still writing it."""
    report = read_report(run)
    if not settled(run, report, newest):
        done.left.append(f"{run.name}: still being written by a crawl; added by the next update")
        return False
    seen = observe(run, report)
    doubted = {key: None if seen.doubted is None else key in seen.doubted for key in seen.records or {}}
    counts = store.add_run(seen.run_row(), seen.records, doubted, seen.rule_report())
    done.added.append(run.name)
    if seen.records is None:
        done.unreadable.append(f"{run.name}: {seen.note}")
    tell(
        f"history: {run.name} added: {counts['added']} added, {counts['removed']} removed, "
        f"{counts['changed']} changed, {counts['unknown']} unknown" + (f" ({seen.note})" if seen.note else "")
    )
    return True


def _replay(store: Store, old: Store, run: KnownRun) -> None:
    """A run whose folder is gone, as the old store holds it: the same changes, the
    same versions."""
    row = old.run_row(run.run_no)
    records, doubted = old.run_versions(run.run_no)
    found = old.run_changes(run.run_no)
    columns = {k: v for k, v in row.items() if k not in ("run_no", "added", "removed", "changed", "unknown")}
    # a run that read nothing replays as one (no records: no change, no run seen)
    readable = row["records"] is not None
    store.add_run(columns, records if readable else None, doubted, {}, found=found)


def _finish(runs_dir: Path, done: Update, with_parquet: bool, tell: Tell) -> None:
    if with_parquet:
        try:
            done.parquet = parquet.write(history_path(runs_dir), runs_dir / HISTORY_PARQUET)
            tell(f"history: Parquet files in {done.parquet}")
        except (OSError, sqlite3.Error, ValueError) as error:  # ValueError: Arrow's own errors
            done.parquet_error = f"Parquet files not written (the store is up to date): {error}"
            tell(f"history: {done.parquet_error}")
    for why in done.left:
        tell(f"history: run left out: {why}")


class _Locked:
    """One process updates a history at a time (``.history.lock``, an flock)."""

    def __init__(self, runs_dir: Path) -> None:
        self.lock = folders.RunLock(runs_dir / HISTORY_LOCK)

    def __enter__(self) -> None:
        if not self.lock.acquire("updating the history"):
            raise HistoryBusyError(f"the history of {self.lock.path.parent} is being updated by {self.lock.holder()}")

    def __exit__(self, *exc: object) -> None:
        self.lock.release()
