"""`adly-dev`: the developer's commands (`adly-dev run`, `adly-dev run --check`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from adly_kit.devstack.run import SERVICES, Options, default_data_dir, run


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="adly-dev", description="Run ADLY on this machine.")
    commands = root.add_subparsers(dest="command", required=True)
    start = commands.add_parser(
        "run",
        help="start PostgreSQL, the broker and every service; Ctrl-C stops them all",
        description="Embedded PostgreSQL and Tansu unless DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS are set.",
    )
    start.add_argument("--check", action="store_true", help="start, print the table, stop; exit 1 unless all ready")
    start.add_argument("--data-dir", type=Path, help="PostgreSQL data, logs and pid files (default: <repo>/var)")
    start.add_argument("--gateway-port", type=int, default=8000, help="the gateway's port (default 8000)")
    start.add_argument("--base-port", type=int, default=8100, help="other services on base+1.. (default 8100)")
    start.add_argument("--ready-timeout", type=float, default=60.0, help="seconds to wait for /ready (default 60)")
    start.add_argument("--services", default=",".join(SERVICES), help="comma-separated subset to run")
    return root


def options_of(args: argparse.Namespace) -> Options:
    services = tuple(s.strip() for s in args.services.split(",") if s.strip())
    unknown = sorted(set(services) - set(SERVICES))
    if unknown:
        raise SystemExit(f"adly-dev: unknown services {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
    return Options(
        data_dir=(args.data_dir or default_data_dir()).absolute(),
        gateway_port=args.gateway_port,
        base_port=args.base_port,
        ready_timeout=args.ready_timeout,
        check=args.check,
        services=services,
    )


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    sys.exit(run(options_of(args)))
