"""Named queries: `queries/*.rq` files with a grlc-style `#+` YAML header.

The file name is the query's id, its CLI name (`stkg query ID`) and its URL
(`/queries/ID`). The header says what the query answers and which parameters it takes::

    #+ summary: Profile of one system
    #+ description: Its five elements, decision and impact.
    #+ tags: [systems]
    #+ params:
    #+   system:
    #+     type: iri
    #+     description: the social-technical system
    #+     default: https://w3id.org/stkg/example/acme/LoanApproval

A parameter is a variable of the query. Its value is checked against its type and bound by
the engine (pyoxigraph substitutions, SEP-0007), never pasted into the query text; a
SELECT query must therefore project its parameter variables. A parameter left without a
value and without a default stays unbound, so the query answers for every value. A
malformed header is an error naming the file and line, never a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from stkg.errors import ProjectError, SourceError, StkgError
from stkg.project import Project
from stkg.sandbox import tokens
from stkg.store import PREFIXES, Term
from stkg.yaml_text import load_yaml

HEADER_KEYS = ("summary", "description", "tags", "params")
PARAM_KEYS = ("type", "description", "default", "required")
FRAMEWORK_BASE = "https://w3id.org/stkg/framework/"
XSD = "http://www.w3.org/2001/XMLSchema#"


class ParameterError(StkgError):
    """A parameter value that does not fit the query: HTTP 400, CLI exit code 1."""


# Schemes of IRIs written without `//` that a parameter may give bare; any other `word:x`
# is read as a prefixed name, so an undeclared prefix is an error, not an IRI of scheme `ex`.
_BARE_SCHEMES = {"urn", "mailto", "tag", "did", "data", "file", "http", "https"}
_PN_PREFIX = re.compile(r"[A-Za-z][\w.-]*")


def _iri(value: str, prefixes: Mapping[str, str]) -> Term:
    text = value.strip()
    bracketed = text.startswith("<") and text.endswith(">")
    if bracketed:
        text = text[1:-1]
    prefix, colon, local = text.partition(":")
    if colon and not bracketed and not local.startswith("//"):
        if prefix in prefixes:
            text = prefixes[prefix] + local
        elif _PN_PREFIX.fullmatch(prefix) and prefix.lower() not in _BARE_SCHEMES:
            raise ValueError(
                f"unknown prefix {prefix}: (known prefixes: {', '.join(sorted(prefixes))}); "
                "or give the full IRI in <…>"
            )
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text):
        raise ValueError("expected an absolute IRI or a prefixed name such as ex:LoanApproval")
    return ox.NamedNode(text)  # raises ValueError on characters an IRI cannot hold


def _framework(value: str, prefixes: Mapping[str, str]) -> Term:
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", value.strip()):
        return ox.NamedNode(FRAMEWORK_BASE + value.strip())
    return _iri(value, prefixes)


def _integer(value: str, prefixes: Mapping[str, str]) -> Term:
    return ox.Literal(str(int(value.strip())), datatype=ox.NamedNode(XSD + "integer"))


def _boolean(value: str, prefixes: Mapping[str, str]) -> Term:
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return ox.Literal(text, datatype=ox.NamedNode(XSD + "boolean"))


def _string(value: str, prefixes: Mapping[str, str]) -> Term:
    return ox.Literal(value)


# Parameter types: how a text value becomes an RDF term. A dict registry, not a plugin system.
PARAM_TYPES = {
    "iri": _iri,
    "framework": _framework,  # a short name such as eu-ai-act, or the scheme's IRI
    "string": _string,
    "integer": _integer,
    "boolean": _boolean,
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "string"
    description: str = ""
    default: str | None = None
    required: bool = False


@dataclass(frozen=True)
class NamedQuery:
    id: str
    path: Path
    sparql: str
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    prefixes: dict[str, str] = field(default_factory=dict)

    def bindings(self, values: Mapping[str, str] | None = None) -> dict[str, Term]:
        """Typed terms for the given values and the defaults; unknown names are errors."""
        values = {k: v for k, v in (values or {}).items() if v is not None and v != ""}
        known = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(known))
        if unknown:
            accepted = ", ".join(known) or "none"
            raise ParameterError(
                f"{self.id}: unknown parameter {unknown[0]!r} (parameters: {accepted})"
            )
        bound: dict[str, Term] = {}
        for param in self.params:
            value = values.get(param.name, param.default)
            if value is None:
                if param.required:
                    raise ParameterError(f"{self.id}: parameter {param.name!r} is required")
                continue
            try:
                bound[param.name] = PARAM_TYPES[param.type](str(value), self.prefixes)
            except ValueError as error:
                raise ParameterError(
                    f"{self.id}: parameter {param.name!r} must be of type {param.type}: "
                    f"{value!r} is not ({error})"
                ) from None
        return bound

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "summary": self.summary,
            "description": self.description,
            "tags": list(self.tags),
            "params": [
                {
                    "name": p.name,
                    "type": p.type,
                    "description": p.description,
                    "default": p.default,
                    "required": p.required,
                }
                for p in self.params
            ],
        }


# Parsed files by (path, text): the web app looks a named query up on every request, and
# parsing the YAML header and tokenising the query cost more than reading the file. Keying
# on the text (not the modification time) means an edited file is never answered stale.
_PARSED: dict[tuple[str, str], NamedQuery] = {}
_PARSED_MAX = 256


def parse_query_file(path: Path) -> NamedQuery:
    """Read one .rq file and its `#+` header (parsed once per distinct file content)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(str(error), str(path)) from None
    key = (str(path), text)
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = _parse_query_text(path, text)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = parsed
    return parsed


def _parse_query_text(path: Path, text: str) -> NamedQuery:
    header_lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#+"):
            header_lines.append((number, line[2:].removeprefix(" ")))
        elif line.strip() and (header_lines or not line.startswith("#")):
            break  # the header is the first block of #+ lines, before the query
    header = _parse_header(path, header_lines)
    prefixes = dict(PREFIXES)
    toks = tokens(text)
    for i, token in enumerate(toks[:-2]):
        if token.kind == "word" and token.text.upper() == "PREFIX" and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text.rstrip(":")] = toks[i + 2].text[1:-1]
    variables = {t.text[1:] for t in toks if t.kind == "var"}
    params = []
    first_line = header_lines[0][0] if header_lines else 1
    for name, spec in (header.get("params") or {}).items():
        params.append(_param(path, first_line, str(name), spec, variables))
    summary = header.get("summary") or _first_comment(text) or path.stem
    return NamedQuery(
        id=path.stem,
        path=path,
        sparql=text,
        summary=str(summary).strip(),
        description=" ".join(str(header.get("description") or "").split()),
        tags=tuple(str(t) for t in header.get("tags") or ()),
        params=tuple(params),
        prefixes=prefixes,
    )


def _parse_header(path: Path, lines: list[tuple[int, str]]) -> dict[str, Any]:
    if not lines:
        return {}
    try:
        header = load_yaml("\n".join(text for _, text in lines))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = lines[min(mark.line, len(lines) - 1)][0] if mark is not None else lines[0][0]
        problem = getattr(error, "problem", None) or str(error)
        raise SourceError(f"malformed #+ header: {problem}", str(path), line) from None
    except ValueError as error:  # a value YAML resolves but cannot build: 2024-13-45
        raise SourceError(f"malformed #+ header: {error}", str(path), lines[0][0]) from None
    if not isinstance(header, dict):
        raise SourceError(
            "malformed #+ header: expected `key: value` lines", str(path), lines[0][0]
        )

    def line_of(key: object) -> int:
        return next((n for n, t in lines if t.startswith(f"{key}:")), lines[0][0])

    for key in header:
        if key not in HEADER_KEYS:
            line = line_of(key)
            raise SourceError(
                f"malformed #+ header: unknown key {key!r} (known: {', '.join(HEADER_KEYS)})",
                str(path),
                line,
            )
    tags = header.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise SourceError(
            "malformed #+ header: tags must be a list of words", str(path), line_of("tags")
        )
    params = header.get("params")
    if params is not None and not isinstance(params, dict):
        raise SourceError(
            "malformed #+ header: params must map names to specs", str(path), line_of("params")
        )
    return header


def _param(path: Path, line: int, name: str, spec: Any, variables: set[str]) -> Param:
    where = str(path)
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise SourceError(f"malformed #+ header: parameter {name!r} needs a mapping", where, line)
    unknown = sorted(set(spec) - set(PARAM_KEYS))
    if unknown:
        raise SourceError(
            f"malformed #+ header: parameter {name!r} has unknown key {unknown[0]!r} "
            f"(known: {', '.join(PARAM_KEYS)})",
            where,
            line,
        )
    kind = spec.get("type", "string")
    if not isinstance(kind, str) or kind not in PARAM_TYPES:
        raise SourceError(
            f"malformed #+ header: parameter {name!r} has unknown type {kind!r} "
            f"(known: {', '.join(PARAM_TYPES)})",
            where,
            line,
        )
    if name not in variables:
        raise SourceError(
            f"malformed #+ header: parameter {name!r} is not a variable of the query", where, line
        )
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise SourceError(
            f"malformed #+ header: parameter {name!r}: required must be true or false, "
            f"not {required!r}",
            where,
            line,
        )
    default = spec.get("default")
    param = Param(
        name,
        kind,
        " ".join(str(spec.get("description") or "").split()),
        None if default is None else str(default),
        required,
    )
    if param.default is not None:
        try:
            PARAM_TYPES[kind](param.default, PREFIXES)
        except ValueError as error:
            raise SourceError(
                f"malformed #+ header: default of {name!r} is not a {kind}: {error}", where, line
            ) from None
    return param


def _first_comment(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("#") and not line.startswith("#+"):
            return line.lstrip("#").strip() or None
        if line.strip() and not line.startswith("#"):
            return None
    return None


def named_queries(project: Project) -> dict[str, NamedQuery]:
    """Every named query of the project, by id; the first malformed one is an error."""
    known = project_prefixes(project)
    return {
        path.stem: with_prefixes(parse_query_file(path), known) for path in project.query_files()
    }


def with_prefixes(query: NamedQuery, prefixes: Mapping[str, str]) -> NamedQuery:
    """The query with more prefixes for its parameter values; its own PREFIXes win."""
    return replace(query, prefixes={**prefixes, **query.prefixes})


_PREFIX_LINE = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I | re.M)
_DECLARED: dict[tuple[tuple[str, int], ...], dict[str, str]] = {}


def project_prefixes(project: Project) -> dict[str, str]:
    """The prefixes the project's Turtle and TriG files declare (`ex:` of data/examples/).

    A parameter value is written as the data is (`ex:LoanApproval`), so these are known to
    every named query. A name two files bind to different namespaces is left out: a guess
    would answer for the wrong resource. Cached by file and modification time.
    """
    files = [p for p in project.rdf_files() if p.suffix.lower() in (".ttl", ".trig")]
    key = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    if key not in _DECLARED:
        found: dict[str, str] = {}
        clashing: set[str] = set()
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            for name, namespace in _PREFIX_LINE.findall(text):
                if found.setdefault(name, namespace) != namespace:
                    clashing.add(name)
        _DECLARED.clear()
        _DECLARED[key] = {k: v for k, v in found.items() if k not in clashing and k}
    return dict(_DECLARED[key])


def find_query(project: Project, name: str) -> NamedQuery:
    path = next((p for p in project.query_files() if p.stem == name), None)
    if path is None:
        known = ", ".join(p.stem for p in project.query_files()) or "none"
        raise ProjectError(f"no named query {name!r} in {project.root} (known: {known})")
    return with_prefixes(parse_query_file(path), project_prefixes(project))
