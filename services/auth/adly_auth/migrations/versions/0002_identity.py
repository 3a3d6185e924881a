"""Identity: users, sessions, refresh tokens, signing keys, one-time links, mail queue,
TOTP recovery codes, OIDC, API keys, invitations and the workspace read model.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [
    "workspace_members", "workspaces", "invitations", "api_keys", "oidc_identities", "oidc_states",
    "recovery_codes", "mail_outbox", "one_time_tokens", "refresh_tokens", "sessions", "signing_keys", "users",
]


def statements(s: str) -> list[str]:
    return [
        f"""CREATE TABLE {s}.users (
            id uuid PRIMARY KEY,
            email text NOT NULL UNIQUE,
            password_hash text,
            email_verified_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            event_version integer NOT NULL DEFAULT 0,
            totp_secret text,
            totp_enabled_at timestamptz,
            totp_last_step bigint,
            totp_failures integer NOT NULL DEFAULT 0,
            totp_locked_until timestamptz
        )""",
        f"""CREATE TABLE {s}.sessions (
            id uuid PRIMARY KEY,
            user_id uuid NOT NULL REFERENCES {s}.users (id),
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz,
            revoke_reason text
        )""",
        f"CREATE INDEX sessions_live_by_user ON {s}.sessions (user_id) WHERE revoked_at IS NULL",
        f"""CREATE TABLE {s}.refresh_tokens (
            id uuid PRIMARY KEY,
            session_id uuid NOT NULL REFERENCES {s}.sessions (id),
            token_sha256 text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            rotated_at timestamptz
        )""",
        f"CREATE INDEX refresh_tokens_by_session ON {s}.refresh_tokens (session_id)",
        f"""CREATE TABLE {s}.signing_keys (
            kid text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{{1,64}}$'),
            public_jwk jsonb NOT NULL,
            private_key_sealed text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            retire_at timestamptz
        )""",
        # At most one active (not yet retiring) key.
        f"CREATE UNIQUE INDEX signing_keys_one_active ON {s}.signing_keys ((true)) WHERE retire_at IS NULL",
        f"""CREATE TABLE {s}.one_time_tokens (
            token_sha256 text PRIMARY KEY,
            purpose text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
            user_id uuid NOT NULL REFERENCES {s}.users (id),
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        )""",
        f"CREATE INDEX one_time_tokens_by_user ON {s}.one_time_tokens (user_id, purpose)",
        # Mails wait here, sealed (recipient and links are personal data and secrets), and are
        # wiped once sent. The insert's NOTIFY wakes the sender at commit.
        f"""CREATE TABLE {s}.mail_outbox (
            id uuid PRIMARY KEY,
            sealed text,
            created_at timestamptz NOT NULL DEFAULT now(),
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            attempts integer NOT NULL DEFAULT 0,
            sent_at timestamptz,
            failed_at timestamptz,
            last_error text
        )""",
        f"CREATE INDEX mail_outbox_due ON {s}.mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL",
        f"""CREATE FUNCTION {s}.notify_mail() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('adly_{s}_mail', ''); RETURN NULL; END $$""",
        f"""CREATE TRIGGER mail_queued AFTER INSERT ON {s}.mail_outbox
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.notify_mail()""",
        f"""CREATE TABLE {s}.recovery_codes (
            user_id uuid NOT NULL REFERENCES {s}.users (id),
            code_sha256 text NOT NULL,
            used_at timestamptz,
            PRIMARY KEY (user_id, code_sha256)
        )""",
        f"""CREATE TABLE {s}.oidc_states (
            state_sha256 text PRIMARY KEY,
            provider text NOT NULL,
            nonce text NOT NULL,
            code_verifier text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        )""",
        f"""CREATE TABLE {s}.oidc_identities (
            provider text NOT NULL,
            subject text NOT NULL,
            user_id uuid NOT NULL REFERENCES {s}.users (id),
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (provider, subject)
        )""",
        f"""CREATE TABLE {s}.api_keys (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            name text NOT NULL,
            role text NOT NULL CHECK (role IN ('admin', 'marketer', 'analyst')),
            secret_sha256 text NOT NULL,
            created_by uuid NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz,
            event_version integer NOT NULL DEFAULT 0
        )""",
        f"CREATE INDEX api_keys_by_workspace ON {s}.api_keys (workspace_id)",
        f"""CREATE TABLE {s}.invitations (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            email text NOT NULL,
            role text NOT NULL CHECK (role IN ('admin', 'marketer', 'analyst')),
            token_sha256 text NOT NULL UNIQUE,
            invited_by uuid NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            accepted_at timestamptz
        )""",
        # The workspace read model, fed by projections/workspaces.py (version-guarded, so
        # applying an event twice is a no-op).
        f"""CREATE TABLE {s}.workspaces (
            id uuid PRIMARY KEY,
            name text NOT NULL,
            version integer NOT NULL,
            created_at timestamptz NOT NULL,
            deleted_at timestamptz
        )""",
        f"""CREATE TABLE {s}.workspace_members (
            workspace_id uuid NOT NULL REFERENCES {s}.workspaces (id),
            user_id uuid NOT NULL,
            role text NOT NULL,
            joined_at timestamptz NOT NULL,
            PRIMARY KEY (workspace_id, user_id)
        )""",
        f"CREATE INDEX workspace_members_by_user ON {s}.workspace_members (user_id)",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    s = schema()
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {s}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.notify_mail()")
