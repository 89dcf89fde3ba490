"""`stkg classify`: the EU AI Act tier of every system, derived by rules and explained."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections import Counter
from typing import Any

import click
import pyoxigraph as ox

from stkg.classify import (
    CLASSIFICATION_GRAPH,
    Classification,
    classification_triples,
    load_rules,
    rules_folder,
    store_classification,
    stored_classifications,
    tiers_by_system,
)
from stkg.classify import (
    classify as run_classification,
)
from stkg.cli.workspace import Workspace
from stkg.errors import StkgError
from stkg.labels import Term, compact, describe
from stkg.store import PREFIXES, for_reading
from stkg.validate_formats import SHAPES_NS

FORMATS = ("table", "json", "csv", "turtle")
CSV_COLUMNS = (
    "system",
    "system_label",
    "tier",
    "tier_label",
    "rule",
    "rule_label",
    "legal_basis",
    "facts",
    "explanation",
)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="turtle writes the classification graph: tiers, derivations and rules.",
)
@click.option(
    "--store-results",
    "keep",
    is_flag=True,
    help=f"Put the classification into the graph <{CLASSIFICATION_GRAPH}> (kept with --store).",
)
@click.option(
    "--explain",
    "system",
    metavar="SYSTEM",
    help="Explain one system (its IRI, a prefixed name such as ex:LoanApproval, or its local "
    "name): each tier with the rule, the recorded facts and the legal basis.",
)
@click.pass_obj
def classify(ws: Workspace, fmt: str, keep: bool, system: str | None) -> None:
    """Derive the EU AI Act tier of every system from its recorded facts.

    Rules in the project's rules/ folder (SPARQL CONSTRUCT) place a system in the prohibited,
    high-risk (Annex I, Annex III), transparency or minimal tier; a system whose facts are
    missing is unclassified, never high-risk.
    """
    rules = load_rules(rules_folder(ws.project))
    if fmt == "turtle" and system is not None:
        raise click.UsageError("--explain works with --format table, json or csv")
    if keep:
        store_classification(ws.store, rules)
        ws.store.flush()
    store = for_reading(ws.store)  # on disk: the in-memory copy, much faster to read
    if fmt == "turtle":  # the graph itself, so the derivations are not needed as objects
        triples = classification_triples(store, rules)
        sys.stdout.write(
            ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_prefixes()).decode()
        )
        return
    found = stored_classifications(store) if keep else run_classification(store, rules)
    if system is not None:
        system = _resolve(system, {c.system for c in found})
        found = [c for c in found if c.system == system]
    terms = describe(store, _iris(found))
    terms.update({r.iri: Term(r.iri, r.label) for r in rules})  # stored only with the results
    if fmt == "json":
        sys.stdout.write(json.dumps(to_data(found, terms), indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        sys.stdout.write(to_csv(found, terms))
    elif system is not None:
        sys.stdout.write(explain(system, found, terms))
    else:
        sys.stdout.write(to_table(found, terms))


def _prefixes() -> dict[str, str]:
    return {
        **PREFIXES,
        "tier": "https://w3id.org/stkg/framework/eu-ai-act/tier/",
        "euaia": "https://w3id.org/stkg/framework/eu-ai-act/",
        "rule": "https://w3id.org/stkg/rule/eu-ai-act/",
        "eu-aiact": "https://w3id.org/dpv/legal/eu/aiact#",
        "stkgsh": SHAPES_NS,
    }


def _resolve(name: str, systems: set[str]) -> str:
    """A system from its IRI, a prefixed name or its local name."""
    text = name.strip().removeprefix("<").removesuffix(">")
    if text in systems:
        return text
    _, colon, local = text.partition(":")
    if colon and not local.startswith("//"):
        candidates = {s for s in systems if compact(s) == text}
    else:
        candidates = {s for s in systems if s.rsplit("/", 1)[-1].rsplit("#", 1)[-1] == text}
    if len(candidates) == 1:
        return candidates.pop()
    if candidates:
        raise StkgError(f"{name!r} names several systems: {', '.join(sorted(candidates))}")
    raise StkgError(f"no social-technical system {name!r} in the store")


def _iris(found: list[Classification]) -> set[str]:
    iris: set[str] = set()
    for c in found:
        iris |= {c.system, c.tier, c.rule, *c.legal_basis}
        for fact in c.facts:
            iris |= {fact.subject, fact.predicate, fact.object}
    return iris


def _name(iri: str, terms: dict[str, Term]) -> str:
    term = terms.get(iri)
    return term.short if term else iri


def to_data(found: list[Classification], terms: dict[str, Term]) -> dict[str, Any]:
    """The JSON document: every derivation, each system's tiers and the count per tier."""
    tiers = tiers_by_system(found)
    return {
        "classifications": [
            {
                "system": c.system,
                "system_label": terms[c.system].label,
                "tier": c.tier,
                "tier_label": terms[c.tier].label,
                "rule": c.rule,
                "rule_label": terms[c.rule].label,
                "legal_basis": [{"iri": b, "notation": _name(b, terms)} for b in c.legal_basis],
                "facts": [
                    {"subject": f.subject, "predicate": f.predicate, "object": f.object}
                    for f in c.facts
                ],
                "explanation": c.explanation,
                "iri": c.iri,
            }
            for c in found
        ],
        "systems": tiers,
        "counts": dict(sorted(Counter(t for ts in tiers.values() for t in ts).items())),
    }


def to_csv(found: list[Classification], terms: dict[str, Term]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in found:
        writer.writerow(
            [
                c.system,
                terms[c.system].label,
                c.tier,
                terms[c.tier].label,
                c.rule,
                terms[c.rule].label,
                " ".join(c.legal_basis),
                "; ".join(f"<{f.subject}> <{f.predicate}> {_object(f.object)}" for f in c.facts),
                c.explanation,
            ]
        )
    return out.getvalue()


def _object(value: str) -> str:
    return f"<{value}>" if "://" in value and " " not in value else json.dumps(value)


def to_table(found: list[Classification], terms: dict[str, Term]) -> str:
    header = ("system", "tier", "rule", "legal basis")
    rows = [
        (
            compact(c.system),
            terms[c.tier].label,
            c.rule.rsplit("/", 1)[-1],
            ", ".join(_name(b, terms) for b in c.legal_basis) or "-",
        )
        for c in found
    ]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    systems = len({c.system for c in found})
    lines.append(f"({len(found)} derivations for {systems} systems)")
    return "\n".join(lines) + "\n"


def explain(system: str, found: list[Classification], terms: dict[str, Term]) -> str:
    """One system's tiers, each with its rule, the facts it rests on and its legal basis."""
    lines = [f"{terms[system].label} <{system}>", ""]
    for c in found:
        lines.append(f"{terms[c.tier].label} <{c.tier}>")
        lines.append(f"  rule: {terms[c.rule].label} <{c.rule}>")
        lines.append(f"  why: {c.explanation}")
        if c.facts:
            lines.append("  facts:")
            for f in c.facts:
                lines.append(
                    f"    {compact(f.subject)} {compact(f.predicate)} "
                    f"{_name(f.object, terms) if f.object in terms else f.object}"
                )
        if c.legal_basis:
            basis = "; ".join(f"{_name(b, terms)} <{b}>" for b in c.legal_basis)
            lines.append(f"  legal basis: {basis}")
        lines.append("")
    return "\n".join(lines)
