"""Unknown stkg: terms: IRIs in the stkg: namespace that the ontology does not declare.

A typo such as stkg:hasOwnr otherwise silently validates as missing data, so `stkg validate`
names each with the closest known term. Computed on the store (`store_known_terms`,
`store_unknown_terms`: two scans in Oxigraph, `start_unknown_terms` to run them beside
validation) or on an rdflib graph (`known_terms`, `unknown_terms`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from rdflib import Graph, URIRef

from stkg.namespace import STKG_NS
from stkg.store import Store

_OURS = f'isIRI(?t) && STRSTARTS(STR(?t), "{STKG_NS}")'


@dataclass(frozen=True)
class UnknownTerm:
    term: str
    closest: str | None
    source: str | None = None


def known_terms(graph: Graph) -> set[str]:
    """The stkg: terms an ontology graph declares (every stkg: IRI that is a subject)."""
    return {str(s) for s in graph.subjects() if isinstance(s, URIRef) and s.startswith(STKG_NS)}


def unknown_terms(data: Graph, known: set[str], source: str | None = None) -> list[UnknownTerm]:
    """stkg: IRIs used in `data` that the ontology does not declare, each with the closest
    known term."""
    used = {
        str(term)
        for triple in data
        for term in triple
        if isinstance(term, URIRef) and term.startswith(STKG_NS)
    }
    return closest(used, known, source)


def store_known_terms(store: Store, graphs: Sequence[str]) -> set[str]:
    """`known_terms` of these graphs of the store."""
    if not graphs:
        return set()
    answer = store.query(
        f"SELECT DISTINCT ?t WHERE {{ VALUES ?g {{ {_values(graphs)} }} "
        f"GRAPH ?g {{ ?t ?p ?o }} FILTER({_OURS}) }}"
    )
    return {row[0].value for row in answer.rows}


def store_unknown_terms(
    store: Store, graphs: Mapping[str, str | None], known: set[str]
) -> list[UnknownTerm]:
    """`unknown_terms` of each graph of the store (`graphs`: graph -> how a warning names
    its source; graphs with the same name are one source)."""
    if not graphs:
        return []
    answer = store.query(
        f"SELECT DISTINCT ?g ?t WHERE {{ VALUES ?g {{ {_values(graphs)} }} GRAPH ?g {{ "
        "{ ?t ?p ?o } UNION { ?s ?t ?o } UNION { ?s ?p ?t } } "
        f"FILTER({_OURS}) }}"
    )
    used: dict[str | None, set[str]] = {}
    for graph in graphs:  # in the order given, as the warnings come
        used.setdefault(graphs[graph], set())
    for g, t in answer.rows:
        used[graphs[g.value]].add(t.value)
    return [term for source, terms in used.items() for term in closest(terms, known, source)]


def start_unknown_terms(
    store: Store, graphs: Mapping[str, str | None], known_graphs: Sequence[str]
) -> Future[list[UnknownTerm]]:
    """`store_unknown_terms(store, graphs, store_known_terms(store, known_graphs))` in a
    thread of its own, to run while the store is validated: Oxigraph evaluates a query
    without holding the GIL, so on a second core the scans (every triple of the data, about
    1.7 s at 20,000 systems) cost no wall time. The store must not change meanwhile."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="stkg-unknown-terms")
    try:
        return pool.submit(
            lambda: store_unknown_terms(store, graphs, store_known_terms(store, known_graphs))
        )
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task


def closest(used: Iterable[str], known: set[str], source: str | None) -> list[UnknownTerm]:
    """The terms of `used` not in `known`, sorted, each with the closest known term."""
    names = sorted(k.removeprefix(STKG_NS) for k in known)
    found = []
    for term in sorted(set(used) - known):
        close = difflib.get_close_matches(term.removeprefix(STKG_NS), names, n=1, cutoff=0.0)
        found.append(UnknownTerm(term, STKG_NS + close[0] if close else None, source))
    return found


def _values(graphs: Iterable[str]) -> str:
    return " ".join(f"<{g}>" for g in graphs)
