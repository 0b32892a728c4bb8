"""The French words of report.html for what the crawler says in English: finish
reasons, outcomes and their reasons, failure and skip reasons, Spidermon's monitors
and their messages, and field names (the atlas page's own labels).

The crawler's logs, the JSON report and the exit-status table stay in English (they
are read by scripts and operators); the page is for the people who read the data.
Each translation keeps the English detail it cannot translate (a URL, a heading)
and a text no rule knows is shown as it is: nothing is hidden."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from atlas_crawler import outcome
from atlas_crawler.items import BY_NAME
from atlas_crawler.pages.labels import french_label
from atlas_crawler.schemas import fields
from atlas_crawler.schemas.tree import record_fields, walk

#: Scrapy's finish reasons and the project's (``outcome.REASON_*``), in French.
FINISH_REASONS = {
    "finished": "terminé",
    "shutdown": "arrêté (signal)",
    "cancelled": "annulé",
    "closespider_timeout": "arrêté : durée maximale",
    "closespider_itemcount": "arrêté : nombre maximal d'enregistrements",
    "closespider_pagecount": "arrêté : nombre maximal de pages",
    "closespider_errorcount": "arrêté : trop d'erreurs",
    outcome.REASON_SITE_UNREACHABLE: "site injoignable",
    outcome.REASON_ROBOTS_UNAVAILABLE: "robots.txt indisponible",
    outcome.REASON_NOTHING_TO_RESUME: "rien à reprendre",
    outcome.REASON_DISK_FULL: "disque plein",
    outcome.REASON_FEED_NOT_WRITABLE: "fichier d'enregistrements impossible à écrire",
    "archive_failed": "archive impossible à écrire",
}

#: Each exit status (``outcome.EXIT_*``) in French.
OUTCOMES = {
    outcome.EXIT_COMPLETE: "complet",
    outcome.EXIT_INCOMPLETE: "incomplet",
    outcome.EXIT_USAGE: "refusé (arguments ou réglages)",
    outcome.EXIT_SITE_UNREACHABLE: "site injoignable",
    outcome.EXIT_ROBOTS_UNAVAILABLE: "robots.txt indisponible",
    outcome.EXIT_LOCKED: "verrouillé (un autre passage en cours)",
    outcome.EXIT_INTERRUPTED: "interrompu",
    outcome.EXIT_NOTHING_TO_RESUME: "rien à reprendre",
    outcome.EXIT_DISK_FULL: "disque plein",
}

#: The close monitors (``atlas_crawler.run.monitors``), by Spidermon's name for them.
MONITORS = {
    "Finish Reason Monitor": "Fin du passage",
    "FailedPagesMonitor": "Pages en échec",
    "InvalidRecordsMonitor": "Enregistrements refusés par le schéma",
    "DoubtedRecordsMonitor": "Enregistrements douteux",
    "Field Coverage Monitor": "Champs essentiels trouvés",
}

#: Fields no parser label names (they come from the address or the crawl itself).
_OWN_FIELDS = {
    "type": "Type d'enregistrement",
    "id": "Identifiant",
    "kind": "Genre (française ou étrangère)",
    "url": "Adresse de la page",
    "crawled_at": "Date de lecture",
    "extra": "Autres libellés de la page (extra)",
}
_HTTP = {
    "403": "accès refusé",
    "404": "page introuvable",
    "410": "page supprimée",
    "429": "trop de requêtes",
    "500": "erreur du serveur",
    "502": "passerelle en erreur",
    "503": "service indisponible",
    "504": "délai de la passerelle dépassé",
}
_NETWORK = {
    "TimeoutError": "délai dépassé",
    "TCPTimedOutError": "délai de connexion dépassé",
    "DNSLookupError": "nom d'hôte introuvable",
    "ConnectionRefusedError": "connexion refusée",
    "ConnectionLost": "connexion perdue",
    "ConnectionDone": "connexion fermée",
    "ResponseNeverReceived": "aucune réponse reçue",
    "ResponseFailed": "réponse interrompue",
}


def number(value: float | int | None, decimals: int = 0) -> str:
    """French: narrow no-break space between thousands, decimal comma."""
    if value is None:
        return "—"
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def finish_reason(reason: str | None) -> str:
    return FINISH_REASONS.get(reason or "", reason or "—")


def outcome_word(code: int) -> str:
    return OUTCOMES.get(code, f"code inconnu {code}")


def monitor_name(name: str) -> str:
    return MONITORS.get(name, name)


# --- failures -------------------------------------------------------------------------
def failure_kind(reason: str) -> str:
    """What kind of failure, without its details: ``page d'erreur du site`` for
    ``soft error: Erreur technique``, ``HTTP 503 : service indisponible``."""
    head = re.split(r":|\s\(|\safter\s\d", reason, maxsplit=1)[0].strip() or reason
    if head == "soft error":
        return "page d'erreur du site"
    if m := re.fullmatch(r"HTTP (\d{3})", head):
        code = m.group(1)
        word = _HTTP.get(code) or ("erreur du serveur" if code.startswith("5") else "réponse refusée")
        return f"HTTP {code} : {word}"
    for english, french in _KINDS:
        if reason.startswith(english):
            return french
    return _NETWORK.get(head, head)


_KINDS = (
    ("broken page", "page tronquée"),
    ("answer too large", "réponse trop grande"),
    ("answer encoded as", "réponse au codage illisible"),
    ("not a ", "pas la page attendue"),
    ("table page from another version", "page de tableau d'une autre version de la page"),
    ("the record could not be processed", "enregistrement non traité (erreur du robot)"),
    ("the record could not be written", "enregistrement non écrit sur le disque"),
    ("the crawl stopped while waiting", "passage arrêté pendant une attente"),
)


def failure_reason(reason: str) -> str:
    """A failure's reason in French, its details kept: ``page d'erreur du site :
    « Erreur technique »``, ``HTTP 500 : erreur du serveur (page de tableau …)``."""
    kind = failure_kind(reason)
    detail = ""
    if (m := re.match(r"soft error: (.*)", reason)) or (m := re.match(r"not a \w+ page: «(.*?)»", reason)):
        detail = f" : « {m.group(1)} »"
    if m := re.search(r" after (\d+) redirects \(last to (\S+)\)", reason):
        detail += f" après {m.group(1)} redirections (la dernière vers {m.group(2)})"
    if m := re.search(r"\(table page (\S+)\)", reason):
        detail += f" (page de tableau {m.group(1)})"
    elif m := re.search(r"\(answered by (\S+)\)", reason):
        detail += f" (réponse de {m.group(1)})"
    return kind + detail


def skip_rule(rule: str) -> str:
    """Why a page was not fetched, in French (the rule's own text kept)."""
    if rule.startswith("forbidden by robots.txt"):
        return "interdite par robots.txt" + rule.removeprefix("forbidden by robots.txt")
    if m := re.fullmatch(r"limit (.+)", rule):
        return f"limite atteinte : {m.group(1)}"
    if m := re.fullmatch(r"duplicate of (\S+): the atlas redirects there", rule):
        return f"doublon de {m.group(1)} : l'atlas y redirige"
    if rule.startswith("duplicate"):
        return "doublon" + rule.removeprefix("duplicate")
    return rule


# --- the outcome ----------------------------------------------------------------------
_BECAUSE: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"finish reason (\S+)"), lambda m: f"fin du passage : {finish_reason(m.group(1))}"),
    (re.compile(r"monitors failed: (.+)"),
     lambda m: "contrôles échoués : " + ", ".join(monitor_name(n) for n in m.group(1).split(", "))),
    (re.compile(r"(\d+) pages failed after retries \((\d+) refused by the site, over the tolerance of (\d+)\)"),
     lambda m: f"{_plural(int(m.group(1)), 'page en échec', 'pages en échec')} après les reprises, dont "
               f"{m.group(2)} refusée(s) par le site, au-delà de la tolérance de {m.group(3)}"),
    (re.compile(r"(\d+) pages failed after retries"),
     lambda m: f"{_plural(int(m.group(1)), 'page en échec', 'pages en échec')} après les reprises"),
    (re.compile(r"(\d+) lists short of their announced count"),
     lambda m: f"{_plural(int(m.group(1)), 'liste', 'listes')} sans le nombre d'enregistrements annoncé"),
    (re.compile(r"(\d+) invalid records"),
     lambda m: f"{_plural(int(m.group(1)), 'enregistrement refusé', 'enregistrements refusés')} par le schéma"),
    (re.compile(r"(\d+) record pages forbidden by robots.txt.*"),
     lambda m: f"{m.group(1)} page(s) d'enregistrement interdite(s) par robots.txt : leurs enregistrements manquent"),
    (re.compile(r"(\d+) record pages neither written, failed nor skipped.*"),
     lambda m: f"{m.group(1)} page(s) d'enregistrement ni écrite(s), ni en échec, ni écartée(s) : une erreur "
               "du robot, à signaler avec ce rapport"),
    (re.compile(r"no report at (.+)"), lambda m: f"aucun rapport à {m.group(1)}"),
)  # fmt: skip


def because(reason: str) -> str:
    """One reason a run is not complete (``outcome.incomplete_because``), in French."""
    for pattern, say in _BECAUSE:
        if m := pattern.fullmatch(reason):
            return say(m)
    return reason


# --- monitors' messages ----------------------------------------------------------------
def monitor_message(message: str | None) -> str:
    """Spidermon's message for a failed monitor, in French (field names by their labels)."""
    text = (message or "").strip()
    if m := re.fullmatch(r'Finished with "(.*?)" the expected reasons are (.*)', text):
        return f"fin du passage : {finish_reason(m.group(1))} (attendu : {finish_reason('finished')})"
    if m := re.fullmatch(r"Expecting '(.*?)' to be '(.*?)' to '(.*?)'\. Current value: '(.*?)'", text):
        return f"valeur {_number(m.group(4))}, pour un maximum de {_number(m.group(3))} ({m.group(1)})"
    if m := re.fullmatch(r"(\d+) pages failed after retries(?:, (\d+) of them refused by the site "
                         r"\(over the tolerance of (\d+)\))?", text):  # fmt: skip
        said = f"{_plural(int(m.group(1)), 'page en échec', 'pages en échec')} après les reprises"
        return said + (f", dont {m.group(2)} refusée(s) par le site (tolérance : {m.group(3)})" if m.group(2) else "")
    if text.startswith("The following items did not meet field coverage rules:"):
        rules = []
        for line in text.splitlines()[1:]:
            if r := re.fullmatch(r"(\w+?)Item/(\S+) \(expected ([\d.]+), got ([\d.]+), tolerance: [\d.]+\)", line):
                record_type = r.group(1).lower()
                rules.append(f"{field_label(record_type, r.group(2))} : {_share(r.group(4))} trouvé, "
                             f"{_share(r.group(3))} attendu")  # fmt: skip
            elif line.strip():
                rules.append(line.strip())
        return "champs trop rarement trouvés : " + " ; ".join(rules)
    return text


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{value:g}".replace(".", ",")


def _share(text: str) -> str:
    try:
        return f"{float(text) * 100:g}\u00a0%".replace(".", ",")
    except ValueError:
        return text


# --- fields ----------------------------------------------------------------------------
@cache
def _labels(record_type: str) -> dict[str, str]:
    """Field path -> the label the atlas page writes for it (the data dictionary's),
    read from the page parsers and the schema (never copied)."""
    if record_type not in BY_NAME:
        return {}
    return {
        f.path: label
        for f in walk(record_fields(record_type))
        if (label := french_label(f.path, f.description, record_type))
    }


def field_label(record_type: str, path: str) -> str:
    """A field by the words a reader of the atlas knows: ``Titre`` for ``title``,
    ``Financement du partenariat › Année`` for ``funding[].year``; else its name."""
    labels = _labels(record_type)
    if "." in path:
        parent, _, child = path.rpartition(".")
        own = labels.get(path) or _OWN_FIELDS.get(child, child.removesuffix("[]"))
        return f"{field_label(record_type, parent.removesuffix('[]'))} › {own}"
    return labels.get(path) or _OWN_FIELDS.get(path, path)


def record_word(record_type: str | None) -> str:
    """``project`` -> ``projets`` (the record type's French title)."""
    kind = BY_NAME.get(record_type or "")
    return kind.title.lower() if kind else str(record_type)


def any_field_label(path: str) -> str:
    """A field named without its record type (``funding[].amount_eur``, or
    ``project.start_year``): by the first record type that has a label for it."""
    head, _, rest = path.partition(".")
    if head in BY_NAME and rest:
        return field_label(head, rest)
    for record_type in BY_NAME:
        label = field_label(record_type, path)
        if label != path and path.split(".", maxsplit=1)[0].removesuffix("[]") in _fields(record_type):
            return label
    return path


@cache
def _fields(record_type: str) -> frozenset[str]:
    return frozenset(fields(record_type))
