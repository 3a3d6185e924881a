"""Every service has the shape docs/ARCHITECTURE-SHAPE.md describes, checked once for all six."""

import ast
import importlib
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from adly_events import CATALOG
from adly_kit.service import Service

SERVICES = ["auth", "catalog", "campaigns", "creative", "analytics", "gateway"]
IO_LIBRARIES = {"sqlalchemy", "asyncpg", "aiokafka", "faststream", "httpx", "fastapi"}


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def build(name: str) -> Service:
    return importlib.import_module(f"adly_{name}.bootstrap").build()


@pytest.mark.parametrize("name", SERVICES)
def test_build_returns_the_named_service_on_the_shared_catalog(name):
    service = build(name)
    assert isinstance(service, Service)
    assert service.name == name
    assert service.catalog is CATALOG


@pytest.mark.parametrize("name", SERVICES)
def test_migrations_start_with_the_event_backbone(name):
    scripts = ScriptDirectory(build(name).migrations)
    backbone = scripts.get_revision("0001")
    assert backbone.down_revision is None
    assert list(scripts.get_bases()) == ["0001"]
    assert "create_backbone" in backbone.module.upgrade.__code__.co_names
    assert "drop_backbone" in backbone.module.downgrade.__code__.co_names


@pytest.mark.parametrize("name", SERVICES)
def test_published_topics_are_the_catalogs_topics_of_the_context(name):
    expected = {event.topic for event in CATALOG.all() if event.context == name}
    assert set(build(name).produces) == expected


@pytest.mark.parametrize("name", SERVICES)
def test_the_domain_imports_no_io_library(name):
    domain = Path(importlib.import_module(f"adly_{name}.domain").__file__).parent
    found = {path.relative_to(domain).as_posix(): imported_roots(path.read_text()) for path in sorted(domain.rglob("*.py"))}
    assert found, "the domain package has source files"
    assert {module: sorted(roots & IO_LIBRARIES) for module, roots in found.items() if roots & IO_LIBRARIES} == {}


def test_the_io_import_check_notices_io_imports():
    source = "import os\nfrom sqlalchemy.orm import Session\nimport httpx.client\nfrom . import rules\n"
    assert imported_roots(source) & IO_LIBRARIES == {"sqlalchemy", "httpx"}
