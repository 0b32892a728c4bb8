"""The history as the browsing server's second database (atlas_crawler/serve/history.py):
where it is found, the copy the server serves, its metadata, and every canned query,
run with sqlite3 on the copy and checked against an oracle computed here from the run
folders' records (the atlas as the history should know it after each run).

Six weekly runs of a 30-project replica whose atlas changes every week (editions),
from 12 January 2026 to 16 February: two months; the third run's crawl failed a project
page (the site's soft error: its record and the records reached through it are kept as
they were), the fifth was stopped with half of the records (it can end none)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from datasette.app import Datasette

from atlas_crawler import history
from atlas_crawler.files import HISTORY
from atlas_crawler.history.schema import HISTORY_TABLES
from atlas_crawler.history.store import dump
from atlas_crawler.records import RecordKey, record_key
from atlas_crawler.replica.runs import BASE, write_run
from atlas_crawler.replica.world import World
from atlas_crawler.run import folders
from atlas_crawler.serve import __main__ as serve_main
from atlas_crawler.serve.history import copy_history, default_history, history_metadata

START = datetime(2026, 1, 12, 3, 0, tzinfo=UTC)
PROJECTS = 30
RUNS = 6
FAULTY = 3  # a project page fails for good (complete with known gaps)
INTERRUPTED = 5  # stopped (finish reason shutdown) with half of the records
IGNORED = {"crawled_at"}  # differs on every run, never a change (run.changes.IGNORED_FIELDS)
Record = dict[str, Any]


@dataclass
class Run:
    """One run as the test wrote it: what it read, and what it could hide."""

    started_at: str
    read: dict[RecordKey, Record]
    whole: bool  # walked the whole atlas: may end what it did not read
    failed_projects: set[str]


def write_runs(runs_dir: Path) -> list[Run]:
    """The six run folders (see the module's docstring) and the history of them."""
    runs = []
    for n in range(1, RUNS + 1):
        truth = World(PROJECTS, edition=n, faults=n == FAULTY).truth(BASE)
        moment = START + timedelta(weeks=n - 1)
        records = truth["records"]
        if n == INTERRUPTED:
            records = records[::2]  # part of the projects and of the collectivities
            write_run(runs_dir, moment, records, finish_reason="shutdown")
        else:
            write_run(runs_dir, moment, records, failed_urls=truth["failed_urls"])
        failed = {parse_qs(urlsplit(url).query)["criteres.prjId"][0] for url in truth["failed_urls"]}
        read = {record_key(r): {k: v for k, v in r.items() if k not in IGNORED} for r in records}
        runs.append(Run(moment.strftime("%Y-%m-%dT%H:%M:%SZ"), read, n != INTERRUPTED, failed))
    history.update(runs_dir, with_parquet=False, tell=lambda _: None)
    return runs


def known_atlas(runs: list[Run]) -> list[dict[RecordKey, Record]]:
    """After each run, the atlas as the history should know it: what the run read, and
    each earlier record it did not read but could not prove gone (it did not walk the
    whole atlas, or the record's page, or a project it is reached through, failed)."""
    states, state = [], {}
    for run in runs:

        def hidden(key: RecordKey, record: Record, run: Run = run) -> bool:
            through = {str(p) for p in record.get("project_ids") or []}
            return (
                not run.whole
                or (key[0] == "project" and key[2] in run.failed_projects)
                or bool(through & run.failed_projects)
            )

        state = {**{k: v for k, v in state.items() if k not in run.read and hidden(k, v)}, **run.read}
        states.append(state)
    return states


@dataclass
class Version:
    record: Record
    first: int  # run index it was first read
    last_seen: int  # the last run index that read it
    end: int | None  # the run index that changed or removed it


def versions_of(key: RecordKey, runs: list[Run], states: list[dict[RecordKey, Record]]) -> list[Version]:
    out: list[Version] = []
    for i, state in enumerate(states):
        record = state.get(key)
        current = out[-1] if out and out[-1].end is None else None
        if current is not None and record != current.record:
            current.end, current = i, None
        if record is not None and current is None:
            current = Version(record, i, i, None)
            out.append(current)
        if current is not None and runs[i].read.get(key) == record:
            current.last_seen = i
    return out


def euros(amounts: list[Any]) -> str | None:
    """The exact sum of the known amounts, as the queries write it; None: no amount."""
    known = [Decimal(str(a)) for a in amounts if a is not None]
    return f"{sum(known, Decimal(0)):.2f}" if known else None


@pytest.fixture(scope="module")
def history_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Run]]:
    runs_dir = tmp_path_factory.mktemp("history") / "runs"
    return runs_dir, write_runs(runs_dir)


@pytest.fixture(scope="module")
def runs(history_runs: tuple[Path, list[Run]]) -> list[Run]:
    return history_runs[1]


@pytest.fixture(scope="module")
def states(runs: list[Run]) -> list[dict[RecordKey, Record]]:
    return known_atlas(runs)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, history_runs: tuple[Path, list[Run]]) -> Path:
    return copy_history(history_runs[0] / HISTORY, tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def spec(served: Path) -> dict[str, Any]:
    return history_metadata(served)


def query(served: Path, spec: dict[str, Any], name: str, **params: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(served)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(spec["queries"][name]["sql"], params)]
    finally:
        db.close()


def test_the_scenario_has_every_kind_of_change(states: list[dict[RecordKey, Record]], runs: list[Run]) -> None:
    assert runs[FAULTY - 1].failed_projects
    kept = [k for i in range(1, RUNS) for k in states[i - 1] if k not in runs[i].read and k in states[i]]
    ended = [k for i in range(1, RUNS) for k in states[i - 1] if k not in states[i]]
    assert kept and ended
    assert {r.started_at[:7] for r in runs} == {"2026-01", "2026-02"}


def test_versions_of_every_project_and_collectivity(
    served: Path, spec: dict[str, Any], runs: list[Run], states: list[dict[RecordKey, Record]]
) -> None:
    keys = set().union(*states)
    changed = 0
    for key in keys:
        expected = versions_of(key, runs, states)
        changed += len(expected) > 1
        if key[0] == "project":
            rows = query(served, spec, "versions_d_un_projet", id=key[2])
            got = [(r["titre"], r["statut"], r["forme_du_partenariat"], r["lignes_de_financement"],
                    r["financement_eur"]) for r in rows]  # fmt: skip
            want = [(v.record["title"], v.record["status"], v.record["partnership_form"], len(v.record["funding"]),
                     euros([line["amount_eur"] for line in v.record["funding"]])) for v in expected]  # fmt: skip
        else:
            rows = query(served, spec, "versions_d_une_collectivite", kind=key[1], id=key[2])
            got = [(r["nom"], r["site"], r["projets"]) for r in rows]
            want = [(v.record["name"], v.record["website"], len(v.record["project_ids"])) for v in expected]
        assert got == want, key
        dates = [(r["depuis"], r["jusqu_a"], r["vu_la_derniere_fois"]) for r in rows]
        assert dates == [
            (runs[v.first].started_at, None if v.end is None else runs[v.end].started_at, runs[v.last_seen].started_at)
            for v in expected
        ], key
    assert changed


def test_changes_of_a_record_field_by_field(
    served: Path, spec: dict[str, Any], runs: list[Run], states: list[dict[RecordKey, Record]]
) -> None:
    expected: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for i in range(1, RUNS):
        for key, after in states[i].items():
            before = states[i - 1].get(key)
            if before is None:  # added: no field changed
                continue
            for name in before.keys() | after.keys():
                if before.get(name) != after.get(name):
                    expected[key[2]].add((runs[i].started_at, key[0], key[1] or None, name, json.dumps(
                        before.get(name)), json.dumps(after.get(name))))  # fmt: skip
    assert expected
    for record_id, want in expected.items():
        rows = query(served, spec, "changements_d_un_enregistrement", id=record_id, type="")
        got = {(r["date"], r["type"], r["genre"], r["champ"], _json(r["avant"]), _json(r["apres"])) for r in rows}
        assert got == want, record_id
        projects = query(served, spec, "changements_d_un_enregistrement", id=record_id, type="project")
        assert {r["champ"] for r in projects} == {w[3] for w in want if w[1] == "project"}


def _json(text: str | None) -> str:
    """A stored JSON value, spelt as json.dumps spells it (SQL null: JSON null)."""
    return json.dumps(None if text is None else json.loads(text))


def test_added_removed_changed_unknown_per_month(
    served: Path, spec: dict[str, Any], runs: list[Run], states: list[dict[RecordKey, Record]]
) -> None:
    counts: dict[tuple[str, str, str | None], Counter[str]] = defaultdict(Counter)
    kinds = {(k[0], k[1] or None) for state in states for k in state}
    for i, (run, state) in enumerate(zip(runs, states, strict=True)):
        before = states[i - 1] if i else {}
        for key in before.keys() | state.keys():
            cell = counts[run.started_at[:7], key[0], key[1] or None]
            if key not in before:
                cell["ajoutes"] += 1
            elif key not in state:
                cell["retires"] += 1
            elif key not in run.read:
                cell["inconnus"] += 1
            elif before[key] != state[key]:
                cell["modifies"] += 1
    months = Counter(run.started_at[:7] for run in runs)
    want = sorted(
        (month, record_type, kind, *(counts[month, record_type, kind][c] for c in
                                     ("ajoutes", "retires", "modifies", "inconnus")), months[month])
        for month in months for record_type, kind in kinds
    )  # fmt: skip
    rows = query(served, spec, "ajouts_et_retraits_par_mois")
    columns = ("mois", "type", "genre", "ajoutes", "retires", "modifies", "inconnus", "passages")
    assert sorted(tuple(r[c] for c in columns) for r in rows) == want


def test_projects_by_status_after_each_run(
    served: Path, spec: dict[str, Any], runs: list[Run], states: list[dict[RecordKey, Record]]
) -> None:
    want = {
        (run.started_at, status, n)
        for run, state in zip(runs, states, strict=True)
        for status, n in Counter(r["status"] for k, r in state.items() if k[0] == "project").items()
    }
    rows = query(served, spec, "projets_par_statut_dans_le_temps")
    assert {(r["date"], r["statut"], r["projets"]) for r in rows} == want
    assert [r["passage"] for r in rows] == sorted(r["passage"] for r in rows)


def test_funding_per_country_year_and_run_is_exact(
    served: Path, spec: dict[str, Any], runs: list[Run], states: list[dict[RecordKey, Record]]
) -> None:
    totals: dict[tuple[str, str, Any], list[Any]] = defaultdict(lambda: [set(), 0, Decimal(0)])
    for run, state in zip(runs, states, strict=True):
        for key, record in state.items():
            if key[0] != "project":
                continue
            for country in {p["country"] for p in record["foreign_partners"] if p.get("country")}:
                for line in record["funding"]:
                    cell = totals[run.started_at, country, line["year"]]
                    cell[0].add(key[2])
                    cell[1] += 1
                    cell[2] += Decimal(str(line["amount_eur"] or 0))
    want = {(*k, len(v[0]), v[1], f"{v[2]:.2f}") for k, v in totals.items()}
    rows = query(served, spec, "financements_par_pays_et_annee_par_passage", pays="")
    got = {(r["date"], r["pays"], r["annee"], r["projets"], r["lignes"], r["montant_eur"]) for r in rows}
    assert got == want
    country = Counter(k[1] for k in totals).most_common(1)[0][0]
    rows = query(served, spec, "financements_par_pays_et_annee_par_passage", pays=country)
    assert {(r["date"], r["pays"], r["annee"]) for r in rows} == {k for k in totals if k[1] == country}


def test_the_atlas_as_it_stood_on_a_date(
    served: Path, spec: dict[str, Any], runs: list[Run], states: list[dict[RecordKey, Record]]
) -> None:
    days = [START + timedelta(days=d) for d in range(-1, 7 * RUNS, 3)]
    for day in days:
        date = day.strftime("%Y-%m-%d")
        before = [i for i, run in enumerate(runs) if run.started_at[:10] <= date]
        state = states[before[-1]] if before else {}
        for record_type in ("", "project", "collectivity"):
            rows = query(served, spec, "l_atlas_a_une_date", date=date, type=record_type)
            want = {(k[0], k[1] or None, k[2], r.get("title") or r.get("name")) for k, r in state.items()
                    if record_type in ("", k[0])}  # fmt: skip
            assert {(r["type"], r["genre"], r["id"], r["nom"]) for r in rows} == want, (date, record_type)
    assert query(served, spec, "l_atlas_a_une_date", date=runs[0].started_at[:10], type="")
    assert not query(served, spec, "l_atlas_a_une_date", date="2026-01-11", type="")


def test_metadata_describes_every_table_and_query_in_french(served: Path, spec: dict[str, Any]) -> None:
    assert spec["title"] == "Historique de l'atlas" and spec["description"]
    db = sqlite3.connect(served)
    tables = {t.name for t in HISTORY_TABLES}
    assert set(spec["tables"]) == tables | {"meta"} and spec["tables"]["meta"] == {"hidden": True}
    for name in tables:
        table = spec["tables"][name]
        columns = {r[1] for r in db.execute(f"PRAGMA table_info([{name}])")}
        assert set(table["columns"]) == columns and all(table["columns"].values()), name
        assert table["title"] and table["description"], name
        assert set(table.get("facets", ())) <= columns, name
    assert spec["tables"]["versions"]["label_column"] == "label"
    assert spec["tables"]["funding"]["columns"]["amount_cents"].startswith("« ")
    assert spec["tables"]["changes"]["facets"] == ["change", "type"]
    for name, canned in spec["queries"].items():
        assert canned["title"] and canned["description"], name
        db.execute("EXPLAIN " + canned["sql"], dict.fromkeys(_parameters(canned["sql"]), ""))  # it compiles
    assert set(spec["queries"]) == {
        "versions_d_un_projet", "versions_d_une_collectivite", "changements_d_un_enregistrement",
        "ajouts_et_retraits_par_mois", "projets_par_statut_dans_le_temps",
        "financements_par_pays_et_annee_par_passage", "l_atlas_a_une_date",
    }  # fmt: skip
    db.close()


def _parameters(sql: str) -> set[str]:
    return set(re.findall(r":(\w+)", sql))


def test_datasette_runs_a_canned_query(served: Path, spec: dict[str, Any], runs: list[Run]) -> None:
    ds = Datasette([str(served)], immutables=[], metadata={"databases": {"history": spec}})
    project = next(k[2] for k in runs[-1].read if k[0] == "project")

    async def ask() -> dict[str, Any]:
        return (await ds.client.get(f"/history/versions_d_un_projet.json?id={project}&_shape=objects")).json()

    answer = asyncio.run(ask())
    assert answer["rows"] and {r["titre"] for r in answer["rows"]} >= {runs[-1].read["project", "", project]["title"]}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_copy_is_whole_and_never_the_original(tmp_path: Path, history_runs: tuple[Path, list[Run]]) -> None:
    store = history_runs[0] / HISTORY
    before = _digest(store)
    copy = copy_history(store, tmp_path / "a")
    assert copy == tmp_path / "a" / HISTORY and dump(copy) == dump(store)
    with pytest.raises(ValueError, match="serves a copy"):
        copy_history(store, store.parent)
    # a crawl adding a run meanwhile: the copy holds the store as it was before that run
    writer = sqlite3.connect(store)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE runs SET note = 'being written' WHERE run_no = 1")
        copy = copy_history(store, tmp_path / "b")
    finally:
        writer.rollback()
        writer.close()
    assert dump(copy) == dump(store)
    assert _digest(store) == before


def test_where_the_history_is(tmp_path: Path, history_runs: tuple[Path, list[Run]], monkeypatch) -> None:
    runs_dir = history_runs[0]
    run = folders.all_runs(runs_dir)[-1]
    store = runs_dir / HISTORY
    assert default_history(run) == store
    assert default_history(run / "records.jsonl") == store
    (runs_dir / "latest").symlink_to(run.name)
    try:
        assert default_history(runs_dir / "latest") == store
    finally:
        (runs_dir / "latest").unlink()
    elsewhere = tmp_path / "atlas.jsonl"
    elsewhere.touch()
    monkeypatch.setenv("ATLAS_RUNS_DIR", str(runs_dir))
    assert default_history(elsewhere) == store
    monkeypatch.setenv("ATLAS_RUNS_DIR", str(tmp_path / "none"))
    assert default_history(elsewhere) is None


def test_the_command_serves_the_history_beside_the_atlas(
    tmp_path: Path, history_runs: tuple[Path, list[Run]], monkeypatch
) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(serve_main.cli, "main", lambda args, **_: started.append(args))
    run = folders.all_runs(history_runs[0])[-1]
    assert serve_main.main([str(run), "--dir", str(tmp_path / "a"), "--port", "9999"]) == 0
    spec = json.loads((tmp_path / "a" / "metadata.json").read_text("utf-8"))
    assert set(spec["databases"]) == {"atlas", "history"}
    assert spec["databases"]["history"]["title"] == "Historique de l'atlas"
    args = started[-1]
    assert [args[i + 1] for i, a in enumerate(args) if a == "-i"] == [str(tmp_path / "a" / n) for n in
                                                                       ("atlas.sqlite", HISTORY)]  # fmt: skip
    assert serve_main.main([str(run), "--dir", str(tmp_path / "b"), "--no-history"]) == 0
    assert set(json.loads((tmp_path / "b" / "metadata.json").read_text("utf-8"))["databases"]) == {"atlas"}
    assert started[-1].count("-i") == 1 and not (tmp_path / "b" / HISTORY).exists()
    assert serve_main.main([str(run), "--dir", str(tmp_path / "c"), "--history", str(tmp_path / "none")]) == 1


def test_a_store_left_with_a_hot_journal_is_copied_rolled_back(tmp_path: Path) -> None:
    """An update killed mid-write leaves a journal that a read-only connection cannot roll
    back: the copy is then taken by a connection that can, and holds the store as it was."""
    runs_dir = tmp_path / "runs"
    write_runs(runs_dir)
    store = runs_dir / HISTORY
    (before,) = sqlite3.connect(store).execute("SELECT count(*) FROM runs").fetchone()
    killed = (
        "import os, sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA cache_size = 1'); "
        "db.execute('BEGIN'); db.execute('DELETE FROM versions'); db.execute('DELETE FROM runs'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", killed, str(store)], check=True)
    assert store.with_name(HISTORY + "-journal").exists()
    copy = copy_history(store, tmp_path / "served")
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM runs").fetchone() == (before,)
