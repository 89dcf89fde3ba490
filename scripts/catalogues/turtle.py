"""A small deterministic Turtle writer for the generated catalogues.

rdflib's serialiser orders subjects by sorted IRI (so `GOVERN-1.10` lands before `GOVERN-1.2`
and ISO clause 10 before clause 4) and cannot carry section comments. This writer keeps the
order in which resources are added, which is the order of the source documents, so that the
files read like the frameworks and regenerate byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A prefixed name is used only when the local part needs no escaping in Turtle.
SAFE_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


class IRI(str):
    """A full IRI, written as a prefixed name where a declared prefix fits."""


@dataclass(frozen=True)
class Lit:
    """A literal: plain, language-tagged or typed (datatype as a prefixed name)."""

    value: str
    lang: str | None = None
    datatype: str | None = None


def en(text: str) -> Lit:
    return Lit(text, lang="en")


def quote(value: str) -> str:
    """Turtle string syntax: long quotes when the text has line breaks (Markdown stays readable)."""
    if "\n" in value:
        body = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r")
        return '"""' + body + '"""'
    body = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\t", "\\t")
    return f'"{body}"'


Object = IRI | Lit | str  # str: a prefixed name or keyword written verbatim (e.g. "skos:Concept")


@dataclass
class Resource:
    subject: IRI
    properties: list[tuple[str, list[Object]]] = field(default_factory=list)

    def add(self, predicate: str, *objects: Object | None) -> Resource:
        """Add values in order; None and empty values are skipped (optional fields need no ifs)."""
        values = [o for o in objects if o is not None and o != "" and o != Lit("")]
        if values:
            self.properties.append((predicate, values))
        return self


@dataclass
class Turtle:
    prefixes: dict[str, str]
    header: str
    blocks: list[Resource | str] = field(default_factory=list)

    def section(self, title: str) -> None:
        self.blocks.append(title)

    def resource(self, subject: str) -> Resource:
        resource = Resource(IRI(subject))
        self.blocks.append(resource)
        return resource

    def term(self, value: Object) -> str:
        if isinstance(value, Lit):
            text = quote(value.value)
            if value.lang:
                return f"{text}@{value.lang}"
            if value.datatype:
                return f"{text}^^{value.datatype}"
            return text
        if isinstance(value, IRI):
            best = None
            for prefix, namespace in self.prefixes.items():
                local = value[len(namespace) :]
                fits = value.startswith(namespace) and SAFE_LOCAL.match(local)
                if fits and (best is None or len(namespace) > len(self.prefixes[best[0]])):
                    best = (prefix, local)
            return f"{best[0]}:{best[1]}" if best else f"<{value}>"
        return value

    def render(self) -> str:
        lines = [f"# {line}".rstrip() for line in self.header.strip().splitlines()]
        lines.append("")
        width = max(len(p) for p in self.prefixes)
        for prefix, namespace in self.prefixes.items():
            lines.append(f"@prefix {(prefix + ':').ljust(width + 1)} <{namespace}> .")
        for block in self.blocks:
            lines.append("")
            if isinstance(block, str):
                lines.append(f"# --- {block} " + "-" * max(3, 92 - len(block)))
                continue
            lines.append(self.term(block.subject))
            statements = []
            for predicate, values in block.properties:
                terms = [self.term(v) for v in values]
                one_line = f"    {predicate} {' , '.join(terms)}"
                if len(one_line) <= 100 and "\n" not in one_line:
                    statements.append(one_line)
                else:
                    statements.append(f"    {predicate}\n        " + " ,\n        ".join(terms))
            lines.append(" ;\n".join(statements) + " .")
        return "\n".join(lines) + "\n"
