"""Every ``-s``/``-o``/``-a`` value, and the ``ATLAS_*`` environment, checked before a
crawl starts. A bad one is refused at once in one line that names it (exit 2): not as an
asyncio traceback in a log that ``--nolog`` turned off, nor at the end of a day-long
crawl. The type of a setting is its default's, in ``atlas_crawler/settings.py`` or else
Scrapy's own: no second list of types to keep in step."""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Collection, Iterator, Mapping
from difflib import get_close_matches
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings
from scrapy.utils.misc import load_object
from scrapy.utils.python import without_none_values

from atlas_crawler import settings as project_settings
from atlas_crawler.output.export import FORMATS as EXPORT_FORMATS
from atlas_crawler.run.alerts import ALERT_ACTIONS

#: Feed formats Scrapy has an exporter for that this project refuses, and why.
REFUSED_FEED_FORMATS = {
    "xml": "XML is not offered: record keys (the French labels of `extra`) are no XML element names",
}
#: Set by the crawl command for each run, never from the environment.
_NOT_FROM_ENVIRONMENT = {"ATLAS_RUN_TOKEN"}
_BOOL_WORDS = {"0", "1", "True", "False", "true", "false"}
_CMDLINE = SETTINGS_PRIORITIES["cmdline"]


def defaults() -> dict[str, Any]:
    """Every setting's default: the project's (``settings.py``) over Scrapy's."""
    found = {name: getattr(default_settings, name) for name in dir(default_settings) if name.isupper()}
    found.update({name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()})
    return found


def atlas_names() -> list[str]:
    return sorted(name for name in dir(project_settings) if name.startswith("ATLAS_"))


def from_environment(settings: BaseSettings, environ: Mapping[str, str] = os.environ) -> list[str]:
    """``ATLAS_*`` environment variables that name a setting, as that setting: above
    ``settings.py``, below ``-s``. Other ``ATLAS_*`` variables are not this project's
    business (other tools use the prefix); an empty one is as unset, as in the shell's
    ``${VAR:-default}``. Returns the names taken."""
    taken = [name for name in atlas_names() if environ.get(name) and name not in _NOT_FROM_ENVIRONMENT]
    for name in taken:
        settings.set(name, environ[name], priority="project")
    return taken


def problems(settings: BaseSettings, environment: Collection[str] = ()) -> list[str]:
    """What is wrong with these settings, one line each naming the setting and where its
    value came from (``-s``, the environment, settings). Checked: every ``ATLAS_*`` setting,
    and the Scrapy settings given with ``-s``."""
    typed = defaults()
    known = set(atlas_names())
    found: list[str] = []
    for name in sorted(settings.attributes):
        given = settings.getpriority(name) or 0
        if name.startswith("ATLAS_") and name not in known:
            if given >= _CMDLINE:
                near = get_close_matches(name, known, n=1)
                found.append(f"-s {name}: no such setting" + (f" (did you mean {near[0]}?)" if near else ""))
            continue
        if name not in known and given < _CMDLINE:
            continue
        if (problem := value_problem(settings, name, typed.get(name))) is not None:
            found.append(f"{where(settings, name, environment)}: {problem}")
    found += feed_problems(settings.getdict("FEEDS"), settings)
    found += alert_problems(settings)
    return found


def where(settings: BaseSettings, name: str, environment: Collection[str]) -> str:
    value = settings.get(name)
    if (settings.getpriority(name) or 0) >= _CMDLINE:
        return f"-s {name}={value}"
    if name in environment and settings.getpriority(name) == SETTINGS_PRIORITIES["project"]:
        return f"{name}={value} (from the environment)"
    return f"{name}={value!r} (settings)"


def value_problem(settings: BaseSettings, name: str, default: Any) -> str | None:
    """What is wrong with one setting's value, read as its default's type; None if nothing."""
    value = settings.get(name)
    own = name.startswith("ATLAS_")
    try:
        if isinstance(default, bool):
            settings.getbool(name)
        elif isinstance(default, (int, float)) and not own:
            if not (isinstance(value, str) and value in _BOOL_WORDS):  # Scrapy reads some ints as flags
                float(value)
        elif isinstance(default, int):
            if settings.getint(name) < 0:
                return "must be 0 or more"
        elif isinstance(default, float):
            number = settings.getfloat(name)
            if not math.isfinite(number) or number < 0:
                return "must be a number, 0 or more"
            if name.endswith("_SHARE") and number > 1:
                return "a share: between 0 and 1 (0.001 is 0.1 %)"
        elif isinstance(default, dict):
            settings.getdict(name)
    except (TypeError, ValueError):
        if isinstance(default, bool):
            return "not a boolean (True/False, 1/0)"
        if isinstance(default, dict):
            return "not a dict (JSON, e.g. '{\"key\": 1}')"
        return "not a whole number" if own and isinstance(default, int) else "not a number"
    if name == "LOG_LEVEL" and isinstance(value, str) and value not in logging.getLevelNamesMapping():
        return "not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)"
    if name == "ATLAS_BASE_URL":
        parts = urlsplit(str(value))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "not an http(s) address of the atlas (e.g. https://host/cncdext/dyn/public/atlas/)"
    if name == "ATLAS_EXPORT":
        unknown = [f for f in (f.strip() for f in settings.getlist(name)) if f and f not in EXPORT_FORMATS]
        if unknown:
            return f"no export format {', '.join(unknown)} (one of {', '.join(EXPORT_FORMATS)})"
    return None


def feed_problems(feeds: Mapping[str, Any], settings: BaseSettings) -> list[str]:
    """A feed whose format has no exporter (``-o out.parquet``) or is refused
    (``-o out.xml``), with what to use instead."""
    exporters = without_none_values(settings.getwithbase("FEED_EXPORTERS"))
    offered = [name for name in exporters if name not in REFUSED_FEED_FORMATS]
    tables = f"tables: -s ATLAS_EXPORT={','.join(EXPORT_FORMATS)} or python -m atlas_crawler.export RECORDS.jsonl"
    found = []
    for uri, options in feeds.items():
        if not isinstance(options, Mapping):
            found.append(f'feed {uri}: its options are not a dict (FEEDS = {{URI: {{"format": "jsonl"}}}})')
            continue
        fmt = str(options.get("format") or "")
        if fmt in REFUSED_FEED_FORMATS:
            found.append(f"feed {uri}: {REFUSED_FEED_FORMATS[fmt]}; use a .jsonl or .csv feed, or {tables}")
        elif fmt in EXPORT_FORMATS and fmt not in exporters:
            found.append(
                f"feed {uri}: {fmt} is a table export, not a feed: -s ATLAS_EXPORT={fmt} with a .jsonl feed "
                f"or run folder, or python -m atlas_crawler.export RECORDS.jsonl --to {fmt}"
            )
        elif fmt not in exporters:
            found.append(f"feed {uri}: no feed format {fmt!r} (one of {', '.join(offered)}); {tables}")
    return found


def option_feeds(output: list[str], settings: BaseSettings) -> dict[str, dict[str, str]]:
    """``-o``/``-O`` values as Scrapy reads them (``URI:FORMAT``, else the file suffix),
    for the formats Scrapy refuses with a message that knows nothing of the export."""
    formats = {*without_none_values(settings.getwithbase("FEED_EXPORTERS")), *REFUSED_FEED_FORMATS, *EXPORT_FORMATS}
    feeds = {}
    for element in output:
        uri, _, fmt = element.rpartition(":")
        if not uri or fmt not in formats:
            uri, fmt = element, Path(element).suffix.removeprefix(".")
        feeds[uri] = {"format": fmt}
    return feeds


def option_problems(opts: Any, settings: BaseSettings) -> list[str]:
    """Which ``-s``/``-a``/``-o`` made Scrapy's own option check fail (it says only
    "Invalid -s value", or knows nothing of the export formats)."""
    found = []
    for element in opts.set or []:
        name, equals, value = element.partition("=")
        if not equals:
            found.append(f"-s {element}: not NAME=VALUE")
            continue
        try:
            settings.copy().set(name, value, priority="cmdline")
        except (TypeError, ValueError) as error:
            found.append(f"-s {element}: {one_line(error)}")
    found += [f"-a {element}: not NAME=VALUE" for element in opts.spargs or [] if "=" not in str(element)]
    output = (opts.output or []) + (opts.overwrite_output or [])
    return found + feed_problems(option_feeds(output, settings), settings)


def alert_problems(settings: BaseSettings) -> Iterator[str]:
    """An alert that names no Spidermon action, or one that lacks its settings: built
    as Spidermon builds it at start, so its own message says which setting is missing."""
    for name in (n.strip() for n in settings.getlist("ATLAS_ALERTS")):
        if not name:
            continue
        try:
            with warnings.catch_warnings():  # Spidermon's e-mail action imports the deprecated scrapy.mail
                warnings.simplefilter("ignore", ScrapyDeprecationWarning)
                action = load_object(ALERT_ACTIONS.get(name, name))
        except (ImportError, NameError, AttributeError, ValueError) as error:
            known = ", ".join(ALERT_ACTIONS)
            yield f"ATLAS_ALERTS={name}: no such alert ({known} or a Spidermon action's path): {error}"
            continue
        try:
            action.from_crawler(SimpleNamespace(settings=settings))
        except Exception as error:  # Spidermon's NotConfigured, a setting of the wrong type...
            yield f"ATLAS_ALERTS={name}: {one_line(error)}"


def one_line(error: BaseException) -> str:
    """An exception as one line: its type and message, without its traceback."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
