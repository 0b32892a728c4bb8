"""Doubts: what a parse could not explain on its page.

A record whose page holds text no field, no ``extra`` entry and no declared page
chrome claims, or whose reading contradicts itself, is still written (it is the
best reading there is), but it carries doubts: each names the rule that raised
it and quotes the text (a few words), so that a maintainer can write the missing
rule from it. On a parsed item they travel under ``item["doubts"]`` (a list of
``Doubt.as_json()``), which is no field of the record: the doubts pipeline takes
it off before the record is written.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Visible text inside the record's content that nothing claims (a value skipped).
UNCLAIMED = "unclaimed_text"
#: One text claimed twice: by two fields, or by a field and a title or header.
CLAIMED_TWICE = "claimed_twice"
#: A known label, statement or column name in a role it does not have (a label's
#: words as a table header, a statement as a table's title, a known column in a
#: table that fits no spec).
MISPLACED = "misplaced_vocabulary"
#: A value that cannot be one: another label's words, a control's caption, a
#: pager, text the page does not show to a reader.
IMPLAUSIBLE = "implausible_value"
#: The page fits more than one page type, or a pager fits no one table.
AMBIGUOUS = "ambiguous_structure"

RULES = (UNCLAIMED, CLAIMED_TWICE, MISPLACED, IMPLAUSIBLE, AMBIGUOUS)

_QUOTE_CHARS = 80


@dataclass(frozen=True)
class Doubt:
    """One reason to doubt a record: the rule, the field concerned (if any) and
    the text that raised it."""

    rule: str
    text: str
    field: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"rule": self.rule, "field": self.field, "text": quote(self.text)}


def quote(text: str) -> str:
    """A text as a doubt quotes it: one line, at most 80 characters."""
    line = " ".join(text.split())
    return line if len(line) <= _QUOTE_CHARS else line[: _QUOTE_CHARS - 1].rstrip() + "…"
