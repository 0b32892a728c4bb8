"""Checkbox statements by their words: a statement's state is whatever shows it
next to the statement in reading order, before or after it, in the same element
or a neighbouring cell or block: a checkbox ``input``, a box image (``alt``,
``title`` or file name), the words Oui/Non, a ✔/✘/☑/☐ glyph.

Pairing, most telling first: the state in the statement's own text; the box a
``label for=`` names; the one state in the smallest element around the
statement that holds a state and no other statement or label; else the state
right before or right after it, statements with one such neighbour first, so a
run of statements that all show their box on the same side pairs up.
"""

from __future__ import annotations

from bisect import bisect_left

from lxml import etree

from atlas_crawler.extract.flow import BOX, NEWLINE, TEXT, Flow
from atlas_crawler.extract.labels import (
    STATEMENT,
    Mark,
    glyph_state,
    indicator_state,
    tag,
    whole_element,
    without_glyphs,
)
from atlas_crawler.extract.text import clean, clean_line

#: Marks that end the search for a statement's state (others belong to someone else).
_OWNERS = frozenset({"label", "unknown", "statement", "block", "table", "title"})
_MAX_STATEMENT = 200


def _input_ids(flow: Flow) -> dict[str, int]:
    """Checkbox ``id`` -> its token."""
    boxes = ((flow.owners[i], i) for i in flow.states)
    return {el.get("id"): i for el, i in boxes if tag(el) == "input" and el.get("id")}


def _free(indicators: list[int], start: int, end: int, claimed: set[int]) -> list[int]:
    """The unclaimed states among tokens ``[start, end)``."""
    return [i for i in indicators[bisect_left(indicators, start) : bisect_left(indicators, end)] if i not in claimed]


def read_states(flow: Flow, marks: list[Mark]) -> set[int]:
    """Set ``state`` on every statement mark that has one and return the tokens
    that showed them (they are no part of any value). ``marks`` are sorted."""
    indicators = [i for i in range(len(flow)) if flow.content[i] and indicator_state(flow, i) is not None]
    claimed: set[int] = set()
    ids = _input_ids(flow)
    owners = sorted(m.at for m in marks if m.kind in _OWNERS)
    open_statements: list[Mark] = []
    for mark in marks:
        if mark.kind != STATEMENT or mark.state is not None:
            continue
        box = ids.get(mark.element.get("for")) if tag(mark.element) == "label" else None
        if box is not None and box not in claimed:
            mark.state = flow.states[box]
            claimed.add(box)
            continue
        open_statements.append(mark)
    deferred = [m for m in open_statements if not _from_container(flow, m, indicators, owners, claimed)]
    _from_neighbours(flow, deferred, indicators, marks, claimed)
    return claimed


def _claim(flow: Flow, mark: Mark, i: int, claimed: set[int]) -> None:
    mark.state = indicator_state(flow, i)
    claimed.add(i)


def _from_container(flow: Flow, mark: Mark, indicators: list[int], owners: list[int], claimed: set[int]) -> bool:
    """The one state in the smallest element around the statement that shows one,
    if that element holds no other statement or label."""
    el = mark.element if mark.element is not None else flow.owners[mark.at]
    while el is not None and tag(el) not in ("body", "html"):
        start, end = flow.span(el)
        found = _free(indicators, start, end, claimed)
        if found:
            others = bisect_left(owners, end) - bisect_left(owners, start) - 1
            if others:
                return False
            _claim(flow, mark, min(found, key=lambda i: abs(i - mark.at)), claimed)
            return True
        el = el.getparent()
    return False


def _from_neighbours(
    flow: Flow, deferred: list[Mark], indicators: list[int], marks: list[Mark], claimed: set[int]
) -> None:
    """States right next to statements in a run without wrappers: those with a
    single free neighbour first, then by the side the page uses most."""
    positions = [m.at for m in marks]
    sides = {"before": 0, "after": 0}
    pending = list(deferred)
    while pending:
        progress = False
        for mark in list(pending):
            before, after = _neighbours(flow, mark, indicators, marks, positions, claimed)
            if (before is None) != (after is None):
                choice = before if before is not None else after
                sides["before" if choice == before else "after"] += 1
                _claim(flow, mark, choice, claimed)
                pending.remove(mark)
                progress = True
            elif before is None:
                pending.remove(mark)
        if not progress and pending:
            mark = pending.pop(0)
            before, after = _neighbours(flow, mark, indicators, marks, positions, claimed)
            _claim(flow, mark, after if sides["after"] > sides["before"] else before, claimed)


def _neighbours(
    flow: Flow, mark: Mark, indicators: list[int], marks: list[Mark], positions: list[int], claimed: set[int]
) -> tuple[int | None, int | None]:
    """The free state just before and just after a statement, with nothing to read between."""
    k = bisect_left(positions, mark.at)
    prev_at = marks[k - 1].end if k > 0 else 0
    next_at = marks[k + 1].at if k + 1 < len(marks) else len(flow)
    before = _free(indicators, prev_at, mark.at, claimed)
    after = _free(indicators, mark.end, next_at, claimed)
    left = before[-1] if before and not flow.has_content(before[-1] + 1, mark.at) else None
    right = after[0] if after and not flow.has_content(mark.end, after[0]) else None
    return left, right


def unknown_statements(flow: Flow, marks: list[Mark], claimed: set[int], taken: set[int]) -> list[Mark]:
    """Statements the page type does not know, shown with a box or a glyph: their
    text is the ``label for=`` the box, the text around the box in the smallest
    element that holds some, or the text beside a glyph in the same run."""
    found: list[Mark] = []
    labels_for = _labels_for(flow)
    positions = sorted(m.at for m in marks)
    for i in range(len(flow)):
        if i in claimed or i in taken or not flow.content[i]:
            continue
        if flow.kinds[i] == TEXT:
            state = glyph_state(flow.texts[i])
            if state is None:
                continue
            text = clean(without_glyphs(flow.texts[i]))
            if text and len(text) <= _MAX_STATEMENT:
                found.append(Mark(STATEMENT, i, text, state=state, element=whole_element(flow, i)))
                taken.add(i)
                continue
        elif flow.kinds[i] != BOX:
            continue
        state = indicator_state(flow, i)
        label = labels_for.get(flow.owners[i].get("id") or "")
        tokens = _statement_tokens(flow, i, label, positions, claimed | taken)
        text = _statement_text(flow, tokens, i) if tokens else None
        if text and state is not None and len(text) <= _MAX_STATEMENT:
            claimed.add(i)
            taken.update(tokens)
            found.append(Mark(STATEMENT, tokens[0], text, state=state, end=tokens[-1] + 1))
    return found


def _statement_text(flow: Flow, tokens: list[int], box: int) -> str | None:
    """The words of a statement as one line: the spaces and line breaks between
    its pieces kept (``Rapport final<br>transmis``), the box left out."""
    span = range(tokens[0], tokens[-1] + 1)
    return clean_line(flow.text(j for j in span if j != box and flow.kinds[j] in (TEXT, NEWLINE)))


def _labels_for(flow: Flow) -> dict[str, etree._Element]:
    return {el.get("for"): el for el in flow.labels if el.get("for")}


def _statement_tokens(
    flow: Flow, box: int, label: etree._Element | None, positions: list[int], taken: set[int]
) -> list[int]:
    """The text tokens of an unknown statement around ``box``."""
    if label is not None:
        start, end = flow.span(label)
        return [j for j in range(start, end) if flow.kinds[j] == TEXT and flow.content[j]]
    el = flow.owners[box].getparent()
    while el is not None and tag(el) not in ("body", "html"):
        start, end = flow.span(el)
        tokens = [j for j in range(start, end) if j != box and flow.content[j]]
        if tokens:
            named = bisect_left(positions, end) > bisect_left(positions, start)  # a mark inside: no statement
            return [] if named or any(flow.kinds[j] != TEXT or j in taken for j in tokens) else tokens
        el = el.getparent()
    return []
