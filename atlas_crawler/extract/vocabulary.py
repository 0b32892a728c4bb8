"""What a page type knows by its words (``Vocabulary``) and what the reader found
on a page (``Reading``): the two shapes the reader (``reading``), the layouts read
across (``across``) and the accounting (``accounting``) share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from atlas_crawler.extract.blocks import Block
from atlas_crawler.extract.doubts import Doubt
from atlas_crawler.extract.tables import Tables, TableSpec


@dataclass(frozen=True)
class Vocabulary:
    """What a page type knows by its words (all as ``label_key`` spells them):
    labels -> fields, statements -> fields, tables, section titles, block
    headings (the words that start them) -> fields."""

    labels: Mapping[str, str] = field(default_factory=dict)
    statements: Mapping[str, str] = field(default_factory=dict)
    tables: tuple[TableSpec, ...] = ()
    sections: frozenset[str] = frozenset()
    blocks: Mapping[str, str] = field(default_factory=dict)
    #: Fields whose values may be a known label's words (a collectivity of type ``Région``).
    value_words: frozenset[str] = frozenset()
    #: Texts (folded) that are the page type's chrome wherever they stand (the site's title).
    chrome: frozenset[str] = frozenset()
    #: Fields whose value is one line (a name, a year): a value over several lines is doubted.
    one_line: frozenset[str] = frozenset()
    #: For a block written as a table: the words of its columns' headers, in the order
    #: its lines are read (a role, then a name, then an address).
    block_columns: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    @cached_property
    def first_words(self) -> frozenset[str]:
        """The first word of every label, statement, section and block heading."""
        phrases = [*self.labels, *self.statements, *self.sections, *self.blocks]
        return frozenset(phrase.split(" ", 1)[0] for phrase in phrases)

    @cached_property
    def _phrases(self) -> dict[str, str]:
        """Every label and statement (label keys) -> its field."""
        return {**self.labels, **self.statements}

    @cached_property
    def _squeezed(self) -> dict[str, str]:
        return {phrase.replace(" ", ""): name for phrase, name in self._phrases.items()}

    def resembles(self, key: str) -> str | None:
        """The field of the known label or statement that ``key`` (a label key
        that is none of them) is a spelling or a piece of: the same letters
        without their spaces, or its first or last words."""
        if key in self._phrases:
            return self._phrases[key]
        if (name := self._squeezed.get(key.replace(" ", ""))) is not None:
            return name
        if len(key) < 4:
            return None
        return next(
            (
                name
                for phrase, name in self._phrases.items()
                if phrase.endswith(f" {key}") or phrase.startswith(f"{key} ")
            ),
            None,
        )

    @cached_property
    def title_words(self) -> frozenset[str]:
        """The first word of every section title and known table's title."""
        titles = [*self.sections, *(title for spec in self.tables for title in spec.titles)]
        return frozenset(title.split(" ", 1)[0] for title in titles)


@dataclass
class Reading:
    """What a page says: raw value text per field (the first time a label is
    found), statement states per field, the data tables (matched to specs or
    not), blocks per field, and unknown labels and statements in page order."""

    values: dict[str, str] = field(default_factory=dict)
    states: dict[str, bool] = field(default_factory=dict)
    tables: Tables = field(default_factory=lambda: Tables([]))
    blocks: dict[str, Block] = field(default_factory=dict)
    extra: dict[str, str | bool] = field(default_factory=dict)
    #: What the page holds that this reading could not explain (``extract.accounting``).
    doubts: list[Doubt] = field(default_factory=list)
