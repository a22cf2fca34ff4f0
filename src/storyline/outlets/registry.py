"""The outlet registry: who an article's outlet is, by name, alias or web domain.

The user supplies the registry as CSV or JSON (format in ``examples/outlets/README.md``);
storyline adds the wire agencies it ships (``defaults/wire_agencies.json``: names,
domains, datelines and credit lines, which are facts, never ratings). Names are matched
without case, punctuation or a leading "The", so ``nytimes.com``, "The New York Times"
and "NYT" resolve to one outlet when the registry lists them as its domain and aliases.

An outlet map (``--outlet-map FILE``) says which outlet an input is from when the input
does not say: each rule is a path glob (``news/nyt/*.txt``) or a web domain
(``nytimes.com``, matched against the article's URL or its source), first match wins.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..model import Outlet

__all__ = [
    "OUTLET_TYPES", "OutletMap", "Registry", "RegistryError", "domain_of", "load_outlet_map", "load_registry",
    "name_key", "outlet_from_json", "outlet_to_json", "parse_registry", "shipped_agencies",
]

# The types the format documents; other values are kept as given (lower case), not refused.
OUTLET_TYPES = ("wire agency", "public broadcaster", "newspaper", "tv", "radio", "online", "magazine",
                "state media")
# Columns with a meaning of their own; every other column of a registry is a user label.
_FIELDS = ("name", "aliases", "domains", "country", "language", "type", "owner", "parent", "datelines",
           "credit_lines")
_LIST_FIELDS = ("aliases", "domains", "datelines", "credit_lines")
_LIST_SEPARATOR = re.compile(r"\s*[;|]\s*")
_NOT_NAME = re.compile(r"[^\w]+")


class RegistryError(ValueError):
    """A registry or outlet map that cannot be read, as one line naming the file and the reason."""


def name_key(name: str) -> str:
    """How names are compared: no case, punctuation or leading "The" ("The A.P." == "a p")."""
    key = _NOT_NAME.sub(" ", name.casefold()).strip()
    return key.removeprefix("the ")


def domain_of(value: str | None) -> str | None:
    """The host of a URL (or a bare ``www.example.com``), lower case, without ``www.``; None when none."""
    if not value:
        return None
    text = value.strip()
    if "://" not in text:
        if "/" in text.split("?")[0].split("#")[0][: text.find(".") + 1 or 0] or "." not in text or " " in text:
            return None
        text = "http://" + text
    try:
        host = (urlsplit(text).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if "." not in host:
        return None
    return host.removeprefix("www.")


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part for part in _LIST_SEPARATOR.split(value.strip()) if part)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    raise RegistryError(f"{where}: {field} must be a string or a list of strings")


def _optional(value: Any, where: str, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RegistryError(f"{where}: {field} must be a string")
    return " ".join(value.split()) or None


def _outlet(record: Mapping[str, Any], where: str) -> Outlet:
    fields = {str(key).strip().lower(): value for key, value in record.items() if key is not None}
    name = _optional(fields.get("name"), where, "name")
    if not name:
        raise RegistryError(f"{where}: an outlet needs a name")
    labels: dict[str, str] = {}
    given_labels = fields.get("labels")
    if given_labels is not None:
        if not isinstance(given_labels, dict):
            raise RegistryError(f"{where}: labels must be an object of label -> value")
        for key, value in given_labels.items():
            text = _optional(value, where, f"label {key!r}")
            if text:
                labels[str(key).strip().lower()] = text
    for key, value in fields.items():
        if key in _FIELDS or key == "labels" or not key:
            continue
        text = _optional(value, where, key)
        if text:
            labels[key] = text
    kind = _optional(fields.get("type"), where, "type")
    return Outlet(
        name=name,
        aliases=_strings(fields.get("aliases"), where, "aliases"),
        domains=tuple(d for d in (domain_of(x) or x.lower() for x in _strings(fields.get("domains"), where, "domains"))),
        country=_optional(fields.get("country"), where, "country"),
        language=_optional(fields.get("language"), where, "language"),
        type=kind.lower() if kind else None,
        owner=_optional(fields.get("owner"), where, "owner"),
        parent=_optional(fields.get("parent"), where, "parent"),
        labels=tuple(sorted(labels.items())),
        datelines=_strings(fields.get("datelines"), where, "datelines"),
        credit_lines=_strings(fields.get("credit_lines"), where, "credit_lines"),
    )


def parse_registry(text: str, name: str) -> list[Outlet]:
    """Outlets from a registry's text: JSON (a list, or ``{"outlets": [...]}``) or CSV with a header row."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("[", "{")):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise RegistryError(f"{name}: malformed JSON: {error.msg} at line {error.lineno}") from None
        records = value.get("outlets") if isinstance(value, dict) else value
        if not isinstance(records, list):
            raise RegistryError(f"{name}: a JSON registry is a list of outlets or {{\"outlets\": [...]}}")
        outlets = []
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise RegistryError(f"{name}: outlet {number} is not an object")
            outlets.append(_outlet(record, f"{name}: outlet {number}"))
    else:
        reader = csv.DictReader(io.StringIO(stripped))
        if not reader.fieldnames or "name" not in [f.strip().lower() for f in reader.fieldnames if f]:
            raise RegistryError(f"{name}: a CSV registry needs a header row with a 'name' column")
        outlets = [_outlet({k: v for k, v in row.items() if k is not None}, f"{name}: line {reader.line_num}")
                   for row in reader if any((v or "").strip() for v in row.values() if isinstance(v, str))]
    seen: dict[str, str] = {}
    for outlet in outlets:
        key = name_key(outlet.name)
        if key in seen:
            raise RegistryError(f"{name}: outlet {outlet.name!r} is listed twice")
        seen[key] = outlet.name
    return outlets


def load_registry(path: str | Path) -> list[Outlet]:
    """Read a registry file, or raise RegistryError naming the file and what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise RegistryError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise RegistryError(f"{path}: {error.strerror or error}") from None
    return parse_registry(text, str(path))


@functools.lru_cache(maxsize=1)
def shipped_agencies() -> tuple[Outlet, ...]:
    """The wire agencies storyline ships: names, domains, datelines and credit lines (read once: a file
    in the package, and every export and web page needs it)."""
    text = resources.files("storyline").joinpath("defaults/wire_agencies.json").read_text(encoding="utf-8")
    return tuple(parse_registry(text, "wire_agencies.json"))


def outlet_to_json(outlet: Outlet) -> dict[str, Any]:
    return {
        "name": outlet.name, "aliases": list(outlet.aliases), "domains": list(outlet.domains),
        "country": outlet.country, "language": outlet.language, "type": outlet.type, "owner": outlet.owner,
        "parent": outlet.parent, "labels": dict(outlet.labels), "datelines": list(outlet.datelines),
        "credit_lines": list(outlet.credit_lines),
    }


def outlet_from_json(value: Mapping[str, Any]) -> Outlet:
    return replace(_outlet({k: v for k, v in value.items() if k != "labels"}, "stored outlet"),
                   labels=tuple(sorted((str(k), str(v)) for k, v in (value.get("labels") or {}).items())))


@dataclass
class Registry:
    """The user's outlets over the shipped agencies, looked up by name, alias or domain."""

    outlets: list[Outlet]

    def __post_init__(self) -> None:
        self.by_name: dict[str, Outlet] = {}
        self.by_domain: dict[str, Outlet] = {}
        # The user's entries come first and win; a shipped agency fills only names nobody took.
        for outlet in self.outlets:
            for name in (outlet.name, *outlet.aliases):
                self.by_name.setdefault(name_key(name), outlet)
            for domain in outlet.domains:
                self.by_domain.setdefault(domain, outlet)

    @classmethod
    def with_agencies(cls, user: Sequence[Outlet] = ()) -> Registry:
        taken = {name_key(o.name) for o in user}
        return cls([*user, *(a for a in shipped_agencies() if name_key(a.name) not in taken)])

    def by_domain_of(self, value: str | None) -> Outlet | None:
        host = domain_of(value)
        while host and "." in host:
            if host in self.by_domain:
                return self.by_domain[host]
            host = host.split(".", 1)[1]  # news.example.co.uk -> example.co.uk -> co.uk ...
        return None

    def resolve(self, outlet: str | None, url: str | None = None, source: str | None = None) -> Outlet | None:
        """The registry's outlet for a stored outlet name (or its domain), else the URL's or source's domain."""
        if outlet:
            found = self.by_name.get(name_key(outlet)) or self.by_domain_of(outlet)
            if found:
                return found
        return self.by_domain_of(url) or self.by_domain_of(source)

    def normalise(self, outlet: str | None, url: str | None = None, source: str | None = None) -> str | None:
        """The outlet's registry name when the registry knows it, else the name as given (None stays None)."""
        found = self.resolve(outlet, url, source)
        return found.name if found else outlet


@dataclass(frozen=True)
class OutletMap:
    """Rules saying which outlet an input is from: (path glob or domain, outlet), first match wins."""

    rules: tuple[tuple[str, str], ...]

    def outlet_for(self, source: str, url: str | None = None) -> str | None:
        base = source.split("#", 1)[0]
        for pattern, outlet in self.rules:
            if any(ch in pattern for ch in "*?[/\\"):
                if fnmatch.fnmatchcase(base, pattern) or fnmatch.fnmatchcase(Path(base).name, pattern):
                    return outlet
            else:
                wanted = pattern.lower().removeprefix("www.")
                for host in (domain_of(url), domain_of(base)):
                    if host and (host == wanted or host.endswith("." + wanted)):
                        return outlet
        return None


def load_outlet_map(path: str | Path) -> OutletMap:
    """Read an outlet map: JSON ``{"pattern": "outlet"}``, CSV ``pattern,outlet``, or lines ``pattern = outlet``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(f"{path}: no such file") from None
    except (UnicodeDecodeError, OSError) as error:
        raise RegistryError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    rules: list[tuple[str, str]] = []
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise RegistryError(f"{path}: malformed JSON: {error.msg} at line {error.lineno}") from None
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise RegistryError(f"{path}: an outlet map is an object of pattern -> outlet name")
        rules = [(k.strip(), v.strip()) for k, v in value.items()]
    else:
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if "=" in line:
                pattern, _, outlet = line.partition("=")
            else:
                row = next(csv.reader([line]))
                if len(row) != 2:
                    raise RegistryError(f"{path}: line {number}: expected 'pattern = outlet' or 'pattern,outlet'")
                pattern, outlet = row
            if pattern.strip().lower() == "pattern" and outlet.strip().lower() == "outlet":
                continue  # a CSV header
            if not pattern.strip() or not outlet.strip():
                raise RegistryError(f"{path}: line {number}: a rule needs a pattern and an outlet")
            rules.append((pattern.strip(), " ".join(outlet.split())))
    if not rules:
        raise RegistryError(f"{path}: no rules")
    return OutletMap(tuple(rules))


def labels_of(outlet: Outlet | None) -> dict[str, str]:
    """Every label an outlet has, its described fields (country, type, owner ...) and the user's own."""
    if outlet is None:
        return {}
    described = {"country": outlet.country, "language": outlet.language, "type": outlet.type,
                 "owner": outlet.owner, "parent": outlet.parent}
    return {**{k: v for k, v in described.items() if v}, **dict(outlet.labels)}


def label_names(outlets: Iterable[Outlet]) -> list[str]:
    """The user's label names in a registry (leaning ...), then the described fields anyone filled in."""
    user = sorted({key for outlet in outlets for key, _ in outlet.labels})
    described = [key for key in ("country", "type", "owner", "parent", "language")
                 if any(getattr(outlet, key) for outlet in outlets)]
    return user + [key for key in described if key not in user]
