"""Ad-hoc negation: "systems without …" written the way most people write it, with
`FILTER NOT EXISTS`, through `OxigraphStore.query` (which rewrites it as `MINUS` where
provably the same: `stkg.negation`) and as written, straight to pyoxigraph.

    .venv/bin/python -m bench.negation --systems 1000,10000,100000

Per size: `stkg generate` (seed 13), loaded with the project; each question three times
through the store, and once as written where that is expected to finish (`--as-written-up-to`,
10,000 systems by default: pyoxigraph evaluates NOT EXISTS once per row, oxigraph#885), with
the rows of both compared. One Markdown table on standard output.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.workers import REPO, STKG

PREFIXES = """PREFIX stkg: <https://w3id.org/stkg#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""

QUESTIONS = {
    "systems without an escalation path": """
SELECT ?system WHERE {
  ?systemClass rdfs:subClassOf* stkg:SocialTechnicalSystem .
  ?system a ?systemClass .
  FILTER NOT EXISTS { ?system stkg:hasProcess ?p . ?p a stkg:EscalationPath }
}""",
    "high-impact systems without a human review": """
SELECT ?system WHERE {
  ?system a stkg:SocialTechnicalSystem ; stkg:impactLevel stkg:HighImpact .
  FILTER NOT EXISTS { ?system stkg:hasProcess ?r . ?r a stkg:HumanReview ; stkg:performedBy ?who }
}""",
    "systems without an owner": """
SELECT ?system ?label WHERE {
  ?system a stkg:SocialTechnicalSystem .
  FILTER NOT EXISTS { ?system stkg:hasOwner ?owner }
  OPTIONAL { ?system rdfs:label ?label }
}""",
}


def rows(result) -> list[str]:  # noqa: ANN001 - an iterable of pyoxigraph solutions
    return sorted(" ".join(str(v) for v in solution) for solution in result)


def main(argv: list[str] | None = None) -> None:
    from stkg.negation import minus_for_not_exists
    from stkg.project import Project, external_source

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", default="1000,10000,100000", help="sizes, comma-separated")
    parser.add_argument("--as-written-up-to", type=int, default=10_000)
    args = parser.parse_args(argv)
    lines = [
        "| systems | question | rows | stkg (rewritten) p50 | as written | ratio | same rows |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="stkg-bench-negation-") as tmp:
        for size in (int(s) for s in args.systems.split(",")):
            data = Path(tmp) / f"portfolio-{size}.nt"
            subprocess.run([*STKG, "generate", "--systems", str(size), "--seed", "13",
                            "--out", str(data)], check=True, capture_output=True)  # fmt: skip
            store = Project(REPO).open_store()
            store.load([external_source(data)])
            for question, body in QUESTIONS.items():
                text = PREFIXES + body
                assert minus_for_not_exists(text) != text, f"{question}: not rewritten"
                times = []
                for _ in range(3):
                    start = time.perf_counter()
                    found = store.query(text)
                    times.append(time.perf_counter() - start)
                fast = statistics.median(times)
                cells = [f"{size:,}", question, f"{len(found):,}", f"{fast * 1000:,.1f} ms"]
                if size <= args.as_written_up_to:
                    start = time.perf_counter()
                    slow = store._store.query(text, use_default_graph_as_union=True)
                    written = rows(slow)
                    took = time.perf_counter() - start
                    again = minus_for_not_exists(text)
                    rewritten = rows(store._store.query(again, use_default_graph_as_union=True))
                    same = "yes" if written == rewritten else "**no**"
                    cells += [f"{took:,.2f} s", f"{took / fast:,.0f}×", same]
                else:
                    cells += ["not run", "—", "—"]
                lines.append("| " + " | ".join(cells) + " |")
                print(lines[-1], flush=True, file=__import__("sys").stderr)
            store.close()
            data.unlink()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
