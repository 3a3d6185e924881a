"""The command line every service shares: `adly-<service> serve|migrate|replay-dlt|rebuild`."""

from __future__ import annotations

import argparse
import asyncio
import gc
from collections.abc import Callable

import uvicorn

from adly_kit import dlt, migrations
from adly_kit.app import create_app
from adly_kit.logging import setup_logging
from adly_kit.service import ROLES, Runtime, Service
from adly_kit.settings import ServiceSettings
from adly_kit.telemetry import setup_telemetry


def main_for(build: Callable[[], Service]) -> Callable[[], None]:
    def main() -> None:
        service = build()
        parser = argparse.ArgumentParser(prog=f"adly-{service.name}")
        sub = parser.add_subparsers(dest="command", required=True)
        serve = sub.add_parser("serve", help="serve HTTP, consume, relay (all roles by default)")
        serve.add_argument("--roles", default=",".join(ROLES))
        sub.add_parser("migrate", help="apply Alembic migrations to the service's schema")
        replay = sub.add_parser("replay-dlt", help="re-process a consumer's dead-lettered events")
        replay.add_argument("subscription")
        rebuild = sub.add_parser("rebuild", help="rebuild a projection from the event store")
        rebuild.add_argument("projection")
        for name in service.commands:
            sub.add_parser(name, help=f"{service.name}: {name}").add_argument("args", nargs="*")
        args = parser.parse_args()

        settings = service.settings_class(service_name=service.name)
        setup_logging(service.name, settings.log_level)
        setup_telemetry(service.name)
        if args.command == "migrate":
            migrations.upgrade(settings, service.migrations)
        elif args.command == "serve":
            _serve(service, settings, tuple(args.roles.split(",")))
        elif args.command in service.commands:
            asyncio.run(_command(Runtime(service, settings), service.commands[args.command], args.args))
        elif args.command == "replay-dlt":
            asyncio.run(dlt.replay(Runtime(service, settings), args.subscription))
        else:
            asyncio.run(_rebuild(Runtime(service, settings), args.projection))

    return main


def _serve(service: Service, settings: ServiceSettings, roles: tuple[str, ...]) -> None:
    # Every role serves /health, /ready and /metrics, so worker-only pods can be probed too.
    app = create_app(Runtime(service, settings), roles)
    quieter_garbage_collection(settings.gc_young_threshold)
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False, timeout_graceful_shutdown=10)


def quieter_garbage_collection(young: int = 50_000) -> None:
    """What was loaded at start-up (modules, models, the app) lives as long as the process:
    freeze it out of the collector's scans, and collect the young generation less often.
    A sync page allocates tens of thousands of short-lived objects; with the defaults each
    page paid for repeated scans of the whole heap (measured: docs/benchmarks.md, issue 4).

    `young` is how many more container objects than at the last collection start the next
    one (`ServiceSettings.gc_young_threshold`). A pause scans the young objects still alive,
    so a threshold higher than a service's live young objects means rarer but longer pauses:
    the catalog's syncs want that, a latency-bound consumer does not (docs/benchmarks.md,
    issue 16, stop of 2026-12-08)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(young, 20, 20)


async def _command(runtime: Runtime, command, args: list[str]) -> None:
    try:
        await command(await runtime.open(("command",)), args)
    finally:
        await runtime.close()


async def _rebuild(runtime: Runtime, name: str) -> None:
    runner = next(r for r in runtime.projection_runners if r.projection.name == name)
    count = await runner.rebuild()
    print(f"rebuilt {name} from {count} events")
    await runtime.engine.dispose()
