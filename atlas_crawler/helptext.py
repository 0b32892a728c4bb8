"""The help of the ``python -m atlas_crawler.<name>`` commands: their module
docstrings, written in reStructuredText for whoever reads the code, shown as plain
text in a terminal (no double backticks, no ``:func:`` roles), so that one text
serves both and cannot drift."""

from __future__ import annotations

import argparse
import inspect
import re
import shutil
import textwrap
from typing import Any

#: ``:func:`name```, ``:ref:`title <target>```, ``:py:class:`~a.b.C```.
_ROLE = re.compile(r":[A-Za-z][\w.+-]*(?::[A-Za-z][\w.+-]*)?:`([^`]+)`")
#: ````literal````.
_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)
#: ```interpreted``` and ```link`_`` (after the literals are gone).
_INTERPRETED = re.compile(r"`([^`]+)`_{0,2}")
#: ``*emphasis*`` and ``**strong**``, not a lone star (``warc/*.warc.gz``).
_EMPHASIS = re.compile(r"(?<![\w*/])(\*{1,2})(?=\S)([^*\n]+?)(?<=\S)\1(?![\w*])")
#: A paragraph kept line by line: a list, or indented lines (an example).
_KEEP_LINES = re.compile(r"^\s*([-*•]|\d+[.)])\s|^\s", re.MULTILINE)


def _role_text(match: re.Match[str]) -> str:
    """What Sphinx shows for a role: the title of ``title <target>``, the last part
    of ``~a.b.c``, else the target itself."""
    text = match.group(1)
    titled = re.fullmatch(r"(.+?)\s*<[^<>]+>", text, re.DOTALL)
    if titled:
        return titled.group(1)
    if text.startswith("~"):
        return text[1:].rsplit(".", 1)[-1]
    return text


def plain(doc: str | None, width: int | None = None) -> str:
    """``doc`` without reStructuredText markup, each paragraph refilled to ``width``
    (default: the terminal's, as argparse does; lists and indented lines kept as they are)."""
    text = inspect.cleandoc(doc or "")
    text = _ROLE.sub(_role_text, text)
    text = _LITERAL.sub(r"\1", text)
    text = _INTERPRETED.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    width = width or max(40, min(shutil.get_terminal_size().columns - 2, 100))
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if _KEEP_LINES.search(paragraph.strip("\n")):
            paragraphs.append(paragraph)
        else:
            paragraphs.append(textwrap.fill(" ".join(paragraph.split()), width))
    return "\n\n".join(paragraphs)


def parser(prog: str, doc: str | None, **kwargs: Any) -> argparse.ArgumentParser:
    """The command's argument parser, its description ``doc`` as plain text with its
    paragraphs kept (argparse's default formatter would run them together)."""
    return argparse.ArgumentParser(
        prog=prog,
        description=plain(doc),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **kwargs,
    )
