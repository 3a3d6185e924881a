"""Catalog: store connections, encrypted credentials, pending installs, products, orders,
syncs (the work table of the sync runner) and webhook deliveries (for deduplication).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ["webhook_deliveries", "syncs", "orders", "products", "pending_connections", "store_credentials", "stores"]


def statements(s: str) -> list[str]:
    return [
        f"""CREATE TABLE {s}.stores (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            platform text NOT NULL,
            domain text NOT NULL,
            name text,
            currency text,
            status text NOT NULL,              -- connected | disconnected
            version integer NOT NULL,          -- of the store aggregate's last event
            connected_by uuid,
            connected_at timestamptz NOT NULL,
            disconnected_at timestamptz,
            disconnect_reason text,
            webhook_ids jsonb NOT NULL DEFAULT '[]',
            webhook_token_hash text,           -- Zid: sha256 of the secret in the callback URL
            last_synced_at timestamptz
        )""",
        # One connection of a platform store at a time, whichever workspace holds it.
        f"CREATE UNIQUE INDEX stores_one_live_connection ON {s}.stores (platform, domain) WHERE status = 'connected'",
        f"CREATE INDEX stores_of_workspace ON {s}.stores (workspace_id, connected_at)",
        f"""CREATE TABLE {s}.store_credentials (
            store_id uuid PRIMARY KEY REFERENCES {s}.stores (id) ON DELETE CASCADE,
            sealed text NOT NULL,              -- adly_kit.crypto.Sealed, AAD bound to workspace and store
            kek_id text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"""CREATE TABLE {s}.pending_connections (
            state_hash text PRIMARY KEY,       -- sha256 of the state/nonce given to the platform
            workspace_id uuid NOT NULL,
            platform text NOT NULL,
            domain text,                       -- shop or site when known before the callback
            requested_by uuid,
            redirect_uri text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        )""",
        f"""CREATE TABLE {s}.products (
            id uuid PRIMARY KEY,               -- the product aggregate id (domain.identity.product_id)
            store_id uuid NOT NULL,
            workspace_id uuid NOT NULL,
            external_id text NOT NULL,
            version integer NOT NULL,
            fingerprint text NOT NULL,         -- sha256 of the normalised product: unchanged -> no event
            removed boolean NOT NULL DEFAULT false,
            data json NOT NULL,                -- returned as is; json stores the text, jsonb would parse it
            synced_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX products_of_store ON {s}.products (store_id, external_id)",
        f"""CREATE TABLE {s}.orders (
            id uuid PRIMARY KEY,
            store_id uuid NOT NULL,
            workspace_id uuid NOT NULL,
            external_id text NOT NULL,
            version integer NOT NULL,
            fingerprint text NOT NULL,
            placed_at timestamptz NOT NULL,
            data json NOT NULL,                -- returned as is; json stores the text, jsonb would parse it
            synced_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX orders_of_store ON {s}.orders (store_id, placed_at DESC)",
        f"""CREATE TABLE {s}.syncs (
            id uuid PRIMARY KEY,
            store_id uuid NOT NULL REFERENCES {s}.stores (id) ON DELETE CASCADE,
            workspace_id uuid NOT NULL,
            kind text NOT NULL,                -- full | incremental
            state text NOT NULL,               -- queued | running | completed | failed | cancelled
            version integer NOT NULL,          -- of the sync aggregate's last event
            resources text[] NOT NULL,
            resource_index integer NOT NULL DEFAULT 0,
            cursor text,                       -- the platform's cursor within the current resource
            updated_since timestamptz,
            progress jsonb NOT NULL DEFAULT '{{}}',
            attempts integer NOT NULL DEFAULT 0,
            error text,
            requested_by uuid,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz,
            leased_by text,
            leased_until timestamptz,
            not_before timestamptz
        )""",
        f"CREATE INDEX syncs_runnable ON {s}.syncs (created_at) WHERE state IN ('queued', 'running')",
        f"CREATE INDEX syncs_of_store ON {s}.syncs (store_id, created_at DESC)",
        f"""CREATE TABLE {s}.webhook_deliveries (
            platform text NOT NULL,
            delivery_id text NOT NULL,
            store_id uuid,
            topic text,
            received_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (platform, delivery_id)
        )""",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {schema()}.{table} CASCADE")
