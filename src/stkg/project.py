"""A project folder, found by convention, and loading it into a store.

A project is a folder with `ontology/` (Turtle files) and, usually, `shapes/`, `queries/`
and `data/`. stkg uses, in order: the folder named with `--project` / `STKG_PROJECT`; the
current directory when it is a project; the project shipped inside the package. Each RDF
file is loaded into its own named graph, `GRAPH_BASE` + its project-relative path, so the
origin of every triple can be asked for in SPARQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from stkg.errors import ProjectError
from stkg.rdf_files import RDF_FORMATS, Source
from stkg.store import LoadReport, Store, open_store

GRAPH_BASE = "https://w3id.org/stkg/graph/"
KNOWLEDGE_FOLDERS = ("ontology", "shapes", "data")  # loaded into the store
QUERY_FOLDER = "queries"  # named queries: .rq files, not RDF


def is_project(folder: Path) -> bool:
    """A folder is a project when its `ontology/` holds at least one RDF file."""
    ontology = folder / "ontology"
    return ontology.is_dir() and any(
        p.suffix.lower() in RDF_FORMATS for p in ontology.rglob("*") if p.is_file()
    )


def bundled_project_dir() -> Path:
    """The project shipped with the package: inside the wheel, or the source checkout
    when stkg is installed in editable mode."""
    packaged = Path(str(files("stkg"))) / "_project"
    if is_project(packaged):
        return packaged
    checkout = Path(__file__).resolve().parents[2]
    if is_project(checkout):
        return checkout
    raise ProjectError("this stkg installation has no bundled project (ontology/ is missing)")


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def find(cls, explicit: str | Path | None = None, cwd: Path | None = None) -> Project:
        """The project to work on: explicit folder, else the current directory if it is
        one, else the bundled project."""
        if explicit is not None:
            root = Path(explicit).expanduser().resolve()
            if not root.is_dir():
                raise ProjectError(f"{explicit}: no such project folder")
            if not is_project(root):
                raise ProjectError(
                    f"{explicit}: not an stkg project (expected ontology/ with Turtle files)"
                )
            return cls(root)
        here = (cwd or Path.cwd()).resolve()
        if is_project(here):
            return cls(here)
        return cls(bundled_project_dir().resolve())

    def rdf_files(self) -> list[Path]:
        """Every RDF file of the knowledge folders, in a stable order."""
        found = []
        for folder in KNOWLEDGE_FOLDERS:
            base = self.root / folder
            if base.is_dir():
                found += [
                    p
                    for p in base.rglob("*")
                    if p.is_file() and p.suffix.lower() in RDF_FORMATS and not _hidden(p, base)
                ]
        return sorted(found, key=lambda p: p.relative_to(self.root).as_posix())

    def query_files(self) -> list[Path]:
        base = self.root / QUERY_FOLDER
        return sorted(base.glob("*.rq")) if base.is_dir() else []

    def graph_for(self, path: Path) -> str:
        return GRAPH_BASE + path.relative_to(self.root).as_posix()

    def sources(self) -> list[Source]:
        return [
            Source(path, self.graph_for(path), path.relative_to(self.root).as_posix())
            for path in self.rdf_files()
        ]

    def load_into(self, store: Store) -> list[LoadReport]:
        """Load every project file into its graph, replacing what an earlier load of the
        project left, including graphs of files that have since been removed. Graphs that
        stkg derives (validation results, inferences) are not file graphs and are kept."""
        sources = self.sources()
        reports = store.load(sources)
        current = {s.graph for s in sources}
        file_graphs = tuple(f"{GRAPH_BASE}{folder}/" for folder in KNOWLEDGE_FOLDERS)
        for graph in store.graphs():
            if graph.startswith(file_graphs) and graph not in current:
                store.drop_graph(graph)
        return reports

    def open_store(self, spec: str | Path | None = None, **remote: str | None) -> Store:
        """The store `spec` names (`stkg.store.open_store`; `remote`: its settings for a
        server) holding this project."""
        store = open_store(spec, **remote)
        self.load_into(store)
        store.flush()
        return store


def _hidden(path: Path, base: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(base).parts)


def external_source(path: Path, graph: str | None = None) -> Source:
    """A file from outside the project: its graph is its file: URI unless one is given."""
    resolved = path.expanduser().resolve()
    # read the file by the name given: its extension says its syntax even behind a symlink
    return Source(path.expanduser().absolute(), graph or resolved.as_uri(), str(path))
