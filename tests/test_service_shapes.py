"""Every service has the shape docs/ARCHITECTURE-SHAPE.md describes, checked once for all seven."""

import ast
import importlib
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from adly_events import CATALOG
from adly_kit.service import Service

SERVICES = ["auth", "catalog", "campaigns", "creative", "analytics", "notifications", "gateway"]
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


def sources(name: str, folder: str) -> dict[str, str]:
    package = Path(importlib.import_module(f"adly_{name}").__file__).parent
    return {path.relative_to(package.parent.parent).as_posix(): path.read_text()
            for path in sorted((package / folder).rglob("*.py"))}


def service_sources(name: str) -> dict[str, str]:
    package = Path(importlib.import_module(f"adly_{name}").__file__).parent
    return {path.relative_to(package.parent.parent).as_posix(): path.read_text()
            for path in sorted(package.rglob("*.py")) if "migrations" not in path.parts}


@pytest.mark.parametrize("name", SERVICES)
def test_the_service_is_the_kits_service_with_its_adapters_declared(name):
    """One way to wire a service: no subclass with hooks of its own, adapters built by the runtime."""
    service = build(name)
    assert type(service) is Service
    assert service.adapters is not None, "Service(adapters=...) says how the adapters are built"


@pytest.mark.parametrize("name", SERVICES)
def test_no_local_wiring_scheme(name):
    """Adapters come from the kit (`adly_kit.app.adapters`, `Delivery.adapters`), never from app
    state, module globals set at start-up, or a namespace standing in for a runtime."""
    banned = {
        "app.state.": "routes take adapters from adly_kit.app.adapters",
        "SimpleNamespace": "a stand-in runtime",
        "hasattr(runtime": "adapters stored on the runtime",
        "getattr(runtime": "adapters stored on the runtime",
        "(APIRoute)": "a route class of its own translating errors: the kit translates DomainError",
        "class DomainError": "the kit's adly_kit.errors.DomainError is the one base",
        "HTTPException(": "raise an adly_kit.errors error; the kit answers with problem+json",
        "isinstance(payload": "a typed subscription hands the handler its own payload type",
    }
    found = {(path, marker) for path, source in service_sources(name).items() for marker in banned if marker in source}
    assert found == set()


@pytest.mark.parametrize("name", SERVICES)
def test_handlers_never_commit(name):
    """The edge owns the transaction: handlers get one, they never open or commit one."""
    found = {path for path, source in sources(name, "handlers").items()
             if any(marker in source for marker in (".begin(", ".commit(", "unit_of_work(", ".connect("))}
    assert found == set()


@pytest.mark.parametrize("name", SERVICES)
def test_handlers_have_unit_tests_on_in_memory_doubles(name):
    """Every service's handlers are tested without Postgres or a broker."""
    package = Path(importlib.import_module(f"adly_{name}").__file__).parent
    if not [p for p in (package / "handlers").glob("*.py") if p.name != "__init__.py"]:
        pytest.skip(f"adly_{name} has no handlers yet")
    unit = package.parent / "tests" / "unit"
    tested = [p for p in unit.glob(f"test_{name}_*.py") if "adly_" + name + ".handlers" in p.read_text()]
    assert tested, f"{unit} has a test_{name}_*.py module that drives adly_{name}.handlers"
    for path in tested:
        assert not imported_roots(path.read_text()) & {"asyncpg", "aiokafka", "faststream"}, path
