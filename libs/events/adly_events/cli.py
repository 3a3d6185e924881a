"""`adly-events schemas DIR` and `adly-events asyncapi FILE`: export the published language."""

import argparse
import json
from pathlib import Path

from adly_events import CATALOG, asyncapi, contracts  # noqa: F401  (registers the contracts)


def export_schemas(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for schema_id, schema in CATALOG.json_schemas().items():
        (directory / f"{schema_id}.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")


def export_asyncapi(path: Path) -> None:
    path.write_text(json.dumps(asyncapi.build(CATALOG), indent=2, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(prog="adly-events")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("schemas").add_argument("directory", type=Path)
    sub.add_parser("asyncapi").add_argument("path", type=Path)
    args = parser.parse_args()
    if args.command == "schemas":
        export_schemas(args.directory)
    else:
        export_asyncapi(args.path)
