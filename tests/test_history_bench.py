"""The history benchmark's parts: ``World.next_edition`` gives exactly the world the
constructor builds for that edition (the benchmark advances a world a week at a time
instead of rebuilding it), and a small benchmark keeps every run in the store when
the run folders are deleted, its rebuild giving the same store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atlas_crawler.replica.runs import BASE
from atlas_crawler.replica.world import World
from benchmarks import history_bench

PROJECTS = 30


def test_next_edition_is_the_constructors_edition() -> None:
    # faults on and truth read before each step: the soft errors and the lists by country
    # are cached from the previous edition, and must not survive the step
    world = World(PROJECTS, faults=True)
    world.truth(BASE)
    for edition in (2, 3):
        world.next_edition()
        built = World(PROJECTS, faults=True, edition=edition)
        assert world.edition == built.edition == edition
        assert world.truth(BASE) == built.truth(BASE)
    assert World(PROJECTS, faults=True, edition=3).truth(BASE) != World(PROJECTS, faults=True).truth(BASE)


@pytest.mark.parametrize("keep_folders", [False, True])
def test_a_small_benchmark_keeps_every_run(tmp_path: Path, keep_folders: bool) -> None:
    out = tmp_path / "history_benchmark.json"
    argv = ["--projects", str(PROJECTS), "--runs", "4", "--json", str(out)] + (
        ["--keep-folders"] if keep_folders else []
    )
    history_bench.main(argv)  # its exit status says whether updates met a time goal: not asserted
    result = json.loads(out.read_text("utf-8"))
    series, end = result["series"], result["end"]
    assert [r["run"] for r in series] == [1, 2, 3, 4]
    assert series[0]["added"] == series[0]["records"] > PROJECTS
    assert all(r["added"] and r["removed"] and r["changed"] for r in series[1:])  # the world changed every week
    assert end["rows"]["runs"] == 4
    assert end["rows"]["versions"] == sum(r["added"] + r["changed"] for r in series)
    # without the folders, the rebuild can only take runs 1-3 from the old store
    assert end["rebuild_runs_replayed_from_old_store"] == (0 if keep_folders else 3)
    assert end["rebuild_runs_from_folders"] == (4 if keep_folders else 1)
    assert end["rebuild_gives_the_same_store"]
    snapshots = [r["snapshots_bytes"] for r in series]
    assert snapshots == sorted(snapshots) and result["figures"]["snapshots_bytes"] == snapshots[-1]
