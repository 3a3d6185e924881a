"""The analytics service has the shape every ADLY service has (docs/ARCHITECTURE-SHAPE.md)."""

import ast
from pathlib import Path

from adly_events import CATALOG
from adly_kit.service import Service
from alembic.script import ScriptDirectory

import adly_analytics.domain
from adly_analytics.bootstrap import build

IO_LIBRARIES = {"sqlalchemy", "asyncpg", "aiokafka", "faststream", "httpx", "fastapi"}
DOMAIN = Path(adly_analytics.domain.__file__).parent


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def domain_sources() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_build_returns_the_analytics_service():
    service = build()
    assert isinstance(service, Service)
    assert service.name == "analytics"
    assert service.catalog is CATALOG


def test_migrations_start_with_the_event_backbone():
    scripts = ScriptDirectory(build().migrations)
    backbone = scripts.get_revision("0001")
    assert backbone.down_revision is None
    assert list(scripts.get_bases()) == ["0001"]
    assert "create_backbone" in backbone.module.upgrade.__code__.co_names
    assert "drop_backbone" in backbone.module.downgrade.__code__.co_names


def test_published_topics_are_the_catalogs_topics_of_this_context():
    expected = {event.topic for event in CATALOG.all() if event.context == "analytics"}
    assert set(build().produces) == expected


def test_domain_imports_no_io_library():
    found = {path.relative_to(DOMAIN).as_posix(): imported_roots(path.read_text()) for path in domain_sources()}
    assert found, "the domain package has source files"
    assert {name: sorted(roots & IO_LIBRARIES) for name, roots in found.items() if roots & IO_LIBRARIES} == {}


def test_the_io_import_check_notices_io_imports():
    source = "import os\nfrom sqlalchemy.orm import Session\nimport httpx.client\nfrom . import rules\n"
    assert imported_roots(source) & IO_LIBRARIES == {"sqlalchemy", "httpx"}
