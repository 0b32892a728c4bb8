"""Field accuracy of the parser on generated markup: N random project and
collectivity pages (``tests/markup_gen.py``, seeded), parsed as a crawl would,
each field compared with the record the page was rendered from.

    .venv/bin/python benchmarks/field_accuracy.py [-n 500] [--seed 0] [--show FIELD] [--dump DIR]

Prints, per record type and field, the share of pages on which the field is
exact, then the pages on which a field failed (``--show``) or writes them to
``DIR`` (``--dump``) to be opened with ``python -m atlas_crawler.parse``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from tests.markup_gen import Page, RandomChooser, collectivity_page, project_page
from tests.mutations import parse


def measure(n: int, seed: int) -> tuple[dict[str, dict[str, float]], list[tuple[Page, dict[str, Any], list[str]]]]:
    """Accuracy per type and field over ``n`` pages of each type, and the failures."""
    failures: list[tuple[Page, dict[str, Any], list[str]]] = []
    accuracy: dict[str, dict[str, float]] = {}
    for kind, make in (("project", project_page), ("collectivity", collectivity_page)):
        exact: Counter[str] = Counter()
        fields: list[str] = []
        for i in range(n):
            page = make(RandomChooser(seed * 1_000_003 + i))
            got = parse(page)
            fields = [k for k in page.record if k not in ("type", "id", "url")]
            wrong = [k for k in fields if got.get(k) != page.record[k]]
            exact.update(k for k in fields if k not in wrong)
            if wrong:
                failures.append((page, got, wrong))
        accuracy[kind] = {k: exact[k] / n for k in fields}
    return accuracy, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="pages of each type (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", help="print the first failing pages of this field")
    parser.add_argument("--dump", type=Path, help="write failing pages (page.html, meta.json, expected/got) here")
    parser.add_argument("--json", action="store_true", help="print the accuracy table as JSON")
    args = parser.parse_args()

    accuracy, failures = measure(args.n, args.seed)
    if args.json:
        print(json.dumps(accuracy, indent=2))
    else:
        for kind, fields in accuracy.items():
            overall = sum(fields.values()) / len(fields)
            pages = sum(1 for p, _, _ in failures if p.record["type"] == kind)
            print(f"\n{kind}: {args.n} pages, field accuracy {overall:.4f}, pages with a wrong field {pages}")
            for name, share in fields.items():
                print(f"  {name:36s} {share:.4f}")
    if args.show:
        shown = [f for f in failures if args.show in f[2]][:3]
        for page, got, _ in shown:
            print("\n---", page.url, page.headers)
            print("expected:", json.dumps(page.record[args.show], ensure_ascii=False)[:1500])
            print("got:     ", json.dumps(got.get(args.show), ensure_ascii=False)[:1500])
    if args.dump:
        for n, (page, got, wrong) in enumerate(failures):
            folder = args.dump / f"{n:04d}-{'-'.join(wrong)[:80]}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "page.html").write_bytes(page.body)
            (folder / "meta.json").write_text(json.dumps({"url": page.url, "headers": page.headers}))
            (folder / "expected.json").write_text(json.dumps(page.record, ensure_ascii=False, indent=1))
            (folder / "got.json").write_text(json.dumps(got, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
