"""Compact names for IRIs, one rule for every door: of the namespaces an IRI starts with,
the longest wins, so `fw:` (every framework) never hides `nist:` (one of them) whatever the
order of the table. Pure: the tables live with their users (`stkg.labels.PREFIXES` for text
meant for people, `stkg.store.PREFIXES` for serialising RDF)."""

from __future__ import annotations

from collections.abc import Mapping


def compact(iri: str, prefixes: Mapping[str, str]) -> str | None:
    """`prefix:local` for the longest namespace of `prefixes` that `iri` extends, else None."""
    fits = [(len(ns), p, ns) for p, ns in prefixes.items() if iri.startswith(ns) and iri != ns]
    if not fits:
        return None
    _, prefix, namespace = max(fits)
    return f"{prefix}:{iri[len(namespace) :]}"
