"""The gateway's tables: the identity read model, rate limits, idempotency keys, audit log.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ROLES = "('owner', 'admin', 'marketer', 'analyst')"


def upgrade() -> None:
    s = schema()
    for statement in (
        # Read model of auth's events (docs/identity.md): who belongs where, which keys work.
        f"""CREATE TABLE {s}.workspaces (
            id uuid PRIMARY KEY,
            deleted boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now(),
            deleted_at timestamptz)""",
        f"""CREATE TABLE {s}.memberships (
            workspace_id uuid NOT NULL,
            user_id uuid NOT NULL,
            role text NOT NULL CHECK (role IN {ROLES}),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (workspace_id, user_id))""",
        f"CREATE INDEX memberships_by_user ON {s}.memberships (user_id)",
        f"""CREATE TABLE {s}.api_keys (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            role text NOT NULL CHECK (role IN {ROLES}),
            secret_sha256 text NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{{64}}$'),
            revoked boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz)""",
        f"CREATE INDEX api_keys_by_workspace ON {s}.api_keys (workspace_id)",
        f"""CREATE TABLE {s}.revoked_sessions (
            sid text PRIMARY KEY,
            user_id uuid,
            at timestamptz NOT NULL DEFAULT now())""",
        # GCRA state. UNLOGGED: no WAL flush per request; a crash loses counters, which is harmless.
        f"""CREATE UNLOGGED TABLE {s}.rate_limits (
            key text PRIMARY KEY,
            tat double precision NOT NULL,
            allowed boolean NOT NULL,
            seen double precision NOT NULL,
            emission double precision NOT NULL,
            win double precision NOT NULL)""",
        f"""CREATE TABLE {s}.idempotency_keys (
            principal text NOT NULL,
            key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
            fingerprint text NOT NULL,
            state text NOT NULL CHECK (state IN ('running', 'done')),
            status integer,
            headers jsonb,
            body bytea,
            locked_until timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (principal, key))""",
        f"CREATE INDEX idempotency_keys_expiry ON {s}.idempotency_keys (expires_at)",
        # Append-only audit trail of mutating calls: no bodies, tokens or emails; IP as a keyed hash.
        f"""CREATE TABLE {s}.audit_log (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text,
            actor_kind text,
            workspace_id uuid,
            method text NOT NULL,
            route text NOT NULL,
            status integer NOT NULL,
            request_id text,
            ip_hash text)""",
        f"CREATE INDEX audit_log_by_workspace ON {s}.audit_log (workspace_id, id DESC)",
        f"""CREATE FUNCTION {s}.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
        f"""CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {s}.audit_log
            FOR EACH ROW EXECUTE FUNCTION {s}.audit_log_append_only()""",
    ):
        op.execute(statement)


def downgrade() -> None:
    s = schema()
    for table in ("audit_log", "idempotency_keys", "rate_limits", "revoked_sessions", "api_keys", "memberships", "workspaces"):
        op.execute(f"DROP TABLE IF EXISTS {s}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.audit_log_append_only()")
