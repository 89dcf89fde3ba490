"""Shared fixtures: `project`, `store`, `app`, `client`, `runner`, and small project folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stkg.project import Project
from stkg.web import create_app

REPO = Path(__file__).resolve().parents[1]

MINI_ONTOLOGY = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix stkg: <https://w3id.org/stkg#> .
<https://w3id.org/stkg> a owl:Ontology .
stkg:SocialTechnicalSystem a owl:Class ; rdfs:label "social-technical system"@en .
stkg:Framework a owl:Class ; rdfs:label "framework"@en .
stkg:hasOwner a owl:ObjectProperty ; rdfs:label "has owner"@en .
"""

MINI_DATA = """\
@prefix stkg: <https://w3id.org/stkg#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://w3id.org/stkg/example/test/> .
ex:Chatbot a stkg:SocialTechnicalSystem ; rdfs:label "Chatbot" .
ex:Triage a ex:ClinicalSystem ; rdfs:label "Triage" .
ex:ClinicalSystem rdfs:subClassOf stkg:SocialTechnicalSystem .
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def mini_project(tmp_path: Path) -> Project:
    """A tiny project: two systems (one typed with a user subclass), one named query."""
    root = write_project(
        tmp_path / "mini",
        {
            "ontology/core.ttl": MINI_ONTOLOGY,
            "data/systems.ttl": MINI_DATA,
            "queries/systems.rq": "# All systems\nPREFIX stkg: <https://w3id.org/stkg#>\n"
            "SELECT ?s WHERE { ?s a stkg:SocialTechnicalSystem } ORDER BY ?s\n",
        },
    )
    return Project(root)


@pytest.fixture(scope="session")
def project() -> Project:
    """The project in this checkout: the one stkg ships."""
    return Project(REPO)


@pytest.fixture(scope="session")
def store(project):
    return project.open_store()


@pytest.fixture(scope="session")
def app(project, store):
    return create_app(project=project, store=store)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def explorer_app(project):
    """An app over its own copy of the project: explorer pages derive the EU AI Act
    classification into the store on first use, which must not leak into the shared `store`."""
    return create_app({"STKG_QUERY_WORKERS": 0}, project=project, store=project.open_store())


@pytest.fixture
def explorer(explorer_app):
    """A test client for the explorer pages."""
    return explorer_app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
