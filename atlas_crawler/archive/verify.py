"""``python -m atlas_crawler.verify DIR``: check an archival dump against its
manifest (every file's size and SHA-256, no file missing or added, every WARC
record whole with right digests, record counts, the record-to-capture map, the
CDXJ index and the WACZ package, all recomputed).

Exit status: 0 verified; 1 a mismatch (each line names its file); 2 usage
(no such directory included); 3 incomplete (no manifest: the crawl was killed or has not ended), with the last
complete record it can be read up to."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atlas_crawler import helptext
from atlas_crawler.archive import manifest as manifest_module
from atlas_crawler.archive.finish import PROVENANCE, write_cdxj
from atlas_crawler.archive.layout import CAPTURES, CDXJ, MANIFEST, WACZ, WARC_DIR, warc_files
from atlas_crawler.archive.scan import TruncatedError, iter_members, parse_record
from atlas_crawler.files import sha256_file

VERIFIED, MISMATCH, INCOMPLETE = "verified", "mismatch", "incomplete"
MAX_LISTED = 5  # findings of one kind listed one by one; the rest are counted


@dataclass
class WarcScan:
    """What reading one WARC file found."""

    counts: Counter[str] = field(default_factory=Counter)
    records: dict[int, tuple[str, str]] = field(default_factory=dict)  # offset -> (WARC-Record-ID, type)
    last: dict[str, Any] | None = None  # the last complete record
    truncated: TruncatedError | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    status: str
    problems: list[str] = field(default_factory=list)  # each names its file
    notes: list[str] = field(default_factory=list)


def scan_warc(path: Path) -> WarcScan:
    """Every record read and its digests checked; stops at a truncated record."""
    scan = WarcScan()
    with path.open("rb") as fh:
        try:
            for member in iter_members(fh):
                try:
                    record = parse_record(member, check_digests=True)
                    record.content_stream().read()
                except Exception as error:  # any unreadable record is a finding, never a crash
                    scan.problems.append(f"unreadable record at offset {member.offset}: {error}")
                    continue
                headers = record.rec_headers
                record_id = headers.get_header("WARC-Record-ID")
                if record.digest_checker.passed is False:
                    issues = "; ".join(str(p) for p in record.digest_checker.problems)
                    scan.problems.append(f"record {record_id} at offset {member.offset}: {issues}")
                scan.counts[record.rec_type] += 1
                scan.records[member.offset] = (record_id, record.rec_type)
                scan.last = {
                    "offset": member.offset,
                    "type": record.rec_type,
                    "id": record_id,
                    "uri": headers.get_header("WARC-Target-URI"),
                    "date": headers.get_header("WARC-Date"),
                }
        except TruncatedError as error:
            scan.truncated = error
    return scan


def verify(directory: Path) -> Verdict:
    if not directory.is_dir():
        return Verdict(MISMATCH, [f"{directory}: no such directory"])
    if not (directory / MANIFEST).is_file():
        return incomplete(directory, f"no {MANIFEST}: the crawl did not finish")
    try:
        manifest = json.loads((directory / MANIFEST).read_text("utf-8"))
        listed: dict[str, dict[str, Any]] = manifest["files"]
    except (ValueError, KeyError, TypeError) as error:
        return Verdict(MISMATCH, [f"{MANIFEST}: unreadable ({error})"])
    problems = check_files(directory, listed)
    scans = {path.name: scan_warc(path) for path in warc_files(directory)}
    for name, scan in scans.items():
        problems += [f"{WARC_DIR}/{name}: {p}" for p in scan.problems]
        if scan.truncated is not None:
            problems.append(f"{WARC_DIR}/{name}: {scan.truncated}")
    problems += check_counts(manifest, scans)
    problems += check_captures(directory, scans)
    problems += check_index(directory, listed)
    problems += check_wacz(directory, manifest)
    total = sum(sum(s.counts.values()) for s in scans.values())
    notes = [f"{len(listed)} files, {len(scans)} WARC files, {total} WARC records"]
    return Verdict(MISMATCH if problems else VERIFIED, problems, notes)


def incomplete(directory: Path, why: str) -> Verdict:
    """A dump that was not finished: how far it can be read."""
    notes = [why]
    problems: list[str] = []
    last: tuple[str, dict[str, Any]] | None = None
    for path in warc_files(directory):
        scan = scan_warc(path)
        problems += [f"{WARC_DIR}/{path.name}: {p}" for p in scan.problems]
        state = f"ends with a {scan.truncated}" if scan.truncated else "ends with a complete record"
        notes.append(f"{WARC_DIR}/{path.name}: {sum(scan.counts.values())} complete records, {state}")
        if scan.last is not None:
            last = (path.name, scan.last)
    if last is None:
        notes.append("no complete WARC record")
    else:
        name, record = last
        notes.append(
            f"last complete record: {record['type']} {record['id']} {record['uri'] or ''} "
            f"({record['date']}) in {WARC_DIR}/{name} at offset {record['offset']}"
        )
    return Verdict(INCOMPLETE, problems, notes)


def check_files(directory: Path, listed: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    present = {p.relative_to(directory).as_posix() for p in manifest_module.dump_files(directory)}
    for name in sorted(set(listed) - present):
        problems.append(f"{name}: missing (listed in {MANIFEST})")
    for name in sorted(present - set(listed)):
        problems.append(f"{name}: not listed in {MANIFEST} (added after the dump was made?)")
    for name in sorted(set(listed) & present):
        path = directory / name
        expected = listed[name]
        if path.stat().st_size != expected.get("size"):
            problems.append(f"{name}: size {path.stat().st_size}, the manifest says {expected.get('size')}")
        elif sha256_file(path) != expected.get("sha256"):
            problems.append(f"{name}: SHA-256 differs from the manifest's (the file was changed)")
    return problems


def check_counts(manifest: dict[str, Any], scans: dict[str, WarcScan]) -> list[str]:
    problems = []
    expected = manifest.get("warc_records", {}).get("per_file", {})
    for name in sorted(set(expected) | set(scans)):
        found = dict(sorted(scans[name].counts.items())) if name in scans else {}
        if found != expected.get(name, {}):
            problems.append(f"{WARC_DIR}/{name}: records per type {found}, the manifest says {expected.get(name, {})}")
    return problems


def check_captures(directory: Path, scans: dict[str, WarcScan]) -> list[str]:
    """Every record's line names a response record at the file and offset it gives."""
    problems: list[str] = []
    path = directory / CAPTURES
    if not path.is_file():
        return problems
    wrong = 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                capture = json.loads(line)
                refs = [capture, *capture.get("table_pages", [])]
            except (ValueError, AttributeError):
                problems.append(f"{CAPTURES}: line {number} is not a JSON object")
                continue
            for ref in refs:
                scan = scans.get(str(ref.get("warc_filename")))
                found = scan.records.get(ref.get("warc_offset")) if scan else None
                if found is None or found[0] != ref.get("warc_record_id") or found[1] != "response":
                    wrong += 1
                    if wrong > MAX_LISTED:
                        continue
                    problems.append(
                        f"{CAPTURES}: line {number} names {ref.get('warc_record_id')} at "
                        f"{ref.get('warc_filename')}:{ref.get('warc_offset')}, which is not that response record"
                    )
    if wrong > MAX_LISTED:
        problems.append(f"{CAPTURES}: {wrong - MAX_LISTED} more lines name records that are not there")
    return problems


def check_index(directory: Path, listed: dict[str, Any]) -> list[str]:
    """The CDXJ index, written again from the WARC files, must be the same bytes."""
    if CDXJ not in listed or not (directory / CDXJ).is_file():
        return []
    with tempfile.TemporaryDirectory() as scratch:
        rebuilt = Path(scratch)
        (rebuilt / WARC_DIR).mkdir()
        for path in warc_files(directory):
            (rebuilt / WARC_DIR / path.name).symlink_to(path.resolve())
        try:
            write_cdxj(rebuilt)
        except Exception as error:  # cdxj-indexer on a damaged file: a finding, never a crash
            message = str(error).splitlines()[0][:120] if str(error) else ""
            return [f"{CDXJ}: the WARC files cannot be indexed again ({type(error).__name__}: {message})"]
        if (rebuilt / CDXJ).read_bytes() != (directory / CDXJ).read_bytes():
            return [f"{CDXJ}: differs from the index of the WARC files as they are"]
    return []


def check_wacz(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """The WACZ's datapackage: each resource's hash and size recomputed from the zip,
    its digest file, its WARC copies equal to the dump's WARC files, and its provenance
    (``logs/``): the manifest without the WACZ's own line, copies of the dump's files."""
    listed: dict[str, Any] = manifest["files"]
    path = directory / WACZ
    if WACZ not in listed or not path.is_file():
        return []
    problems = []
    archived: set[str] = set()
    try:
        with zipfile.ZipFile(path) as wacz:
            package_bytes = wacz.read("datapackage.json")
            package = json.loads(package_bytes)
            digest = json.loads(wacz.read("datapackage-digest.json"))
            if digest.get("hash") != "sha256:" + hashlib.sha256(package_bytes).hexdigest():
                problems.append(f"{WACZ}: datapackage-digest.json does not match datapackage.json")
            for resource in package.get("resources", []):
                algorithm, _, expected = str(resource.get("hash", "")).partition(":")
                hasher = hashlib.new(algorithm or "sha256")
                size = 0
                with wacz.open(resource["path"]) as member:
                    while block := member.read(1 << 20):
                        hasher.update(block)
                        size += len(block)
                if hasher.hexdigest() != expected or size != resource.get("bytes"):
                    problems.append(f"{WACZ}: {resource['path']} does not match its datapackage hash")
                own_name = copy_of(str(resource["path"]), listed)
                if own_name is None:
                    continue  # the index, the page list, the crawl log, the data packages: their own hash only
                if own_name.startswith(f"{WARC_DIR}/"):
                    archived.add(own_name)
                own = listed.get(own_name)
                if own is None or own["sha256"] != hasher.hexdigest():
                    problems.append(f"{WACZ}: {resource['path']} is not the dump's {own_name}")
            problems += check_provenance(wacz, manifest)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        return [f"{WACZ}: unreadable ({type(error).__name__}: {error})"]
    for name in sorted({n for n in listed if n.startswith(f"{WARC_DIR}/")} - archived):
        problems.append(f"{WACZ}: does not hold {name}")
    return problems


def copy_of(resource: str, listed: dict[str, Any]) -> str | None:
    """The dump's file a WACZ resource is a copy of: a WARC file, or a file of the
    provenance (JSON documents there are gzipped: their hash is checked by ``check_provenance``)."""
    folder, _, name = resource.partition("/")
    if folder == "archive":
        return f"{WARC_DIR}/{name}"
    return name if folder == PROVENANCE and name in listed else None


def check_provenance(wacz: zipfile.ZipFile, manifest: dict[str, Any]) -> list[str]:
    """The manifest the WACZ carries is this one, less the WACZ's own line; its gzipped
    copies of the dump's JSON documents are the dump's files."""
    inner_path = f"{PROVENANCE}/{MANIFEST}.gz"
    if inner_path not in wacz.namelist():
        if manifest.get("format") == manifest_module.FORMAT_WITHOUT_PROVENANCE:
            return []  # made before WACZ packages carried their provenance
        return [f"{WACZ}: holds no {inner_path} (the dump's provenance)"]
    inner = json.loads(gzip.decompress(wacz.read(inner_path)))
    listed = manifest["files"]
    expected = {**manifest, "files": {k: v for k, v in listed.items() if k != WACZ}}
    problems = [] if inner == expected else [f"{WACZ}: {inner_path} differs from {MANIFEST} (less the WACZ's line)"]
    for member in wacz.namelist():
        name = member.removeprefix(f"{PROVENANCE}/").removesuffix(".gz")
        if not (member.startswith(f"{PROVENANCE}/") and member.endswith(".gz") and name in listed):
            continue
        if hashlib.sha256(gzip.decompress(wacz.read(member))).hexdigest() != listed[name]["sha256"]:
            problems.append(f"{WACZ}: {member} is not the dump's {name}")
    return problems


EXIT = {VERIFIED: 0, MISMATCH: 1, INCOMPLETE: 3}
EXIT_USAGE = 2  # argparse's own code for bad arguments


def main(argv: list[str] | None = None) -> int:
    parser = helptext.parser("python -m atlas_crawler.verify", __doc__)
    parser.add_argument("directory", type=Path, help="the dump directory (ATLAS_ARCHIVE_DIR of the crawl)")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():  # nothing to verify: a usage error, not a mismatch
        why = "not a directory" if args.directory.exists() else "no such directory"
        print(f"{parser.prog}: {args.directory}: {why}", file=sys.stderr)
        return EXIT_USAGE
    verdict = verify(args.directory)
    print(f"{verdict.status}: {args.directory}")
    for note in verdict.notes:
        print(f"  {note}")
    for problem in verdict.problems:
        print(f"  {problem}")
    return EXIT[verdict.status]


if __name__ == "__main__":
    sys.exit(main())
