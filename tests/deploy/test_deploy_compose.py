"""docker-compose.yml: the Compose Specification's JSON Schema (what `docker compose config`
checks, without Docker), then the wiring a newcomer would trip over."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from adly_gateway.settings import UPSTREAMS

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def compose_schema() -> dict:
    # check-jsonschema vendors the compose-spec schema with a checksum: the pinned version is the spec.
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return yaml.safe_load(vendored.read_text())


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def dependencies(service: dict) -> list[str]:
    return list(service.get("depends_on") or [])


def is_adly(service: dict) -> bool:
    return str(service.get("image", "")).startswith("adly-")


def is_one_shot(service: dict) -> bool:
    return service.get("command") == ["migrate"]


def test_the_compose_file_matches_the_compose_specification(compose):
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
              for error in validator.iter_errors(compose)]
    assert not errors, "docker-compose.yml breaks the Compose Specification:\n" + "\n".join(errors)


def test_every_adly_service_has_a_healthcheck_or_waits_for_its_migration(compose):
    services = compose["services"]
    unchecked = [name for name, service in services.items()
                 if is_adly(service) and not is_one_shot(service) and "healthcheck" not in service
                 and not any(is_one_shot(services.get(target, {})) for target in dependencies(service))]
    assert not unchecked, f"services with neither a healthcheck nor depends_on a migration: {unchecked}"


def test_every_depends_on_target_is_a_service(compose):
    services = compose["services"]
    missing = [f"{name}.depends_on: {target}" for name, service in services.items()
               for target in dependencies(service) if target not in services]
    assert not missing, f"depends_on names services that do not exist: {missing}"


@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_the_gateway_reaches_each_service_by_its_compose_name(compose, upstream):
    variable = f"ADLY_UPSTREAM_{upstream.upper()}"
    url = environment(compose["services"]["gateway"]).get(variable)
    assert url, f"services.gateway.environment has no {variable}: the gateway would proxy to itself"
    host = urlsplit(url).hostname
    assert host == upstream and upstream in compose["services"], (
        f"services.gateway.environment.{variable}={url!r} should point at the compose service {upstream!r}")


def published_ports(service: dict) -> list[tuple[str, str]]:
    """(host ip, the entry as written) of each published port; '' when every interface."""
    ports = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.append((str(entry.get("host_ip", "")), str(entry)))
        else:
            parts = str(entry).rsplit(":", 2)
            ports.append((parts[0] if len(parts) == 3 else "", str(entry)))
    return ports


def test_ports_are_published_on_the_loopback_interface_only(compose):
    exposed = [f"services.{name}.ports: {entry!r}" for name, service in compose["services"].items()
               for host_ip, entry in published_ports(service) if host_ip != "127.0.0.1"]
    assert not exposed, f"ports published beyond 127.0.0.1 (reachable from the network): {exposed}"
