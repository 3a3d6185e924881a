"""Webhooks: endpoints, their sealed signing secrets, the deliveries work table and every attempt.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ["webhook_attempts", "webhook_deliveries", "webhook_secrets", "webhook_endpoints"]


def statements(s: str) -> list[str]:
    return [
        f"""CREATE TABLE {s}.webhook_endpoints (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            url text NOT NULL,
            kinds text[] NOT NULL DEFAULT '{{}}',           -- empty: every kind
            description text NOT NULL DEFAULT '',
            enabled boolean NOT NULL DEFAULT true,
            disabled_reason text,
            failing_since timestamptz,                      -- first failure since the last success
            last_success_at timestamptz,
            created_by text,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX webhook_endpoints_workspace ON {s}.webhook_endpoints (workspace_id) WHERE enabled",
        # The current secret has retires_at NULL; a rotated one keeps signing until retires_at.
        f"""CREATE TABLE {s}.webhook_secrets (
            id uuid PRIMARY KEY,
            endpoint_id uuid NOT NULL REFERENCES {s}.webhook_endpoints (id) ON DELETE CASCADE,
            sealed text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            retires_at timestamptz
        )""",
        f"CREATE INDEX webhook_secrets_endpoint ON {s}.webhook_secrets (endpoint_id)",
        # The work table (adly_kit.worklist): one row per notice and endpoint; the unique key makes
        # a replayed notice a no-op. `tries` counts the attempts of the current schedule (a
        # redelivery starts a new one); `pending` rows are runnable, `waiting` ones belong to a
        # disabled endpoint and resume when it is enabled.
        f"""CREATE TABLE {s}.webhook_deliveries (
            id uuid PRIMARY KEY,
            webhook_id uuid NOT NULL,
            endpoint_id uuid NOT NULL REFERENCES {s}.webhook_endpoints (id) ON DELETE CASCADE,
            workspace_id uuid NOT NULL,
            kind text NOT NULL,
            body bytea NOT NULL,
            state text NOT NULL CHECK (state IN ('pending', 'waiting', 'delivered', 'failed')),
            tries integer NOT NULL DEFAULT 0,
            leased_by text,
            leased_until timestamptz,
            not_before timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz,
            finished_at timestamptz,
            UNIQUE (endpoint_id, webhook_id)
        )""",
        f"CREATE INDEX webhook_deliveries_due ON {s}.webhook_deliveries (created_at) WHERE state = 'pending'",
        f"CREATE INDEX webhook_deliveries_log ON {s}.webhook_deliveries (endpoint_id, created_at DESC, id DESC)",
        # Statement-level, one payload: Postgres folds identical notifications of a transaction.
        f"""CREATE FUNCTION {s}.notify_webhook_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('{s}_webhook_deliveries', ''); RETURN NULL; END $$""",
        f"""CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON {s}.webhook_deliveries
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.notify_webhook_delivery()""",
        # Every attempt: never a header or a secret, only what the receiver's answer began with.
        f"""CREATE TABLE {s}.webhook_attempts (
            id bigserial PRIMARY KEY,
            delivery_id uuid NOT NULL REFERENCES {s}.webhook_deliveries (id) ON DELETE CASCADE,
            attempted_at timestamptz NOT NULL DEFAULT now(),
            status integer,
            latency_ms integer NOT NULL,
            response_excerpt text NOT NULL DEFAULT '',
            error text
        )""",
        f"CREATE INDEX webhook_attempts_delivery ON {s}.webhook_attempts (delivery_id, id)",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    s = schema()
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {s}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.notify_webhook_delivery()")
