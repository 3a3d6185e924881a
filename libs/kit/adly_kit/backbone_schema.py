"""The tables of the event backbone, created in every service's own schema.

Each service's first Alembic revision runs `create_statements(schema)`; tests run it
too, so production and tests have one definition.
"""

from adly_kit.db import safe_schema


def notify_channel(schema: str) -> str:
    """Postgres channel told at commit that the schema's outbox has new rows."""
    return f"adly_{safe_schema(schema)}_appended"


def create_statements(schema: str) -> list[str]:
    s = safe_schema(schema)
    channel = notify_channel(s)
    return [
        f"CREATE SCHEMA IF NOT EXISTS {s}",
        # The primary key (aggregate_id, aggregate_version) is the optimistic-concurrency
        # guard. tx_id is the writing transaction's id, used to read the store in an
        # order that a late-committing writer can never slip in behind (see EventStore.read_all).
        f"""CREATE TABLE {s}.events (
            aggregate_id uuid NOT NULL,
            aggregate_version integer NOT NULL CHECK (aggregate_version > 0),
            position bigint GENERATED ALWAYS AS IDENTITY,
            tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
            aggregate_type text NOT NULL,
            event_id uuid NOT NULL UNIQUE,
            event_type text NOT NULL,
            schema_version integer NOT NULL,
            workspace_id uuid,
            occurred_at timestamptz NOT NULL,
            envelope jsonb NOT NULL,
            PRIMARY KEY (aggregate_id, aggregate_version)
        )""",
        f"CREATE INDEX events_commit_order ON {s}.events (tx_id, position)",
        f"""CREATE TABLE {s}.outbox (
            position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            -- No foreign key to events: the same statement writes both rows, and a
            -- per-row referential check would cost every append for nothing.
            event_id uuid NOT NULL,
            topic text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz
        )""",
        f"CREATE INDEX outbox_unpublished ON {s}.outbox (position) WHERE published_at IS NULL",
        f"""CREATE FUNCTION {s}.notify_appended() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('{channel}', ''); RETURN NULL; END $$""",
        f"""CREATE TRIGGER outbox_appended AFTER INSERT ON {s}.outbox
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.notify_appended()""",
        f"""CREATE TABLE {s}.inbox (
            consumer text NOT NULL,
            event_id uuid NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, event_id)
        )""",
        f"""CREATE TABLE {s}.projection_checkpoints (
            projection text PRIMARY KEY,
            tx_id xid8 NOT NULL,
            position bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
    ]


def drop_statements(schema: str) -> list[str]:
    return [f"DROP SCHEMA IF EXISTS {safe_schema(schema)} CASCADE"]
