"""The published AsyncAPI document and JSON Schemas are a contract: a change must be deliberate.

To accept a deliberate change: `make contracts` regenerates `docs/events/`.
"""

import json
from pathlib import Path

from adly_events import CATALOG, asyncapi, contracts  # noqa: F401

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events"


def test_asyncapi_document_matches_the_committed_snapshot():
    generated = json.dumps(asyncapi.build(CATALOG), indent=2, sort_keys=True) + "\n"
    assert generated == (DOCS / "asyncapi.json").read_text()


def test_every_registered_event_has_its_committed_json_schema():
    schemas = CATALOG.json_schemas()
    assert schemas, "the catalog registers no event"
    for schema_id, schema in schemas.items():
        committed = json.loads((DOCS / "schemas" / f"{schema_id}.json").read_text())
        assert committed == schema, schema_id


def test_every_reference_in_the_asyncapi_document_resolves():
    document = asyncapi.build(CATALOG)

    def refs(node):
        if isinstance(node, dict):
            yield from ([node["$ref"]] if "$ref" in node else [])
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(document))
    assert found, "the document has no $ref, so there is nothing to resolve"
    for ref in found:
        assert ref.startswith("#/"), ref
        target = document
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict) and part in target, ref
            target = target[part]


def test_every_event_lives_on_its_contexts_topic():
    assert CATALOG.topics() == [
        "adly.analytics.campaign_performance",
        "adly.analytics.figures",
        "adly.analytics.rule",
        "adly.auth.api_key",
        "adly.auth.session",
        "adly.auth.user",
        "adly.auth.workspace",
        "adly.campaigns.ad_account",
        "adly.campaigns.campaign",
        "adly.campaigns.performance",
        "adly.catalog.order",
        "adly.catalog.product",
        "adly.catalog.store",
        "adly.catalog.sync",
        "adly.creative.generation_job",
        "adly.notifications.notification",
        "adly.notifications.webhook_endpoint",
    ]
