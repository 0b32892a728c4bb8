"""A markup generator for property tests: a random record (project or
collectivity, valid against ``atlas_crawler/schemas``) rendered as an atlas page
through independent random choices for every element, so that the parser is
tried on markup nobody wrote by hand.

Every element draws its own wrapper (``div``/``label``, ``th``/``td``, layout
``td``/``td``, ``dt``/``dd``, ``p`` + ``b``/``strong``, ``span`` pairs, ``li``,
grid rows of ``div`` without colon or label element, heading + block, text
lines between ``br``, read-only form fields, rows of labels across over rows of
values in a table or a grid), label case, spaces and non-breaking spaces, colon
or not, a label broken over lines or inline pieces or with a required field's
asterisk, how a checkbox statement shows its state (``input``, box image by
``alt``/``title``/file name in any word style, Oui/Non, ✔/✘/☑/☐, before or
after, same element or neighbouring cell/block; images that are no box beside
it), table header and title styles
(its ``summary`` attribute alone among them), results banners and pagers above
or below a table (with or without links), an empty table's placeholder row, two
unknown tables of one name, the embassy block's quotes and line containers, and
the page encoding.

The choices come from a :class:`Chooser`: :func:`hypothesis_chooser` for
property tests (shrinkable), :class:`RandomChooser` for seeded runs
(``benchmarks/field_accuracy.py``). Labels, statements, column names and table
titles are the atlas' real French ones (``tests/pages/project-2431-seed``);
values take the shapes of ``atlas_crawler/replica/world.py``.

What the generator does not produce, because a reader could not tell either:
an unknown label with neither a colon nor the markup of a known label; an
untitled table, but for one right after a statement (its columns tell it); a
statement whose state sits in a block shared with another statement; long-text
lines ending in a colon; an unknown label over lines or pieces with neither a
colon nor a label element; a collectivity type laid out across right before
another label, or alone in its row and looking like its value; a title in bare
bold ending in a colon (before a page number alone, it reads as its label).
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, TypeVar

from hypothesis import strategies as st

from atlas_crawler.replica.world import (
    FIRST_NAMES,
    FOREIGN_TYPES,
    FR_TYPES,
    FUNDERS,
    LAST_NAMES,
    PRIORITIES,
    REGIONS,
    THEMES,
    WORDS,
    ZONES,
)

T = TypeVar("T")
BASE = "https://pastel.diplomatie.gouv.fr/cncdext/dyn/public/atlas/"
ATLAS_PATH = "/cncdext/dyn/public/atlas/"
COUNTRIES = [name for items in ZONES.values() for _, name in items]


# --- choices ------------------------------------------------------------------
class Chooser:
    """Where every random choice comes from."""

    def choice(self, options: Sequence[T]) -> T:
        raise NotImplementedError

    def integer(self, low: int, high: int) -> int:
        raise NotImplementedError

    def chance(self, p: float) -> bool:
        """True with probability about ``p``."""
        return self.integer(0, 999) < p * 1000


class RandomChooser(Chooser):
    """Seeded choices (benchmarks, reproducible runs)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class _DrawChooser(Chooser):
    """Choices drawn by Hypothesis, so that failures shrink to small pages."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def choice(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(list(options)))

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


def hypothesis_chooser(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Chooser:
    return _DrawChooser(draw)


# --- records --------------------------------------------------------------------
def _sentence(c: Chooser, low: int, high: int) -> str:
    text = " ".join(c.choice(WORDS) for _ in range(c.integer(low, high)))
    return text[0].upper() + text[1:] + c.choice([".", " ;", " : « projet »", ".", " (S.A.N.)."])


def _short(c: Chooser, low: int, high: int) -> str:
    return _sentence(c, low, high).rstrip(" .;")


def _long_text(c: Chooser) -> str | None:
    if c.chance(0.1):
        return None
    lines: list[str] = []
    for n in range(c.integer(1, 3)):
        if n:
            lines.append("")
        for _ in range(c.integer(1, 3)):
            lines.append(c.choice(["", "", "• ", "- ", "1/ "]) + _sentence(c, 3, 14))
    if c.chance(0.15):
        lines.append("Contact : www.evry.fr ou info.projet@ville-exemple.fr")
    return "\n".join(lines)


def _place(c: Chooser) -> str:
    towns = ["Kayes", "Ségou", "Rennes", "Évry", "Bouaké", "Hué", "Brest", "Cœuvres", "Thiès", "Mopti", "Fès"]
    return (
        c.choice(["Saint-", "Le ", "La ", "", "Ville-"]) + c.choice(towns) + c.choice(["", " Nord", "-sur-Mer", " II"])
    )


def _collectivity_name(c: Chooser, types: Sequence[str]) -> str:
    return f"{c.choice(types)} de {_place(c)}"


def _email(c: Chooser, first: str, last: str) -> str:
    user = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
    user = user.translate(str.maketrans("éèêëïîôöüçàâ", "eeeeiioouuca"))
    return f"{user}@{c.choice(['mairie-exemple.fr', 'diplomatie.gouv.fr', 'yahoo.fr'])}"


def _amount(c: Chooser) -> int | float | None:
    kind = c.integer(0, 4)
    if kind == 0:
        return 0
    if kind == 1:
        return None
    if kind == 2:
        cents = c.integer(10000, 5000000)
        return cents // 100 if cents % 100 == 0 else cents / 100
    return c.integer(500, 900000)


def _optional(c: Chooser, value: T, p_none: float = 0.2) -> T | None:
    return None if c.chance(p_none) else value


def _documents(c: Chooser) -> list[dict[str, str]]:
    """The rows of an unknown table."""
    return [
        {"Titre": _short(c, 2, 4), "Date": f"{c.integer(1, 28):02d}/{c.integer(1, 12):02d}/{c.integer(2000, 2024)}"}
        for _ in range(c.integer(1, 2))
    ]


def project_record(c: Chooser) -> dict[str, Any]:
    """A project record as the parser must give it (``crawled_at`` aside)."""
    pid = c.integer(1000, 99999)
    theme = c.choice(THEMES)
    start = c.integer(1985, 2022)
    status = c.choice(["En cours", "Terminé", "En cours", None])
    end = None
    if status == "Terminé" or c.chance(0.1):
        end = f"{c.integer(start, 2024):04d}-{c.integer(1, 12):02d}-{c.integer(1, 28):02d}"
    foreign = [
        {
            "name": _collectivity_name(c, FOREIGN_TYPES),
            "country": _optional(c, c.choice(COUNTRIES), 0.1),
            "id": str(c.integer(20000, 40000)),
        }
        for _ in range(c.choice([0, 1, 1, 2, 3]))
    ]
    for partner in foreign:
        linked = c.chance(0.85)
        partner["id"] = partner["id"] if linked else None
        partner["url"] = f"{BASE}detailCollectiviteEtrangere.html?idCollectivite={partner['id']}" if linked else None
    french = []
    for _ in range(c.choice([0, 1, 1, 2, 3])):
        fid = str(c.integer(100, 1999))
        linked = c.chance(0.9)
        french.append(
            {
                "name": _collectivity_name(c, FR_TYPES),
                "id": fid if linked else None,
                "url": f"{BASE}detailCollectiviteFrancaise.html?idCollectivite={fid}" if linked else None,
            }
        )
    names = [p["name"] for p in foreign + french] or ["Commune de Kayes"]
    contacts = []
    for _ in range(c.choice([0, 0, 1, 2])):
        last, first = c.choice(LAST_NAMES), c.choice(FIRST_NAMES)
        contacts.append(
            {
                "collectivity": _optional(c, c.choice(names), 0.1),
                "last_name": last,
                "first_name": _optional(c, first, 0.1),
                "function": c.choice(["Maire", "Secrétaire général", "Maire adjointe", None]),
                "email": _optional(c, _email(c, first, last), 0.2),
            }
        )
    ones = c.choice([0, 1, 3, 3])  # how many 'Montant 1%' columns the funding table has
    funding = [
        {
            "funder": c.choice([*FUNDERS, *names]),
            "amount_eur": _amount(c),
            "one_percent_amounts_eur": [c.choice([0, None, None, c.integer(100, 9000)]) for _ in range(ones)],
            "year": c.choice([start, start + 1, None]),
        }
        for _ in range(c.choice([0, 1, 2, 3, 5]))
    ]
    volunteers = []
    for _ in range(c.choice([0, 0, 1, 2])):
        last, first = c.choice(LAST_NAMES), c.choice(FIRST_NAMES)
        volunteers.append(
            {
                "last_name": last,
                "first_name": first,
                "mission": _sentence(c, 3, 6),
                "field": c.choice(["Développement local et territorial", "Santé", None]),
                "assignment": c.choice([names[0], "Kayes", None]),
            }
        )
    embassy = None
    if c.chance(0.75):
        people = []
        for _ in range(c.choice([1, 2, 2, 3])):
            last, first = c.choice(LAST_NAMES), c.choice(FIRST_NAMES)
            people.append(
                {
                    "role": c.choice(
                        [
                            "Correspondant coopération décentralisée",
                            "Conseiller de coopération et d'action culturelle",
                            "Attaché de coopération",
                        ]
                    ),
                    "name": f"{first} {last}",
                    "email": _email(c, first, last),
                }
            )
        post = c.choice([f"Ambassade de France en {c.choice(COUNTRIES)}", "Ambassade de France à Bamako"])
        embassy = {"name": post, "contacts": people}
    extra: dict[str, Any] = {}
    if c.chance(0.2):
        extra["Référence interne"] = f"CNCD-{c.integer(1000, 9999)}"
    if c.chance(0.1):
        extra["Dossier suivi par"] = f"{c.choice(FIRST_NAMES)} {c.choice(LAST_NAMES)}"
    if c.chance(0.1):
        extra["Rapport final transmis"] = c.chance(0.5)  # an unknown checkbox statement
    if c.chance(0.1):
        extra["Documents joints"] = _documents(c)
        if c.chance(0.3):  # a second unknown table of the same name: both kept, the second numbered
            extra["Documents joints (2)"] = _documents(c)
    return {
        "type": "project",
        "id": str(pid),
        "url": f"{BASE}detailProjet.html?criteres.prjId={pid}",
        "title": _optional(c, _short(c, 3, 10), 0.05),
        "first_agreement_year": c.choice([start, start - 2, None]),
        "theme": _optional(c, theme[0], 0.05),
        "sub_theme": _optional(c, theme[1], 0.1),
        "sub_sub_theme": _optional(c, theme[2], 0.3),
        "other_themes": [
            {
                "theme": t[0],
                "sub_theme": _optional(c, t[1], 0.1),
                "sub_sub_theme": _optional(c, t[2], 0.4),
                "priority": c.choice([*PRIORITIES, None]),
            }
            for t in (c.choice(THEMES) for _ in range(c.choice([0, 0, 1, 3, 5])))
        ],
        "start_year": _optional(c, start, 0.05),
        "status": status,
        "end_date": end,
        "context": _long_text(c),
        "history": _long_text(c),
        "objective": _long_text(c),
        "description": _long_text(c),
        "partnership_form": c.choice(["Projet de coopération décentralisée", "Jumelage", None]),
        "project_managers": [
            c.choice(names) + c.choice(["", " - Mali", ", service international"]) for _ in range(c.choice([0, 1, 2]))
        ],
        "contracting_authorities": [p["name"] for p in french[: c.choice([1, 2])]],
        "beneficiaries": _optional(c, _sentence(c, 4, 10)),
        "foreign_partners": [{k: p[k] for k in ("name", "country", "id", "url")} for p in foreign],
        "foreign_partner_contacts": contacts,
        "french_partners": french,
        "other_partners": [_short(c, 2, 4) for _ in range(c.choice([0, 1, 2]))],
        "triennial": c.choice([True, False, None]),
        "funding": funding,
        "communication_in_france": c.choice([True, False, None]),
        "communication_in_partner_countries": c.choice([True, False, None]),
        "evaluation_policy": c.choice([True, False, None]),
        "volunteers": volunteers,
        "embassy": embassy,
        "extra": extra,
    }


def collectivity_record(c: Chooser) -> dict[str, Any]:
    """A French or foreign collectivity record (``crawled_at`` aside)."""
    kind = c.choice(["french", "foreign"])
    cid = str(c.integer(100, 40000))
    page = "detailCollectiviteFrancaise.html" if kind == "french" else "detailCollectiviteEtrangere.html"
    region = c.choice(REGIONS)
    french = kind == "french"
    types = FR_TYPES if french else FOREIGN_TYPES
    website = None
    name = _collectivity_name(c, types)
    if french and c.chance(0.7):
        website = f"www.{_place(c).lower().replace(' ', '-')}.fr"
    extra = {"Population": f"{c.integer(800, 250000):,}".replace(",", " ")} if c.chance(0.25) else {}
    return {
        "type": "collectivity",
        "id": cid,
        "kind": kind,
        "url": f"{BASE}{page}?idCollectivite={cid}",
        "name": name,
        "collectivity_type": _optional(c, c.choice(types), 0.1),
        "country": "France" if french else _optional(c, c.choice(COUNTRIES), 0.1),
        "region": _optional(c, region[1], 0.1) if french else None,
        "department": _optional(c, c.choice(region[2]), 0.1) if french else None,
        "website": website,
        "project_ids": sorted({str(c.integer(1000, 9999)) for _ in range(c.choice([0, 1, 2, 5, 9]))}, key=int),
        "extra": extra,
    }


# --- text variations --------------------------------------------------------------
APOSTROPHES = ["'", "’"]
COLONS = [":", " :", "\u00a0:", " : ", "&nbsp;:"]
QUOTES = [('"', '"'), ("« ", " »"), ("«\u00a0", "\u00a0»"), ("“", "”"), ("«", "»")]
CHECKED_GLYPHS = ["✔", "☑", "✓"]
UNCHECKED_GLYPHS = ["✘", "☐", "✗"]


def label_text(c: Chooser, label: str, exact: bool = False) -> str:
    """A label as some page might spell it: case, apostrophe, spaces, nbsp (escaped for
    HTML). An ``exact`` label (one ``extra`` keeps as written) only gets spaces."""
    text = label
    if not exact:
        text = text.replace("'", c.choice(APOSTROPHES))
        case = c.choice(["as is", "as is", "upper", "lower"])
        text = text.upper() if case == "upper" else text.lower() if case == "lower" else text
    text = escape(text, quote=False)
    spacing = c.choice(["plain", "plain", "nbsp", "double", "padded", "newline"])
    if spacing == "nbsp":
        text = text.replace(" ", "&nbsp;", c.integer(1, 3))
    elif spacing == "double":
        text = text.replace(" ", "  ", 1)
    elif spacing == "padded":
        text = f"  {text} "
    elif spacing == "newline":
        text = f"\n      {text}\n    "
    return text


def label_pieces(c: Chooser, lab: str) -> str:
    """A label's markup as forms break it (its element's whole text stays the
    label): over lines (``Année de<br>début``), over inline pieces (``<span>Année
    de</span> <b>début</b>``), with a required field's asterisk; or whole."""
    how = c.choice(["whole", "whole", "whole", "lines", "pieces", "required"])
    if how == "required":
        return lab + c.choice(['<span class="obligatoire">*</span>', " *", "<em>*</em>", '<sup class="req">*</sup>'])
    words = lab.split(" ")
    cuts = [n for n in range(1, len(words)) if words[n - 1].strip() and words[n].strip()]  # between two words
    if how == "whole" or not cuts:
        return lab
    chosen = sorted({c.choice(cuts) for _ in range(c.integer(1, 2))})
    parts = [" ".join(words[a:b]) for a, b in zip([0, *chosen], [*chosen, len(words)], strict=True)]
    if how == "lines":
        return _br(c).join(parts)
    return " ".join(f"<{tag}>{part}</{tag}>" for part in parts for tag in [c.choice(["span", "span", "b", "i"])])


def colon(c: Chooser, optional: bool = True) -> str:
    return c.choice(["", "", *COLONS]) if optional else c.choice(COLONS)


def text_html(c: Chooser, text: str) -> str:
    """A single-line value: escaped, with stray spaces or a non-breaking space."""
    html = escape(text, quote=False)
    noise = c.choice(["none", "none", "nbsp", "padded", "newline"])
    if noise == "nbsp" and " " in html:
        return html.replace(" ", "&nbsp;", 1)
    if noise == "padded":
        return f"  {html}  "
    if noise == "newline":
        return f"\n        {html}\n      "
    return html


def _br(c: Chooser) -> str:
    return c.choice(["<br>", "<br/>", "<br />", "<br />\n   "])


def lines_html(c: Chooser, lines: list[str], block_ok: bool) -> str:
    """Several lines (a long text or a list): ``br`` between them, or one block per
    line when the container allows blocks and no line is blank."""
    escaped = [escape(line, quote=False) for line in lines]
    style = c.choice(["br", "br", "p", "div", "li"]) if block_ok and all(lines) else "br"
    if style == "p":
        return "".join(f"<p>{line}</p>" for line in escaped)
    if style == "div":
        return "".join(f"<div>{line}</div>" for line in escaped)
    if style == "li":
        return "<ul>" + "".join(f"<li>{line}</li>" for line in escaped) + "</ul>"
    br = _br(c)
    return br.join(escaped)


def number_html(c: Chooser, value: float | None) -> str:
    if value is None:
        return c.choice(["", "", "&nbsp;"])
    if isinstance(value, float) and not value.is_integer():
        grouped = f"{value:,.2f}".replace(",", c.choice([" ", "\u00a0", "&nbsp;"])).replace(".", ",")
        return grouped + c.choice(["", " €"])
    n = int(value)
    style = c.choice(["plain", "space", "nbsp", "decimals", "euro"])
    if style == "plain" or n == 0:
        return str(n)
    sep = "&nbsp;" if style == "nbsp" else " "
    grouped = f"{n:,}".replace(",", sep)
    return grouped + (",00" if style == "decimals" else " €" if style == "euro" else "")


def email_html(c: Chooser, email: str | None) -> str:
    if not email:
        return ""
    shown = email.replace("@", c.choice(["@", "[at]", " [at] ", "(at)"]))
    if "@" in shown and c.chance(0.3):
        return f'<a href="mailto:{email}">{shown}</a>'
    return shown


# --- label/value pairs ---------------------------------------------------------------
#: Pair styles: how one label and its value are laid out, and the container a run of
#: them shares (None: each stands alone).
PAIR_STYLES = {
    "div-label": None,
    "label-span": None,
    "th-td": "table",
    "td-td": "table",
    "td.libelle-td": "table",
    "dl": "dl",
    "p-b": None,
    "span-pair": None,
    "li": "ul",
    "grid": None,
    "heading": None,
    "br-lines": "lines",
    "input": None,
    "across": "across",
}
#: Styles whose value sits in an inline element or text run: no block inside.
INLINE_VALUE = {"label-span", "p-b", "span-pair", "li", "br-lines"}
#: Styles whose label is the whole text of an element of its own, which may break it
#: (``label_pieces``): not a run of text lines, nor a list item that may hold the value;
#: an unknown label only with a colon or in a label element (else its lines or pieces
#: would read as a value).
PIECES = set(PAIR_STYLES) - {"br-lines", "li"}
#: Labels whose values may be labels' words (a collectivity of type ``Région``): laid out
#: across, none stands right before a known label (a reader would take the row for
#: that label and its value).
VALUE_WORD_LABELS = frozenset({"Type de collectivité"})


@dataclass
class Value:
    """A value to render: its kind (line, lines, long, link) and content."""

    kind: str
    text: str | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.text and not self.lines

    def html(self, c: Chooser, block_ok: bool) -> str:
        if self.empty:
            return c.choice(["", " ", "&nbsp;"])
        if self.kind == "lines":
            return lines_html(c, self.lines, block_ok)
        if self.kind == "long":
            assert self.text is not None
            return lines_html(c, self.text.split("\n"), block_ok)
        if self.kind == "link":
            return f'<a href="http://{escape(self.text or "")}">{escape(self.text or "", quote=False)}</a>'
        return text_html(c, self.text or "")


#: Styles whose label element says it is a label, whatever its words.
LABEL_ELEMENTS = {"div-label", "label-span", "th-td", "dl", "input"}


def pair_html(c: Chooser, style: str, label: str, value: Value, known: bool, sep: str) -> str:
    """One label and its value in ``style``, ``sep`` after the label (a grid row shows
    none for a known label). An unknown label (``known`` False) is written as is."""
    lab = label_text(c, label, exact=not known)
    if style in PIECES and (known or style in LABEL_ELEMENTS or ":" in sep):
        lab = label_pieces(c, lab)  # an unknown label over lines or pieces says it is one
    single = value.kind == "line" and "\n" not in (value.text or "")
    if style == "input" and not single:
        style = "div-label"
    val = value.html(c, block_ok=style not in INLINE_VALUE)
    if style == "div-label":
        return f'<div class="ligne"><label>{lab}{sep}</label>\n  <div class="valeur">{val}</div></div>\n'
    if style == "label-span":
        return f"<div><label>{lab}{sep}</label> <span>{val}</span></div>\n"
    if style == "th-td":
        return f"<tr><th>{lab}{sep}</th><td>{val}</td></tr>\n"
    if style in ("td-td", "td.libelle-td"):
        cls = ' class="libelle"' if style == "td.libelle-td" else ""
        return f"<tr><td{cls}>{lab}{sep}</td><td>{val}</td></tr>\n"
    if style == "dl":
        return f"<dt>{lab}{sep}</dt><dd>{val}</dd>\n"
    if style == "p-b":
        tag = c.choice(["b", "strong"])
        if c.chance(0.5):
            return f"<p><{tag}>{lab}{sep}</{tag}> {val}</p>\n"
        return f"<p><{tag}>{lab}</{tag}>{sep} {val}</p>\n"
    if style == "span-pair":
        return f'<div><span class="libelle">{lab}{sep}</span> <span class="valeur">{val}</span></div>\n'
    if style == "li":  # label and value in one text: a known label (an unknown one would read as a sentence)
        if known and sep.strip(" \u00a0") and single and c.chance(0.5):
            return f"<li>{lab}{sep} {val}</li>\n"
        return f"<li><span>{lab}{sep}</span> {val}</li>\n"
    if style == "grid":  # no colon, unless nothing else tells an unknown label
        lab += "" if known else sep
        return f'<div class="row"><div class="col-4">{lab}</div><div class="col-8">{val}</div></div>\n'
    if style == "heading":
        tag = c.choice(["h3", "h4", "h5"])
        box = c.choice(["div", "p"]) if not value.empty else "div"
        if box == "p" and not single:
            box = "div"
        return f"<{tag}>{lab}{sep}</{tag}>\n<{box}>{val}</{box}>\n"
    if style == "br-lines":
        return f"{lab}{sep}{_br(c)}{val}{_br(c)}\n"
    if style == "input":
        ident = f"f{c.integer(0, 10**6)}"
        raw = escape(value.text or "", quote=True)
        if c.chance(0.5):
            return f'<div><label for="{ident}">{lab}{sep}</label> <input type="text" id="{ident}" readonly value="{raw}"></div>\n'
        return f'<p><label>{lab}{sep}</label><textarea readonly="readonly">{escape(value.text or "", quote=False)}</textarea></p>\n'
    raise ValueError(style)


Pair = tuple[str, str, Value, bool, str]  # style, label, value, known, separator


def pairs_html(c: Chooser, pairs: list[Pair]) -> str:
    """Label/value pairs, each in its own drawn style; consecutive pairs of a style that
    needs a container (table, dl, ul, text lines, rows across) share one."""
    out: list[str] = []
    run_style: str | None = None
    run: list[Pair] = []

    def flush() -> None:
        if not run:
            return
        container = PAIR_STYLES[run_style or ""]
        if container == "across":
            out.append(across_html(c, run))
            run.clear()
            return
        inner = "".join(pair_html(c, *pair) for pair in run)
        if container == "table":
            cls = c.choice(["", ' class="fiche"', ' class="layout" width="100%"'])
            out.append(f"<table{cls}>" + (f"<tbody>{inner}</tbody>" if c.chance(0.5) else inner) + "</table>\n")
        elif container == "dl":
            out.append(f"<dl>{inner}</dl>\n")
        elif container == "ul":
            out.append(f"<ul>{inner}</ul>\n")
        else:
            out.append(f'<div class="{c.choice(["fiche", "texte", "bloc-texte"])}">{inner}</div>\n')
        run.clear()

    for pair in pairs:
        style = pair[0]
        if PAIR_STYLES[style] is None or style != run_style:
            flush()
        run_style = style
        if PAIR_STYLES[style] is None:
            out.append(pair_html(c, *pair))
        else:
            run.append(pair)
    flush()
    return "".join(out)


def across_html(c: Chooser, pairs: list[Pair]) -> str:
    """A run of pairs laid out across: rows of labels (``th``, ``td``, bold or not, or
    blocks of a grid), each over the row of its values, which is left out or cut short
    where the values are empty (a row of two labels or more). The unknown labels (each
    with a colon) close the last row, with a known one. A label alone in its row is a
    label over its value: one whose values may be labels' words then looks unlike its
    value (bold, a header cell), else a reader could not tell that value from a label."""
    known = [pair for pair in pairs if pair[3]]
    rows: list[list[Pair]] = []
    while known:
        size = c.integer(1, 4)
        rows.append(known[:size])
        known = known[size:]
    rows[-1] += [pair for pair in pairs if not pair[3]]
    lone = any(len(row) == 1 and row[0][1] in VALUE_WORD_LABELS for row in rows)
    grid = c.chance(0.35)
    cells = ["div", "div-b", "div-label"] if grid else ["th", "td", "td-b", "td-strong", "thead"]
    cell = c.choice([kind for kind in cells if not (lone and kind in ("div", "td"))])
    html = "".join(_across_rows(c, row, cell, grid) for row in rows)
    if grid:
        return f'<div class="{c.choice(["formulaire", "grille", "bloc-champs"])}">{html}</div>\n'
    if cell == "thead" and len(rows) == 1:
        html = html.replace("<tr>", "<thead><tr>", 1).replace("</tr>", "</tr></thead><tbody>", 1) + "</tbody>"
    attributes = c.choice(["", ' class="fiche"', ' class="form" width="100%"'])
    return f"<table{attributes}>{html}</table>\n"


def _across_rows(c: Chooser, row: list[Pair], cell: str, grid: bool) -> str:
    """One row of labels and the row of its values."""
    row = sorted(row, key=lambda pair: (not pair[3], pair[1] in VALUE_WORD_LABELS))
    spans = [2 if not grid and c.chance(0.15) else 1 for _ in row]
    labels, values = [], []
    for (_, label, value, known, sep), span in zip(row, spans, strict=True):
        lab = label_pieces(c, label_text(c, label, exact=not known)) + sep
        labels.append(_across_cell(c, cell, lab, span))
        values.append(_across_cell(c, "div" if grid else "td", value.html(c, block_ok=True), span))
    empty = [pair[2].empty for pair in row]
    if len(row) > 1 and all(empty) and c.chance(0.5):
        values = []  # no row of values: the labels are empty
    while len(row) > 1 and len(values) > 1 and empty[len(values) - 1] and c.chance(0.3):
        values.pop()  # a row of values cut short
    tag, cls = ("div", ' class="ligne"') if grid else ("tr", "")
    return "".join(f"<{tag}{cls}>{''.join(cells)}</{tag}>\n" for cells in (labels, values) if cells)


def _across_cell(c: Chooser, cell: str, inner: str, span: int) -> str:
    colspan = f' colspan="{span}"' if span > 1 else ""
    if cell in ("td-b", "td-strong"):
        tag = cell.split("-")[1]
        return f"<td{colspan}><{tag}>{inner}</{tag}></td>"
    if cell == "div-b":
        return f'<div class="champ"><b>{inner}</b></div>'
    if cell == "div-label":
        return f'<div class="champ"><label>{inner}</label></div>'
    if cell == "div":
        return f'<div class="champ">{inner}</div>'
    tag = "th" if cell in ("th", "thead") else "td"
    return f"<{tag}{colspan}>{inner}</{tag}>"


def draw_pairs(c: Chooser, items: list[tuple[str, Value]], extra: list[tuple[str, Value]] | None = None) -> list[Pair]:
    """Styles and separators for known pairs (an empty value shown empty or left out)
    and unknown ones. An unknown label needs a colon unless its element is a label
    element or a known label on the page is laid out the same way without one (as a
    reader would guess); across, it always has one, in a row with a known label."""
    out: list[Pair] = []
    for label, value in items:
        if value.empty and c.chance(0.5):
            continue
        out.append((c.choice(list(PAIR_STYLES)), label, value, True, colon(c)))
    bare = {s for s, _, _, _, sep in out if s not in ("br-lines", "li", "across") and (s == "grid" or ":" not in sep)}
    for label, value in extra or []:
        if out and out[-1][0] == "across" and c.chance(0.5):
            style = "across"  # in a row with a known label
        else:
            style = c.choice([s for s in PAIR_STYLES if s not in ("br-lines", "across")])
        out.append((style, label, value, False, colon(c, optional=style in LABEL_ELEMENTS or style in bare)))
    return out


# --- checkbox statements ------------------------------------------------------------
#: Box images by file name, in every word style (case changes, dashes, underscores, dots,
#: digits, words glued, French or English; a negation anywhere).
BOX_IMAGES = {
    True: [
        *("box_checked.gif", "case_cochee.png", "checkbox_on.png", "coche.gif", "caseCochee.gif"),
        *("ico_coche_ok.gif", "cb-checked-16.png", "CheckBoxChecked.png", "case.cochee.gif", "casecochee.gif"),
        *("img_case_pleine.png", "tick.svg", "chkOn.gif"),
    ],
    False: [
        *("box_unchecked.gif", "case_vide.png", "checkbox_off.png", "case_non_cochee.png", "case-non-cochee.png"),
        *("unchecked_box.gif", "btnUnchecked.png", "caseNonCochee.gif", "not_checked.png", "uncheck-16.png"),
        *("decoche.gif", "cb_empty.png", "checkbox.off.gif", "casenoncochee.gif", "CaseDecochee.png"),
    ],
}
BOX_WORDS = {
    True: ["Oui", "Case cochée", "coché", "checked", "caseCochee", "Checked box"],
    False: ["Non", "Case non cochée", "non coché", "unchecked", "case_vide", "Not checked", "Décoché"],
}
#: Images beside a statement that show no box (bullets, arrows, logos, a magnifying glass).
DECORATIONS = [
    *("puce.png", "fleche.gif", "ico_fleche_droite.gif", "logo_mae.png", "picto-info.png"),
    *("bullet_orange.gif", "spacer.gif", "ico_loupe.gif", "FlecheBleue.png"),
]


def decoration_html(c: Chooser) -> str:
    """Mostly nothing, else an image that is no box (with or without a text)."""
    if not c.chance(0.2):
        return ""
    alt = c.choice(['alt=""', 'alt="»"', 'alt="Information"', ""])
    return f'<img src="/cncdext/img/{c.choice(DECORATIONS)}" {alt}/> '


def indicator_html(c: Chooser, state: bool, words_ok: bool) -> tuple[str, str]:
    """How a box shows ``state``: (kind, markup)."""
    kinds = ["input", "input", "img", "glyph", "typed"] + (["word", "radio"] if words_ok else [])
    kind = c.choice(kinds)
    if kind == "input":
        mark = c.choice([' checked="checked"', " checked"]) if state else ""
        return kind, f'<input type="checkbox" disabled="disabled"{mark} />'
    if kind == "img":
        src = c.choice(BOX_IMAGES[state])
        how = c.choice(["alt", "title", "file"])
        attr = f' alt="{c.choice(BOX_WORDS[state])}"' if how == "alt" else ' alt=""' if how == "file" else ""
        attr += f' title="{c.choice(BOX_WORDS[state])}"' if how == "title" else ""
        return kind, f'<img src="/cncdext/img/{src}"{attr} />'
    if kind == "glyph":
        return kind, c.choice(CHECKED_GLYPHS if state else UNCHECKED_GLYPHS)
    if kind == "radio":  # Oui and Non as two radio buttons, one chosen
        name = f"r{c.integer(0, 10**6)}"
        yes, no = (' checked="checked"', "") if state else ("", ' checked="checked"')
        return "word", f'<input type="radio" name="{name}"{yes} /> Oui <input type="radio" name="{name}"{no} /> Non'
    if kind == "typed":  # a box typed in text
        return kind, c.choice(["[X]", "[x]"] if state else ["[ ]", "[]"])
    word = c.choice(["Oui", "oui", "OUI"] if state else ["Non", "non", "NON"])
    return kind, word


def statement_html(c: Chooser, statement: str, state: bool | None, known: bool = True) -> str:
    """A checkbox statement and its state, in one element or a neighbouring cell/block."""
    if state is None:
        return ""
    deco = decoration_html(c)  # in the element that shows the state, never between a glyph and the words
    text = label_text(c, statement, exact=not known)
    kind, ind = indicator_html(c, state, words_ok=known)
    before = c.choice([True, False])
    placement = c.choice(["same", "cells", "blocks", "spans", "label-for"])
    if placement == "label-for" and kind == "input":
        # unique on the page whatever is drawn (a shrunk example draws 0 for every id): two
        # boxes of one id would give the second label the first one's box, as a browser does
        ident = f"c{c.integer(0, 10**6)}-{zlib.crc32(statement.encode())}"
        box = ind.replace("<input", f'<input id="{ident}"')
        lab = f'<label for="{ident}">{deco}{text}</label>'
        inner = box + "\n" + lab if before else lab + "\n" + box
        return f'<div class="ligne case">{inner}</div>\n'
    if placement in ("same", "label-for"):
        if kind == "word":
            return f"<p>{deco}{text}{colon(c)} {ind}</p>\n"
        wrap = c.choice(["p", "label", "div", "li"]) if kind == "input" else c.choice(["p", "div", "span"])
        inner = deco + (f"{ind} {text}" if before else f"{text} {ind}")
        html = f"<{wrap}>{inner}</{wrap}>"
        return (f"<ul>{html}</ul>" if wrap == "li" else f"<div>{html}</div>" if wrap == "span" else html) + "\n"
    if placement == "cells":
        cells = [f"<td>{ind}</td>", f"<td>{text}</td>"]
        row = "".join(cells if before else cells[::-1])
        return f'<table class="case"><tr>{row}</tr></table>\n'
    if placement == "spans":
        parts = [f'<span class="etat">{ind}</span>', f"<span>{text}</span>"]
        return f"<div>{' '.join(parts if before else parts[::-1])}</div>\n"
    parts = [f'<div class="etat">{ind}</div>', f'<div class="libelle">{text}</div>']
    return f'<div class="case">{"".join(parts if before else parts[::-1])}</div>\n'


# --- tables ----------------------------------------------------------------------------
def table_html(
    c: Chooser,
    title: str,
    headers: list[str],
    rows: list[list[str]],
    after: str = "",
    known: bool = True,
    untitled_ok: bool = False,
) -> str:
    """A data table: drawn title style (its ``summary`` attribute alone among them;
    none at all when ``untitled_ok``: a statement stands before it), header style,
    wrapper, results banners and pagers above or below it, the placeholder row of
    an empty table; ``rows`` hold cell markup. An unknown table (``known`` False)
    keeps its words as written and a header row that looks like one (its column
    names are not known)."""
    n = len(headers)
    heads = [label_text(c, h, exact=not known) if h else c.choice(["&nbsp;", ""]) for h in headers]
    title_html = escape(title, quote=False)
    if known:
        title_html = title_html.replace("'", c.choice(APOSTROPHES))
        if c.chance(0.1):
            title_html = title_html.upper()
    if c.chance(0.1):
        title_html += c.choice(COLONS)
    head_style = c.choice(["thead", "th", "bold", "strong", "thead-td"] + (["plain"] if known else []))
    if head_style in ("thead", "th"):
        head_cells = "".join(f"<th>{h}</th>" for h in heads)
    elif head_style == "bold":
        head_cells = "".join(f"<td><b>{h}</b></td>" for h in heads)
    elif head_style == "strong":
        head_cells = "".join(f"<td><strong>{h}</strong></td>" for h in heads)
    else:
        head_cells = "".join(f"<td>{h}</td>" for h in heads)
    head_row = f"<tr>{head_cells}</tr>"
    if head_style in ("thead", "thead-td"):
        head_row = f"<thead>{head_row}</thead>"
    body = "".join(
        f'<tr class="{"impair" if k % 2 else "pair"}">' + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n"
        for k, row in enumerate(rows)
    )
    if not rows and c.chance(0.5):  # an empty table says so in one row spanning it
        body = f'<tr class="empty"><td colspan="{c.choice([n, n, 0, 99])}">{c.choice(PLACEHOLDERS)}</td></tr>'
    body = f"<tbody>{body}</tbody>" if c.chance(0.6) else body
    style = c.choice(
        ["caption", "legend", "heading", "paragraph", "bold", "title row", "summary"] + ["none"] * untitled_ok
    )
    table_open = c.choice(['<table class="liste"', "<table", '<table border="1" cellspacing="0"'])
    if style == "summary" or c.chance(0.1):  # displaytag's: a name no reader sees, alone or saying the title
        table_open += f' summary="{title_html.replace(chr(34), "&quot;")}"'
    table_open += ">"
    if style == "caption":
        table = f"{table_open}<caption>{title_html}</caption>{head_row}{body}</table>"
    elif style == "title row":
        cell = c.choice([f"<th colspan='{n}'>{title_html}</th>", f'<td colspan="{n}"><b>{title_html}</b></td>'])
        table = f"{table_open}<tr>{cell}</tr>{head_row}{body}</table>"
    else:
        table = f"{table_open}{head_row}{body}</table>"
    above, below = _table_chrome(c, len(rows))
    table = above + table + after + below
    if style == "legend":
        return f'<fieldset class="tableau"><legend>{title_html}</legend>\n{table}</fieldset>\n'
    if style == "heading":
        tag = c.choice(["h3", "h4"])
        return f"<{tag}>{title_html}</{tag}>\n{_wrap_table(c, table)}\n"
    if style == "paragraph":
        return f"<p>{title_html}</p>\n{_wrap_table(c, table)}\n"
    if style == "bold":
        wrapper = c.choice(["<p><b>{}</b></p>", "<div><strong>{}</strong></div>", "<b>{}</b>"])
        if wrapper == "<b>{}</b>":  # inline with a colon, it would read as the label of a page number after it
            title_html = _TRAILING_COLON.sub("", title_html)
        return f"{wrapper.format(title_html)}\n{_wrap_table(c, table)}\n"
    return _wrap_table(c, table) + "\n"


def _wrap_table(c: Chooser, table: str) -> str:
    return c.choice([table, f'<div class="tableau">{table}</div>'])


_TRAILING_COLON = re.compile(r"(?:\s|&nbsp;)*:\s*$")
#: What an empty table shows in its one row (any words: it is told by its shape).
PLACEHOLDERS = ["Aucun élément à afficher.", "Aucune donnée", "Pas de résultat", "Néant", "(vide)", "—"]


def _table_chrome(c: Chooser, rows: int) -> tuple[str, str]:
    """Results banners and pagers above and below a table of ``rows`` rows (none,
    either, both), as displaytag and others write them."""
    where = c.choice(["none", "none", "above", "below", "both"])
    return (_banner_and_pager(c, rows) if where in ("above", "both") else ""), (
        _banner_and_pager(c, rows) if where in ("below", "both") else ""
    )


def _banner_and_pager(c: Chooser, rows: int) -> str:
    parts = c.choice([["banner"], ["pager"], ["banner", "pager"]])
    return "".join(_banner(c, rows) if part == "banner" else _pager(c) for part in parts) + "\n"


def _banner(c: Chooser, rows: int) -> str:
    if rows == 0:
        text = c.choice(["Aucun élément trouvé.", "Aucun résultat trouvé", "No items found.", "0 projet(s) trouvé(s)"])
    elif rows == 1:
        text = c.choice(["Une ligne trouvée.", "Un élément trouvé.", "One item found.", "1 résultat"])
    else:
        text = c.choice(
            [
                f"{rows} éléments trouvés, affichage de 1 à {rows}.",
                f"{rows} projets trouvés",
                f"Résultats 1 à {rows} sur {rows}",
                f"{rows} items found, displaying 1 to {rows}.",
                f"{rows} élément(s) trouvé(s)",
            ]
        )
    return c.choice(['<span class="pagebanner">{}</span>', "<p>{}</p>", '<div class="bandeau">{}</div>', "{}"]).format(
        text
    )


def _pager(c: Chooser) -> str:
    """A one-page pager, its page number a link or not (links to page 1: no further page)."""
    param = f"d-{c.integer(1000, 9999)}-p"
    one = f'<a href="?{param}=1">1</a>' if c.chance(0.5) else c.choice(["<strong>1</strong>", "1", "<b>[1]</b>"])
    first = f'<a href="?{param}=1">Premier</a>' if c.chance(0.3) else "Premier"
    return c.choice(
        [
            f'<span class="pagelinks">[{first}/Préc] {one} [Suiv/Dernier]</span>',
            f'<div class="pagination">&lt;&lt; &lt; {one} &gt; &gt;&gt;</div>',
            f"<p>Page {one} sur 1</p>",
            f'<ul class="pages"><li>«</li><li>{one}</li><li>»</li></ul>',
            f"<div>« Précédent | {one} | Suivant »</div>",
            f'<span class="pagelinks">{one}</span>',  # displaytag's one-page pager: the page number alone
        ]
    )


def heading_html(c: Chooser, title: str) -> str:
    """A section title (``Mise en œuvre du partenariat``) as a heading or bold paragraph."""
    text = escape(title, quote=False)
    return c.choice(
        [f"<h2>{text}</h2>", f"<h3>{text}</h3>", f"<p><b>{text}</b></p>", f'<div class="titre">{text}</div>']
    )


# --- project page --------------------------------------------------------------------
PROJECT_LABELS = {
    "title": "Titre",
    "first_agreement_year": "Année de première signature de la convention",
    "theme": "Thématique d'intervention",
    "sub_theme": "Sous-thématique d'intervention",
    "sub_sub_theme": "Sous-sous-thématique d'intervention",
    "start_year": "Année de début du partenariat",
    "status": "Le partenariat est",
    "end_date": "Date de fin du partenariat",
    "context": "Contexte",
    "history": "Historique",
    "objective": "Objectif du partenariat",
    "description": "Description détaillée du partenariat",
    "partnership_form": "Votre partenariat prend la forme d'un(e)",
    "project_managers": "Maître(s) d'œuvre",
    "contracting_authorities": "Maître(s) d'ouvrage",
    "beneficiaries": "Bénéficiaire(s)",
    "other_partners": "Autres partenaires du partenariat dans le(s) pays partenaire(s)",
}
STATEMENTS = {
    "triennial": "Le partenariat est triennal",
    "communication_in_france": "Une communication a été engagée en France",
    "communication_in_partner_countries": "Une communication a été engagée dans les pays partenaires",
    "evaluation_policy": "Une politique d'évaluation a été engagée",
}
TABLE_TITLES = {
    "other_themes": "Autres thématiques mises en œuvre pour le partenariat",
    "foreign_partners": "Partenaires étrangers du partenariat",
    "foreign_partner_contacts": "Contacts dans les partenaires étrangers du partenariat",
    "french_partners": "Collectivités territoriales partenaires du partenariat",
    "funding": "Financement du partenariat",
    "volunteers": "Volontaires impliqués dans le partenariat (VSI, service civique, etc.) d'Échange et de Solidarité",
}
ONE_PERCENT = "Montant 1% Eau (Loi Oudin 2005)"


def _date(iso: str | None) -> str | None:
    if not iso:
        return None
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def _shown_name(key: str) -> str:
    """The title a page shows for an ``extra`` key (``Documents joints (2)``: the second of that name)."""
    return re.sub(r" \(\d+\)$", "", key)


def _line(text: object) -> Value:
    return Value("line", None if text is None else str(text))


def _link(c: Chooser, page: str, cid: str | None) -> str:
    if cid is None:
        return ""
    params = [("idCollectivite", cid)] + ([("origine", "projet")] if c.chance(0.3) else [])
    href = ATLAS_PATH + page + (";jsessionid=4B1E0C7A" if c.chance(0.3) else "") + "?"
    href += "&amp;".join(f"{k}={v}" for k, v in (params if c.chance(0.5) else params[::-1]))
    return href


def _loupe(href: str) -> str:
    return f'<a href="{href}"><img src="/cncdext/img/ico_loupe.gif" alt="commun.ico.loupe.alter" /></a>'


def _shuffled(c: Chooser, columns: list[int]) -> list[int]:
    """Column order: the atlas' own, or another (columns are read by name)."""
    if c.chance(0.7):
        return columns
    order = list(columns)
    for i in range(len(order) - 1, 0, -1):
        j = c.integer(0, i)
        order[i], order[j] = order[j], order[i]
    return order


def _table(
    c: Chooser, title: str, headers: list[str], rows: list[list[str]], after: str = "", untitled_ok: bool = False
) -> str:
    order = _shuffled(c, list(range(len(headers))))
    if headers.count(ONE_PERCENT) > 1:  # the 1% columns keep their order among themselves
        ones = iter(i for i in range(len(headers)) if headers[i] == ONE_PERCENT)
        order = [next(ones) if headers[i] == ONE_PERCENT else i for i in order]
    cells = [[row[i] for i in order] for row in rows]
    return table_html(c, title, [headers[i] for i in order], cells, after, untitled_ok=untitled_ok)


def _project_tables(c: Chooser, r: dict[str, Any]) -> dict[str, str]:
    """Each table's markup, or "" when it is empty and left out."""
    e = lambda v: "" if v is None else escape(str(v), quote=False)  # noqa: E731
    out: dict[str, str] = {}

    def show(name: str, rows: list[Any]) -> bool:
        return bool(rows) or c.chance(0.6)

    if show("other_themes", r["other_themes"]):
        pager = ""
        if c.chance(0.5):
            pager = (
                '<div class="pagination"><span>&lt;&lt;</span> <span>&lt;</span> pagination.page.precedent '
                "<strong>1</strong> pagination.page.suivant <span>&gt;</span> <span>&gt;&gt;</span></div>"
            )
        out["other_themes"] = _table(
            c,
            TABLE_TITLES["other_themes"],
            ["Thématique éligible", "Sous-thématique", "Sous-sous-thématique", "Priorité"],
            [[e(t["theme"]), e(t["sub_theme"]), e(t["sub_sub_theme"]), e(t["priority"])] for t in r["other_themes"]],
            pager,
        )
    if show("foreign_partners", r["foreign_partners"]):
        rows = []
        for p in r["foreign_partners"]:
            href = _link(c, "detailCollectiviteEtrangere.html", p["id"])
            in_name = href and c.chance(0.3)
            name = f'<a href="{href}">{e(p["name"])}</a>' if in_name else e(p["name"])
            rows.append([name, e(p["country"]), "" if in_name or not href else _loupe(href)])
        out["foreign_partners"] = _table(
            c, TABLE_TITLES["foreign_partners"], ["Nom de la collectivité étrangère", "Pays", ""], rows
        )
    if show("foreign_partner_contacts", r["foreign_partner_contacts"]):
        out["foreign_partner_contacts"] = _table(
            c,
            TABLE_TITLES["foreign_partner_contacts"],
            ["Nom de la collectivité étrangère", "Nom", "Prénom", "Fonction", "Courriel"],
            [
                [
                    e(p["collectivity"]),
                    e(p["last_name"]),
                    e(p["first_name"]),
                    e(p["function"]),
                    email_html(c, p["email"]),
                ]
                for p in r["foreign_partner_contacts"]
            ],
        )
    if show("french_partners", r["french_partners"]):
        rows = []
        for p in r["french_partners"]:
            href = _link(c, "detailCollectiviteFrancaise.html", p["id"])
            rows.append([e(p["name"]), _loupe(href) if href else ""])
        out["french_partners"] = _table(
            c, TABLE_TITLES["french_partners"], ["Nom de la collectivité territoriale", ""], rows
        )
    if show("funding", r["funding"]):
        ones = len(r["funding"][0]["one_percent_amounts_eur"]) if r["funding"] else c.choice([0, 3])
        rows = [
            [
                c.choice(["", "", ", "]) + e(f["funder"]) + c.choice(["", "", " ,"]),
                number_html(c, f["amount_eur"]),
                *[number_html(c, x) for x in f["one_percent_amounts_eur"]],
                e(f["year"]),
            ]
            for f in r["funding"]
        ]
        headers = ["Nom du financeur", "Montant en euros", *[ONE_PERCENT] * ones, "Année"]
        # right after the triennial statement when the page shows it: its columns alone may tell it
        out["funding"] = _table(c, TABLE_TITLES["funding"], headers, rows, untitled_ok=r["triennial"] is not None)
    if show("volunteers", r["volunteers"]):
        out["volunteers"] = _table(
            c,
            TABLE_TITLES["volunteers"],
            ["Nom", "Prénom", "Mission", "Champs d'action", "Entité d'affectation"],
            [
                [e(v["last_name"]), e(v["first_name"]), e(v["mission"]), e(v["field"]), e(v["assignment"])]
                for v in r["volunteers"]
            ],
        )
    return out


def embassy_html(c: Chooser, embassy: dict[str, Any] | None) -> str:
    """The block 'Contacts dans le poste diplomatique "…"': drawn heading, quotes and
    line containers."""
    if not embassy:
        return ""
    left, right = c.choice(QUOTES)
    heading_text = f"Contacts dans le poste diplomatique {left}{escape(embassy['name'], quote=False)}{right}"
    prefix = c.choice(["Courriel : ", "Courriel\u00a0: ", "Courriel&nbsp;:", "Mél : ", "E-mail : ", ""])
    people = [
        [escape(p["role"], quote=False), escape(p["name"], quote=False), prefix + email_html(c, p["email"])]
        for p in embassy["contacts"]
    ]
    lines = c.choice(["p", "div", "li", "address", "br", "rows", "cells", "header", "one line"])
    if lines == "one line":  # one contact a line: ``role : name – email``
        sep = c.choice([" : ", " – ", " - "])
        inner = "".join(
            f"<p>{role}{sep}{name}{c.choice([' – ', ', ', ' '])}{email_html(c, p['email'])}</p>"
            for (role, name, _), p in zip(people, embassy["contacts"], strict=True)
        )
    elif lines == "header":  # a table with its own header row
        head = "".join(f"<th>{h}</th>" for h in ("Fonction", "Nom", "Courriel"))
        body = "".join("<tr>" + "".join(f"<td>{line}</td>" for line in person) + "</tr>" for person in people)
        inner = f"<table><tr>{head}</tr>{body}</table>"
    elif lines == "rows":  # one table row per line
        body = "".join(f"<tr><td>{line}</td></tr>" for person in people for line in person)
        inner = f"<table>{body}</table>"
    elif lines == "cells":  # one row per contact, one cell per line
        body = "".join("<tr>" + "".join(f"<td>{line}</td>" for line in person) + "</tr>" for person in people)
        inner = f"<table>{body}</table>"
    elif lines == "li":
        inner = "<ul>" + "".join(f"<li>{_br(c).join(person)}</li>" for person in people) + "</ul>"
    elif lines == "address":
        inner = "".join(f"<address>{_br(c).join(person)}</address>" for person in people)
    elif lines == "br":
        inner = "<p>" + _br(c).join(line for person in people for line in person) + "</p>"
    else:
        inner = "".join(
            f'<div class="contact">{"".join(f"<{lines}>{line}</{lines}>" for line in person)}</div>\n&nbsp;'
            for person in people
        )
    heading = c.choice(["h2", "h3", "h4", "p-b", "div", "th"])
    if heading == "th" and lines in ("rows", "cells", "header"):
        row = f"<tr><th colspan='3'>{heading_text}</th></tr>"
        return f'<div class="bloc">{inner.replace("<table>", "<table>" + row, 1)}</div>\n'
    if heading == "p-b":
        head = f"<p><b>{heading_text}</b></p>"
    elif heading in ("div", "th"):
        head = f'<div class="titre">{heading_text}</div>'
    else:
        head = f"<{heading}>{heading_text}</{heading}>"
    wrap = c.choice(["div", "section", "td"])
    if wrap == "td":
        return f'<table class="bloc"><tr><td>{head}\n{inner}</td></tr></table>\n'
    return f'<{wrap} class="bloc">{head}\n{inner}</{wrap}>\n'


def project_body(c: Chooser, r: dict[str, Any]) -> str:
    """The content of a project page for record ``r``, in the atlas' order."""
    tables = _project_tables(c, r)
    extra = r["extra"]

    def long(name: str) -> Value:
        return Value("long", r[name])

    head = [
        ("Titre", _line(r["title"])),
        (PROJECT_LABELS["first_agreement_year"], _line(r["first_agreement_year"])),
        (PROJECT_LABELS["theme"], _line(r["theme"])),
        (PROJECT_LABELS["sub_theme"], _line(r["sub_theme"])),
        (PROJECT_LABELS["sub_sub_theme"], _line(r["sub_sub_theme"])),
    ]
    middle = [
        (PROJECT_LABELS["start_year"], _line(r["start_year"])),
        (PROJECT_LABELS["status"], _line(r["status"])),
        (PROJECT_LABELS["end_date"], _line(_date(r["end_date"]))),
        (PROJECT_LABELS["context"], long("context")),
        (PROJECT_LABELS["history"], long("history")),
        (PROJECT_LABELS["objective"], long("objective")),
        (PROJECT_LABELS["description"], long("description")),
        (PROJECT_LABELS["partnership_form"], _line(r["partnership_form"])),
    ]
    unknown = [(k, _line(v)) for k, v in extra.items() if isinstance(v, str)]
    work = [
        (PROJECT_LABELS["project_managers"], Value("lines", lines=r["project_managers"])),
        (PROJECT_LABELS["contracting_authorities"], Value("lines", lines=r["contracting_authorities"])),
        (PROJECT_LABELS["beneficiaries"], _line(r["beneficiaries"])),
    ]
    others = [(PROJECT_LABELS["other_partners"], Value("lines", lines=r["other_partners"]))]
    statements = {k: statement_html(c, STATEMENTS[k], r[k]) for k in STATEMENTS}
    unknown_statements = "".join(statement_html(c, k, v, known=False) for k, v in extra.items() if isinstance(v, bool))
    unknown_tables = "".join(
        table_html(
            c, _shown_name(k), list(v[0]), [[escape(row[h], quote=False) for h in v[0]] for row in v], known=False
        )
        for k, v in extra.items()
        if isinstance(v, list)
    )
    parts = [
        '<div class="bloc">',
        pairs_html(c, draw_pairs(c, head)),
        tables.get("other_themes", ""),
        pairs_html(c, draw_pairs(c, middle, unknown)),
        "</div>",
        f'<div class="bloc">{heading_html(c, "Mise en œuvre du partenariat")}',
        pairs_html(c, draw_pairs(c, work)),
        tables.get("foreign_partners", ""),
        tables.get("foreign_partner_contacts", ""),
        tables.get("french_partners", ""),
        pairs_html(c, draw_pairs(c, others)),
        c.choice(["", "<br />\n<br />\n"]),
        statements["triennial"],
        tables.get("funding", ""),
        unknown_tables,
        "</div>",
        f'<div class="bloc">{heading_html(c, "Évaluations, communication et perspectives")}',
        statements["communication_in_france"],
        statements["communication_in_partner_countries"],
        statements["evaluation_policy"],
        unknown_statements,
        tables.get("volunteers", ""),
        "</div>",
    ]
    return embassy_html(c, r["embassy"]) + "\n".join(parts)


# --- collectivity page ------------------------------------------------------------------
def collectivity_body(c: Chooser, r: dict[str, Any]) -> str:
    french = r["kind"] == "french"
    items = [(c.choice(["Nom", "Nom de la collectivité"]), _line(r["name"]))]
    if r["collectivity_type"]:  # left out when empty: an empty type above "Région" would read as type "Région"
        items.append(("Type de collectivité", _line(r["collectivity_type"])))
    if french:
        website = Value("link", r["website"]) if r["website"] and c.chance(0.7) else _line(r["website"])
        items += [
            ("Région", _line(r["region"])),
            ("Département", _line(r["department"])),
            (c.choice(["Site internet", "Site web"]), website),
        ]
    else:
        items.append(("Pays", _line(r["country"])))
    unknown = [(k, _line(v)) for k, v in r["extra"].items()]
    rows = []
    for pid in r["project_ids"]:
        href = ATLAS_PATH + "detailProjet.html" + (";jsessionid=9F0A" if c.chance(0.3) else "")
        href += f"?criteres.prjId={pid}" + ("&amp;origine=collectivite" if c.chance(0.3) else "")
        title = escape(_short(c, 2, 6), quote=False)
        rows.append([f'<a href="{href}">{title}</a>', ""] if c.chance(0.3) else [title, _loupe(href)])
    table = ""
    if rows or c.chance(0.6):
        table = table_html(c, "Projets de la collectivité", ["Titre du projet", ""], rows)
    return f'<div class="bloc">{pairs_html(c, draw_pairs(c, items, unknown))}</div>\n{table}'


# --- whole pages ---------------------------------------------------------------------------
@dataclass
class Page:
    """A rendered page: the record it must give, its URL, raw bytes and headers."""

    record: dict[str, Any]
    url: str
    body: bytes
    headers: dict[str, str]


def _chrome(c: Chooser, body: str, charset_meta: str) -> str:
    menu = (
        '<div id="menuHaut"><ul><li><a href="/cncdext/dyn/public/accueil.html">Accueil</a></li>'
        f'<li class="actif"><a href="{ATLAS_PATH}accesAtlas.html">???menu.atlas.libelle???</a></li></ul></div>'
    )
    crumb = (
        '<div id="filAriane"><a href="/cncdext/dyn/public/accueil.html">Accueil</a> &gt; '
        '<span class="courant">???menu.atlas.detailProjet.libelle???</span></div>'
    )
    footer = c.choice(
        [
            '<div id="piedDePage"><p>Tous droits réservés - Ministère de l\'Europe et des Affaires étrangères</p></div>',
            '<div id="piedDePage"><p class="titre">PIED DE PAGE</p><p>Tous droits réservés</p></div>',
            "",
        ]
    )
    title = "Atlas français de la coopération décentralisée et des autres actions extérieures"
    return (
        f'<!DOCTYPE html>\n<html lang="fr"><head>{charset_meta}<title>{title}</title></head>\n<body>\n'
        f"{menu if c.chance(0.7) else ''}\n{crumb if c.chance(0.7) else ''}\n"
        f'<div id="contenu">\n<h1>{title}</h1>\n{body}\n</div>\n{footer}\n</body></html>\n'
    )


def _encode(c: Chooser, html_body: Callable[[str], str]) -> tuple[bytes, dict[str, str]]:
    """The page in a drawn encoding, declared in the header, in a meta, or both."""
    encoding = c.choice(["utf-8", "utf-8", "windows-1252"])
    declared = c.choice(["header", "meta", "both"])
    label = encoding if encoding == "utf-8" or c.chance(0.7) else "ISO-8859-1"
    meta = ""
    if declared in ("meta", "both"):
        meta = c.choice(
            [f'<meta http-equiv="Content-Type" content="text/html; charset={label}" />', f'<meta charset="{label}">']
        )
    header = f"text/html;charset={label}" if declared in ("header", "both") else "text/html"
    text = html_body(meta)
    body = text.encode("cp1252" if encoding == "windows-1252" else "utf-8", errors="xmlcharrefreplace")
    return body, {"Content-Type": header}


def project_page(c: Chooser) -> Page:
    record = project_record(c)
    content = project_body(c, record)
    body, headers = _encode(c, lambda meta: _chrome(c, content, meta))
    url = (
        f"{BASE}detailProjet.html" + (";jsessionid=ABC123" if c.chance(0.3) else "") + f"?criteres.prjId={record['id']}"
    )
    return Page(record, url, body, headers)


def collectivity_page(c: Chooser) -> Page:
    record = collectivity_record(c)
    content = collectivity_body(c, record)
    body, headers = _encode(c, lambda meta: _chrome(c, content, meta))
    return Page(record, record["url"], body, headers)


@st.composite
def project_pages(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Page:
    return project_page(hypothesis_chooser(draw))


@st.composite
def collectivity_pages(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Page:
    return collectivity_page(hypothesis_chooser(draw))
