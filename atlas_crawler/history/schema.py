"""The history store's tables, declared once as the exports declare theirs
(``output.export.tables.Table``), so that SQLite, Parquet and Datasette's
descriptions come from one place.

- ``runs``: one row per run, in the order the runs were made.
- ``versions``: every version of every record (type, kind, id), with the run it
  appeared in (``from_run``, ``valid_from``), the run it was replaced or removed in
  (``to_run``, ``valid_to``; null while it is the atlas's present), the last run that
  saw it; ``version_records``: the record itself as JSON. Apart, because every run sets
  ``last_seen_run`` on every version it read again: SQLite rewrites a whole row to change
  one cell, and a row with its record is a page of its own (measured: 470 ms an update at
  100 runs of 2,000 projects, against 8 ms for narrow rows).
- ``changes`` and ``field_changes``: one row per change a run made to the history
  (added, removed, changed, unknown), and one per changed field with its old and new value.
- the exports' record tables (``projects``, ``funding``, ``collectivities``…), one
  row set per version: the version's flat columns as the exports have them, keyed by
  ``version_id`` (money in integer cents, as the SQLite export stores it)."""

from __future__ import annotations

from dataclasses import replace

from atlas_crawler.output.export.tables import TABLES, Column, ForeignKey, Table
from atlas_crawler.output.export.writers import stored_table

#: Bumped when a table changes shape: a store of another format is rebuilt, not updated.
FORMAT = 1
META = "meta"
RUNS, VERSIONS, VERSION_RECORDS = "runs", "versions", "version_records"
CHANGES, FIELD_CHANGES = "changes", "field_changes"
VERSION_ID = "version_id"

_KEY = (
    Column("type", "string", None, "The record's type: project or collectivity.", {"required": True}),
    Column("kind", "string", None, "The collectivity's kind (french or foreign); null for a project."),
    Column("id", "string", None, "The record's id, as the atlas writes it.", {"required": True}),
)


def _run_ref(name: str, what: str, required: bool = False) -> Column:
    return Column(name, "integer", None, f"{what} (runs.run_no).", {"required": True} if required else {})


RUNS_TABLE = Table(
    RUNS,
    None,
    "Passages",
    "One row per crawl of the atlas the history holds, in the order the runs were made; a run whose "
    "folder was deleted since stays here.",
    (
        Column("run_no", "integer", None, "The run's place in the history, from 1.", {"required": True}),
        Column("folder", "string", None, "The run folder's name (its UTC start stamp).", {"required": True}),
        Column("sequence", "integer", None, "The run folder's own number in the order runs were made (0: older "
               "than numbering)."),
        Column("started_at", "datetime", None, "When the run started (its report; else its folder's stamp). "
               "The date a version is valid from or to.", {"required": True}),
        Column("finished_at", "datetime", None, "When the run finished (null: it left no report)."),
        Column("finish_reason", "string", None, "Scrapy's finish reason (finished, shutdown, closespider_…)."),
        Column("exit_code", "integer", None, "The crawl's exit status (0 complete, 1 incomplete, …; null: none "
               "recorded)."),
        Column("meaning", "string", None, "What the exit status means (« complete with known gaps »…)."),
        Column("readable", "boolean", None, "False when the run left no readable report.", {"required": True}),
        Column("saw_whole_atlas", "boolean", None, "True when the run walked the whole atlas: only such a run "
               "removes the records it did not see.", {"required": True}),
        Column("records", "integer", None, "Records the run wrote (distinct keys of its records file)."),
        Column("failures", "integer", None, "Pages that failed in the run."),
        Column("known_gaps", "integer", None, "Failed pages the site itself refused (complete with known gaps)."),
        Column("doubts", "integer", None, "Records the run doubted."),
        Column("added", "integer", None, "Records this run added to the history.", {"required": True}),
        Column("removed", "integer", None, "Records this run ended (it saw the whole atlas without them).",
               {"required": True}),
        Column("changed", "integer", None, "Records this run gave a new version.", {"required": True}),
        Column("unknown", "integer", None, "Records of the history this run did not see and could not end (its "
               "page failed, or the run did not see the whole atlas): kept as they were.", {"required": True}),
        Column("records_sha256", "string", None, "SHA-256 of the run's records file as the history read it."),
        Column("note", "string", None, "Why the run's records or report could not be read, when so."),
    ),
    ("run_no",),
    indexes=(("folder",), ("started_at",)),
)  # fmt: skip

VERSIONS_TABLE = Table(
    VERSIONS,
    None,
    "Versions des enregistrements",
    "Every version of every record: what the atlas said of it from one run (valid_from) until the run that "
    "changed or removed it (valid_to, null while it is current). A record no run could see again (its page "
    "failed) keeps its version open: last_seen_run says when it was last read.",
    (
        Column(VERSION_ID, "integer", None, "The version's number in the history.", {"required": True}),
        *_KEY,
        Column("label", "string", None, "The project's title or the collectivity's name, in this version."),
        Column("valid_from", "datetime", None, "When the run that first read this version started.",
               {"required": True}),
        Column("valid_to", "datetime", None, "When the run that changed or removed it started (null: current)."),
        _run_ref("from_run", "The run that first read this version", required=True),
        _run_ref("to_run", "The run that changed or removed it (null: current)"),
        _run_ref("last_seen_run", "The last run that read the record in this version", required=True),
        Column("doubted", "boolean", None, "True when the crawl that read this version doubted it."),
    ),
    (VERSION_ID,),
    (ForeignKey(("from_run",), RUNS, ("run_no",)), ForeignKey(("to_run",), RUNS, ("run_no",)),
     ForeignKey(("last_seen_run",), RUNS, ("run_no",))),
    indexes=(("type", "kind", "id"), ("from_run",), ("to_run",)),
)  # fmt: skip

VERSION_RECORDS_TABLE = Table(
    VERSION_RECORDS,
    None,
    "Enregistrements des versions",
    "Each version's record as JSON, as the run that first read it wrote it (json_extract(record, '$.title') in "
    "SQLite, json(record) in DuckDB).",
    (
        Column(VERSION_ID, "integer", None, "The version (versions.version_id).", {"required": True}),
        Column("record", "object", None, "The record (JSON).", {"required": True}),
    ),
    (VERSION_ID,),
    (ForeignKey((VERSION_ID,), VERSIONS, (VERSION_ID,)),),
)

CHANGES_TABLE = Table(
    CHANGES,
    None,
    "Changements",
    "One row per change a run made to the history: a record added, removed or changed, or unknown (the run "
    "did not see it and could not tell whether it was gone; its version stays open).",
    (
        Column("change_no", "integer", None, "The change's number in the history.", {"required": True}),
        _run_ref("run_no", "The run", required=True),
        Column("change", "string", None, "added, removed, changed or unknown.", {"required": True}),
        *_KEY,
        Column("url", "string", None, "The record's page."),
        Column("reason", "string", None, "Why an unknown record could not be ended."),
        Column("fields", "object", None, "The changed fields, each {old, new} (JSON)."),
    ),
    ("change_no",),
    (ForeignKey(("run_no",), RUNS, ("run_no",)),),
    indexes=(("run_no",), ("type", "kind", "id")),
)  # fmt: skip

FIELD_CHANGES_TABLE = Table(
    FIELD_CHANGES,
    None,
    "Champs modifiés",
    "One row per field a run found changed in a record, with its old and new value (JSON).",
    (
        Column("change_no", "integer", None, "The change (changes.change_no).", {"required": True}),
        Column("field", "string", None, "The record field.", {"required": True}),
        _run_ref("run_no", "The run", required=True),
        *_KEY,
        Column("old", "object", None, "Its value before (JSON; null: absent)."),
        Column("new", "object", None, "Its value after (JSON; null: absent)."),
    ),
    ("change_no", "field"),
    (ForeignKey(("change_no",), CHANGES, ("change_no",)), ForeignKey(("run_no",), RUNS, ("run_no",))),
    indexes=(("field",), ("type", "kind", "id")),
)  # fmt: skip

_VERSION_COLUMN = Column(VERSION_ID, "integer", None, "The version these rows belong to (versions.version_id).",
                         {"required": True})  # fmt: skip


def version_table(table: Table) -> Table:
    """An export table holding one row set per version: ``version_id`` first, then
    the export's columns; keyed by the version and the export's own key."""
    return replace(
        table,
        description=f"{table.description} One row set per version of the record (versions.version_id).",
        columns=(_VERSION_COLUMN, *table.columns),
        primary_key=(VERSION_ID, *table.primary_key),
        foreign_keys=(ForeignKey((VERSION_ID,), VERSIONS, (VERSION_ID,)),),
        indexes=((VERSION_ID,), *table.indexes),
    )


#: The export's record tables (not its doubts table), as the history holds them.
RECORD_TABLES: tuple[Table, ...] = tuple(version_table(t) for t in TABLES if t.record_type is not None)
#: Every table, as Parquet and the data dictionary show them (money in euros).
HISTORY_TABLES: tuple[Table, ...] = (
    RUNS_TABLE,
    VERSIONS_TABLE,
    VERSION_RECORDS_TABLE,
    CHANGES_TABLE,
    FIELD_CHANGES_TABLE,
    *RECORD_TABLES,
)


def sqlite_table(table: Table) -> Table:
    """``table`` as SQLite holds it (money in integer cents)."""
    return stored_table(table, "sqlite")
