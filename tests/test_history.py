"""The history store over run folders of the replica's changing world, written as a
crawl leaves them (``replica.runs.write_run``; the crawled runs are in
tests/test_history_e2e.py): each run's records are the versions the history holds
after it, run by run; a record a run could not see is not ended by it; only a run that
saw the whole atlas removes; a rebuild gives the same store, deleted folders
included; runs still being written, added out of order or unreadable are named."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from atlas_crawler import history
from atlas_crawler.commands import crawl
from atlas_crawler.files import HISTORY, HISTORY_PARQUET, LOCK, RECORDS, REPORT
from atlas_crawler.history.__main__ import main
from atlas_crawler.history.schema import HISTORY_TABLES, RUNS_TABLE
from atlas_crawler.history.store import dump
from atlas_crawler.records import read_records, record_key
from atlas_crawler.replica.runs import BASE, write_run
from atlas_crawler.replica.world import World
from atlas_crawler.run import folders
from atlas_crawler.run.report.trend import HISTORY_COLUMNS, earlier_runs
from tests.scheduled import versions_after

PROJECTS = 30
START = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def week(n: int) -> datetime:
    return START + timedelta(weeks=n)


def bare(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "crawled_at"}


def read(path: Path) -> list[dict[str, Any]]:
    """A run's records as a reader of its folder sees them (a torn last line left out)."""
    return list(read_records(path, torn_end=True))


def rows(store: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(store)) as db:
        return db.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Six weekly runs, the history updated after each: editions 1 and 2 complete; edition
    3 with pages the site refuses (complete with known gaps); edition 4 stopped after a
    third of its records (shutdown); edition 5 killed before its report, its last line
    torn; edition 5 again, complete."""
    runs_dir = tmp_path_factory.mktemp("history") / "runs"
    plan = [(1, "complete"), (2, "complete"), (3, "faults"), (4, "shutdown"), (5, "killed"), (5, "complete")]
    made = []
    for n, (edition, how) in enumerate(plan, 1):
        truth = World(PROJECTS, edition=edition, faults=how == "faults").truth(BASE)
        records = truth["records"]
        if how == "shutdown":
            run = write_run(runs_dir, week(n), records[: len(records) // 3], finish_reason="shutdown")
        elif how == "killed":
            run = write_run(runs_dir, week(n), records[: len(records) // 2], report=False)
            with (run / RECORDS).open("a", encoding="utf-8") as f:
                f.write('{"type": "project", "id": "99')  # the record being written when killed
        else:
            run = write_run(runs_dir, week(n), records, failed_urls=truth["failed_urls"])
        history.update(runs_dir, tell=lambda line: None)
        made.append({"run": run, "how": how, "edition": edition, "truth": truth})
    return {"dir": runs_dir, "store": runs_dir / HISTORY, "runs": made}


def test_each_run_reads_back_as_the_versions_after_it(runs: dict[str, Any]) -> None:
    for run_no, made in enumerate(runs["runs"], 1):
        written = {record_key(r): bare(r) for r in read(made["run"] / RECORDS)}
        state = versions_after(runs["store"], run_no)
        assert {k: state[k] for k in written} == written, made["how"]
        if made["how"] == "complete":
            assert state.keys() == written.keys()  # nothing kept that a whole walk did not see


def test_a_record_the_run_could_not_see_is_kept_not_ended(runs: dict[str, Any]) -> None:
    store = runs["store"]
    faulty = runs["runs"][2]
    failed = {url.rsplit("=", 1)[1] for url in faulty["truth"]["failed_urls"]}
    assert failed
    for project in failed:
        (last_seen, to_run), *_ = rows(
            store,
            "SELECT last_seen_run, to_run FROM versions WHERE type = 'project' AND id = ? "
            "AND from_run <= 3 ORDER BY version_id DESC",
            project,
        )
        assert to_run is None or to_run > 3  # not ended by run 3
        assert last_seen != 3  # …nor said to be seen by it
        reason = rows(store, "SELECT reason FROM changes WHERE run_no = 3 AND id = ? AND change = 'unknown'", project)
        assert reason and reason[0][0].startswith("its page failed")


def test_only_a_run_that_saw_the_whole_atlas_removes(runs: dict[str, Any]) -> None:
    store = runs["store"]
    table = {n: (whole, removed, unknown) for n, whole, removed, unknown in rows(
        store, "SELECT run_no, saw_whole_atlas, removed, unknown FROM runs ORDER BY run_no")}  # fmt: skip
    assert table[4] == (0, 0, table[4][2]) and table[4][2] > 0  # shutdown: unknown, never removed
    assert table[5][:2] == (0, 0) and table[5][2] > 0  # killed before its report
    assert table[6][0] == 1 and table[6][1] > 0  # complete: it removes what editions 3-5 dropped
    removed = rows(store, "SELECT run_no FROM changes WHERE change = 'removed'")
    assert {n for (n,) in removed} <= {2, 3, 6}
    note = rows(store, "SELECT note, finish_reason, exit_code FROM runs WHERE run_no = 5")[0]
    assert "no readable report.json" in note[0] and note[1:] == (None, None)


def test_removed_records_are_what_the_editions_removed(runs: dict[str, Any]) -> None:
    """Independent of any diff: run 6 (complete, edition 5) ends exactly the keys of
    edition 2's run (the last complete one before the faults) that edition 5 lacks and
    runs 3 to 5 did not already end."""
    store = runs["store"]
    before = {record_key(r) for r in runs["runs"][1]["truth"]["records"]}
    after = {record_key(r) for r in runs["runs"][5]["truth"]["records"]}
    ended_3 = {(t, k or "", i) for t, k, i in rows(store, "SELECT type, kind, id FROM changes "
                                                          "WHERE run_no = 3 AND change = 'removed'")}  # fmt: skip
    ended_6 = {(t, k or "", i) for t, k, i in rows(store, "SELECT type, kind, id FROM changes "
                                                          "WHERE run_no = 6 AND change = 'removed'")}  # fmt: skip
    assert ended_3 | ended_6 >= before - after - {record_key(r) for r in runs["runs"][2]["truth"]["records"]}
    assert not (ended_6 & after)


def test_only_changed_versions_are_stored(runs: dict[str, Any]) -> None:
    store = runs["store"]
    ((versions,),) = rows(store, "SELECT count(*) FROM versions")
    ((firsts,),) = rows(store, "SELECT count(*) FROM versions WHERE from_run = 1")
    ((new,),) = rows(store, "SELECT sum(added) + sum(changed) FROM runs")
    assert versions == new and versions < 2 * firsts
    (unchanged,), = rows(store, "SELECT count(*) FROM versions v JOIN versions w ON w.type = v.type "
                                "AND coalesce(w.kind, '') = coalesce(v.kind, '') AND w.id = v.id AND w.from_run = v.to_run "
                                "JOIN version_records a ON a.version_id = v.version_id "
                                "JOIN version_records b ON b.version_id = w.version_id "
                                "AND json_remove(a.record, '$.crawled_at') = json_remove(b.record, '$.crawled_at')")  # fmt: skip
    assert unchanged == 0


def test_an_update_with_nothing_new_changes_nothing(runs: dict[str, Any]) -> None:
    before = dump(runs["store"])
    done = history.update(runs["dir"], with_parquet=False, tell=lambda line: None)
    assert done.added == [] and dump(runs["store"]) == before


def test_a_rebuild_gives_the_same_store_and_keeps_deleted_runs(runs: dict[str, Any], tmp_path: Path) -> None:
    copy = tmp_path / "runs"
    shutil.copytree(runs["dir"], copy, symlinks=True)
    original = dump(copy / HISTORY)
    history.rebuild(copy, with_parquet=False, tell=lambda line: None)
    assert dump(copy / HISTORY) == original
    for gone in folders.all_runs(copy)[1:3]:  # retention deletes two early folders
        shutil.rmtree(gone)
    history.update(copy, with_parquet=False, tell=lambda line: None)
    assert dump(copy / HISTORY) == original
    done = history.rebuild(copy, with_parquet=False, tell=lambda line: None)
    assert len(done.replayed) == 2 and dump(copy / HISTORY) == original


def test_parquet_holds_the_store(runs: dict[str, Any]) -> None:
    store, parquet = runs["store"], runs["dir"] / HISTORY_PARQUET
    assert sorted(p.stem for p in parquet.glob("*.parquet")) == sorted(t.name for t in HISTORY_TABLES)
    for table in ("runs", "versions", "changes", "funding"):
        ((count,),) = rows(store, f"SELECT count(*) FROM {table}")
        assert pq.read_table(parquet / f"{table}.parquet").num_rows == count
    ((cents,),) = rows(store, "SELECT sum(amount_cents) FROM funding")
    amounts = pq.read_table(parquet / "funding.parquet").column("amount_eur").to_pylist()
    assert sum(a for a in amounts if a is not None) * 100 == cents  # exact: decimals, not floats
    flags = pq.read_table(parquet / "runs.parquet").column("saw_whole_atlas").to_pylist()
    assert flags == [True, True, True, False, False, True]


def test_the_trend_reads_the_history_and_shows_pruned_runs(runs: dict[str, Any], tmp_path: Path) -> None:
    assert set(HISTORY_COLUMNS) <= {c.name for c in RUNS_TABLE.columns}
    copy = tmp_path / "runs"
    shutil.copytree(runs["dir"], copy, symlinks=True)
    for gone in folders.all_runs(copy)[:4]:
        shutil.rmtree(gone)
    last = folders.all_runs(copy)[-1]
    earlier = earlier_runs(last / REPORT)
    assert [r.folder for r in earlier] == [m["run"].name for m in runs["runs"][:5]]
    assert all(r.from_history for r in earlier)
    assert [r.changes_detail["removed"] for r in earlier][3:] == [0, 0]


def test_a_run_still_being_written_is_left_for_the_next_update(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    records = World(PROJECTS).truth(BASE)["records"]
    write_run(runs_dir, week(1), records)
    running = write_run(runs_dir, week(2), records[:10], report=False)
    lock = folders.RunLock(runs_dir / LOCK)
    assert lock.acquire("a crawl")
    try:
        done = history.update(runs_dir, with_parquet=False, tell=lambda line: None)
    finally:
        lock.release()
    assert done.added == [folders.all_runs(runs_dir)[0].name]
    assert done.left == [f"{running.name}: still being written by a crawl; added by the next update"]
    done = history.update(runs_dir, with_parquet=False, tell=lambda line: None)
    assert done.added == [running.name]  # the crawl is gone: it was killed; its records count


def test_a_folder_older_than_the_last_run_is_named_and_a_rebuild_places_it(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    one, two = World(PROJECTS).truth(BASE)["records"], World(PROJECTS, edition=2).truth(BASE)["records"]
    first = write_run(runs_dir, week(1), one)
    second = write_run(runs_dir, week(2), two)
    history.update(runs_dir, with_parquet=False, tell=lambda line: None)
    late = runs_dir / "2026-01-01T000000Z"  # copied in afterwards, numbered before both
    shutil.copytree(first, late)
    (late / ".sequence").write_text("0\n", encoding="utf-8")
    done = history.update(runs_dir, with_parquet=False, tell=lambda line: None)
    assert done.added == [] and done.left[0].startswith(f"{late.name}: older than the history's last run")
    history.rebuild(runs_dir, with_parquet=False, tell=lambda line: None)
    assert [f for (f,) in rows(runs_dir / HISTORY, "SELECT folder FROM runs ORDER BY run_no")] == [
        late.name, first.name, second.name]  # fmt: skip


def test_unreadable_records_are_named_and_end_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    runs_dir = tmp_path / "runs"
    records = World(PROJECTS).truth(BASE)["records"]
    write_run(runs_dir, week(1), records)
    bad = write_run(runs_dir, week(2), [])
    (bad / RECORDS).write_text('{"type": "project", "id": "1"}\nnot json\n{"type": "project", "id": "2"}\n', "utf-8")
    assert main([str(runs_dir), "--no-parquet"]) == 1
    assert f"{bad.name}/{RECORDS}:2: not a JSON record" in capsys.readouterr().err
    assert rows(runs_dir / HISTORY, "SELECT records, removed, unknown FROM runs WHERE run_no = 2") == [(None, 0, 0)]
    ((open_versions,),) = rows(runs_dir / HISTORY, "SELECT count(*) FROM versions WHERE to_run IS NULL")
    assert open_versions == len(records)


def test_refusals_say_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    runs_dir = tmp_path / "runs"
    write_run(runs_dir, week(1), World(PROJECTS).truth(BASE)["records"])
    lock = folders.RunLock(runs_dir / ".history.lock")
    assert lock.acquire("another update")
    try:
        assert main([str(runs_dir)]) == 2
        assert "being updated by pid" in capsys.readouterr().err
    finally:
        lock.release()
    assert main([str(runs_dir), "--no-parquet"]) == 0
    with closing(sqlite3.connect(runs_dir / HISTORY)) as db, db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'format'")
    assert main([str(runs_dir)]) == 2
    assert "rebuild it" in capsys.readouterr().err
    (runs_dir / HISTORY).write_bytes(b"not a database at all" * 100)
    assert main([str(runs_dir)]) == 2
    assert "not a history" in capsys.readouterr().err
    assert main([str(tmp_path / "nowhere")]) == 2


def test_a_finished_but_incomplete_run_removes_nothing(tmp_path: Path) -> None:
    """A run whose outcome says it was not complete (a list short of its count, a page
    robots.txt forbade, a records file not stored whole) ends no record: it may have
    missed them. Its report's failures, unreadable, vouch for nothing either."""
    runs_dir = tmp_path / "runs"
    records = World(PROJECTS).truth(BASE)["records"]
    write_run(runs_dir, week(1), records)
    short = write_run(runs_dir, week(2), records[:5])
    report = json.loads((short / REPORT).read_text("utf-8"))
    report["outcome"] = {"exit_code": 1, "meaning": "incomplete", "incomplete_because": ["1 list short of its count"]}
    (short / REPORT).write_text(json.dumps(report), encoding="utf-8")
    garbled = write_run(runs_dir, week(3), records[:5])
    report["outcome"], report["failures"] = {"exit_code": 0}, [{"reason": "no url"}]
    (garbled / REPORT).write_text(json.dumps(report), encoding="utf-8")
    history.update(runs_dir, with_parquet=False, tell=lambda line: None)
    found = rows(runs_dir / HISTORY, "SELECT saw_whole_atlas, removed, unknown FROM runs ORDER BY run_no")
    assert found == [(1, 0, 0), (0, 0, len(records) - 5), (0, 0, len(records) - 5)]
    (reason,) = rows(runs_dir / HISTORY, "SELECT reason FROM changes WHERE run_no = 2 LIMIT 1")[0]
    assert reason == "the run was not complete (1 list short of its count)"


def test_records_of_no_known_type_are_named_and_left_out(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    records = World(PROJECTS).truth(BASE)["records"]
    write_run(runs_dir, week(1), [*records, {"type": "partner", "id": "1"}])
    done = history.update(runs_dir, with_parquet=False, tell=lambda line: None)
    assert done.added and rows(runs_dir / HISTORY, "SELECT count(*) FROM versions") == [(len(records),)]
    (note,) = rows(runs_dir / HISTORY, "SELECT note FROM runs")[0]
    assert note == "1 records of no known type left out (first: ('partner', '', '1'))"


def test_the_crawl_survives_a_history_bug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the history raises, the scheduled job says it in one line and goes on
    (status.json and pruning come after it)."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("url")

    monkeypatch.setattr(crawl.history, "update", broken)
    assert crawl.add_to_history(tmp_path) == "history not updated: KeyError: 'url'"
