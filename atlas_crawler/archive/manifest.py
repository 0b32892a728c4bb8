"""``manifest.json``: what a dump holds and how it was made, so that it can be
checked years later (``python -m atlas_crawler.verify``): every file with its
size and SHA-256, WARC record counts per type, the run's start and end, the
crawler's version and commit, the versions of every installed distribution and
of the output schemas."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import atlas_crawler
from atlas_crawler.archive.layout import MANIFEST, warc_files
from atlas_crawler.archive.scan import iter_records
from atlas_crawler.files import sha256_file, sync_directory

#: dump/2: the WACZ carries the dump's provenance (``logs/``); dump/1 dumps do not.
FORMAT = "atlas-crawler dump/2"
FORMAT_WITHOUT_PROVENANCE = "atlas-crawler dump/1"
PARTIAL = ".partial"


def dump_files(directory: Path) -> list[Path]:
    """Every file of the dump but the manifest and temporary files, sorted by relative
    path. Temporary files (``*.partial``, hidden ``.*.part``) are a write under way or
    left by a killed run: never part of the dump, so never listed nor checked."""
    return sorted(
        (
            p
            for p in directory.rglob("*")
            if p.is_file() and p.relative_to(directory).as_posix() != MANIFEST and not is_temporary(p)
        ),
        key=lambda p: p.relative_to(directory).as_posix(),
    )


def is_temporary(path: Path) -> bool:
    """A file being written under a temporary name (the manifest's, ``files.replace_atomically``'s)."""
    return path.name.endswith(PARTIAL) or (path.name.startswith(".") and path.name.endswith(".part"))


def file_entries(directory: Path) -> dict[str, dict[str, Any]]:
    return {p.relative_to(directory).as_posix(): file_entry(p) for p in dump_files(directory)}


def file_entry(path: Path) -> dict[str, Any]:
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}


def record_counts(directory: Path, known: Mapping[str, Counter[str]] | None = None) -> dict[str, Any]:
    """WARC records per type, over all files and per file: ``known`` for the files this
    run wrote (counted as written), read back for the others (earlier runs of a job)."""
    total: Counter[str] = Counter()
    per_file: dict[str, dict[str, int]] = {}
    for path in warc_files(directory):
        if known is not None and path.name in known:
            counts = Counter(known[path.name])
        else:
            counts = Counter(record.rec_type for _, record in iter_records(path))
        per_file[path.name] = dict(sorted(counts.items()))
        total.update(counts)
    return {"total": dict(sorted(total.items())), "per_file": per_file}


def dependency_versions() -> dict[str, str]:
    """Every installed distribution: the environment that parsed and wrote the dump."""
    versions = {(d.metadata["Name"] or "").lower(): d.version for d in metadata.distributions()}
    return dict(sorted((k, v) for k, v in versions.items() if k))


def schema_versions() -> dict[str, dict[str, str | None]]:
    """Each output schema's ``$id``, version and SHA-256 (the contract the records were validated against)."""
    schemas = resources.files("atlas_crawler").joinpath("schemas")
    found: dict[str, dict[str, str | None]] = {}
    for entry in sorted(schemas.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".schema.json"):
            text = entry.read_bytes()
            schema = json.loads(text)
            found[entry.name] = {
                "$id": schema.get("$id"),
                "version": schema.get("version"),
                "sha256": hashlib.sha256(text).hexdigest(),
            }
    return found


def build(
    directory: Path,
    *,
    started_at: datetime,
    finished_at: datetime,
    finish_reason: str | None,
    commit: str | None,
    settings: dict[str, Any],
    known_counts: Mapping[str, Counter[str]] | None = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "started_at": started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finished_at": finished_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "finish_reason": finish_reason,
        "crawler": {"name": "atlas-crawler", "version": atlas_crawler.__version__, "git_commit": commit},
        "settings": settings,
        "warc_records": record_counts(directory, known_counts),
        "schemas": schema_versions(),
        "dependencies": dependency_versions(),
        "files": file_entries(directory),
    }


def write(directory: Path, manifest: dict[str, Any]) -> Path:
    """Written last, through a temporary name, synced: a dump with a manifest is a
    finished dump. Temporary files a killed run left in the dump are removed first;
    if the manifest cannot be written (a full disk), its temporary file is removed too."""
    for stale in (p for p in directory.rglob("*") if p.is_file() and is_temporary(p)):
        stale.unlink(missing_ok=True)
    path = directory / MANIFEST
    partial = path.with_name(path.name + PARTIAL)
    try:
        with partial.open("w", encoding="utf-8") as out:
            out.write(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    sync_directory(directory)
    return path
