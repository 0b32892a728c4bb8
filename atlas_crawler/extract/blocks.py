"""Blocks by their lines: a block (the embassy's contacts) is the run of text
lines after its heading, until the next thing the page names, whatever holds
the lines (``p``, ``div``, ``li``, ``address``, ``br``, table rows or cells); the
heading names the block with its words and quotes its name (``"…"``, ``« … »``,
``“…”``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from atlas_crawler.extract.text import clean

_QUOTES = " \u00a0:\"'«»“”„‟‹›"


@dataclass
class Block:
    """A block: its heading as shown, the name its heading quotes, its lines."""

    heading: str
    name: str | None
    lines: list[str] = field(default_factory=list)


@lru_cache(maxsize=64)
def _heading_words(prefix: str) -> re.Pattern[str]:
    """The heading's words as a pattern (any spaces between them, any case)."""
    return re.compile(r"\s+".join(re.escape(word) for word in prefix.split()), re.IGNORECASE)


def read_block(heading: str, prefix: str, text: str) -> Block:
    """A block from its heading line, the words that name it (a label key) and
    the raw text after the heading."""
    heading = clean(heading) or ""
    match = _heading_words(prefix).search(heading)
    rest = heading[match.end() :] if match else " ".join(heading.split()[len(prefix.split()) :])
    name = rest.strip(_QUOTES) or None
    lines = [line for line in (clean(line) for line in (clean(text) or "").split("\n")) if line]
    return Block(heading, name, lines)
