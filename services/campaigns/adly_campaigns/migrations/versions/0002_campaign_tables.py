"""Campaigns: the campaigns read model, ad accounts (tokens sealed) and their logins, the
products read model, workspace policies, creative sets, and the publishing work table with
the platform objects each publication created.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ["platform_objects", "publications", "creative_sets", "workspace_policies", "products", "ad_account_logins",
          "ad_accounts", "campaigns"]


def statements(s: str) -> list[str]:
    return [
        # The campaign aggregate's snapshot, written with its events in the same transaction.
        f"""CREATE TABLE {s}.campaigns (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            version integer NOT NULL,
            name text NOT NULL,
            state text NOT NULL,
            objective text NOT NULL,
            platforms text[] NOT NULL,
            plan jsonb NOT NULL,
            ads jsonb NOT NULL DEFAULT '[]',
            runs jsonb NOT NULL DEFAULT '{{}}',
            reviews jsonb NOT NULL DEFAULT '{{}}',
            brief text NOT NULL DEFAULT '',
            drafted_by text,
            approved_by text,
            last_rejection text,
            creatives_request uuid,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX campaigns_by_workspace ON {s}.campaigns (workspace_id, created_at DESC, id DESC)",
        f"CREATE INDEX campaigns_by_request ON {s}.campaigns (creatives_request)",
        # Sealed with adly_kit.crypto (AAD = account id | "ad-account-token"); never leaves the service.
        f"""CREATE TABLE {s}.ad_accounts (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            platform text NOT NULL,
            platform_account_id text NOT NULL,
            name text NOT NULL,
            currency text NOT NULL,
            time_zone text NOT NULL,
            token_sealed text,
            token_expires_at timestamptz,
            page_id text,
            pixel_id text,
            status text NOT NULL CHECK (status IN ('connected', 'access_lost', 'disconnected')),
            status_reason text,
            connected_by text,
            connected_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (workspace_id, platform, platform_account_id)
        )""",
        # A login in flight: the OAuth state, then the user token while the merchant picks an account.
        f"""CREATE TABLE {s}.ad_account_logins (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            platform text NOT NULL,
            state_sha256 text NOT NULL UNIQUE,
            started_by text NOT NULL,
            token_sealed text,
            token_expires_at timestamptz,
            expires_at timestamptz NOT NULL,
            finished_at timestamptz
        )""",
        # The catalog's products, fed by its events: what briefs match and ads promote.
        f"""CREATE TABLE {s}.products (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            store_id uuid NOT NULL,
            title text NOT NULL,
            url text,
            tags text[] NOT NULL DEFAULT '{{}}',
            collections text[] NOT NULL DEFAULT '{{}}',
            status text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX products_by_workspace ON {s}.products (workspace_id)",
        f"""CREATE TABLE {s}.workspace_policies (
            workspace_id uuid PRIMARY KEY,
            approval_required boolean NOT NULL DEFAULT false,
            approver_role text NOT NULL DEFAULT 'admin',
            approver_not_author boolean NOT NULL DEFAULT false,
            budget_thresholds jsonb NOT NULL DEFAULT '{{}}',
            updated_by text,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        # Every variant creative produced for a campaign, so the merchant can pick other ones.
        f"""CREATE TABLE {s}.creative_sets (
            campaign_id uuid NOT NULL,
            request_id uuid NOT NULL,
            workspace_id uuid NOT NULL,
            assets jsonb NOT NULL,
            copies jsonb NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (campaign_id, request_id)
        )""",
        # One row per (campaign, platform) to publish: the publisher claims it under a lease
        # (adly_kit.worklist) and a NOTIFY at commit wakes it.
        f"""CREATE TABLE {s}.publications (
            id uuid PRIMARY KEY,
            campaign_id uuid NOT NULL,
            workspace_id uuid NOT NULL,
            platform text NOT NULL,
            ad_account_id uuid NOT NULL,
            state text NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
            attempts integer NOT NULL DEFAULT 0,
            last_error text,
            leased_by text,
            leased_until timestamptz,
            not_before timestamptz,
            approved_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz
        )""",
        f"CREATE UNIQUE INDEX publications_open ON {s}.publications (campaign_id, platform) WHERE state = 'queued'",
        f"""CREATE FUNCTION {s}.notify_publication() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('{s}_publications', NEW.id::text); RETURN NEW; END $$""",
        f"""CREATE TRIGGER publications_notify AFTER INSERT ON {s}.publications
            FOR EACH ROW EXECUTE FUNCTION {s}.notify_publication()""",
        # Each object a publication created on the platform, recorded the moment its id came back.
        # A row without platform_id is a create whose answer never arrived: look it up by name first.
        f"""CREATE TABLE {s}.platform_objects (
            campaign_id uuid NOT NULL,
            platform text NOT NULL,
            step text NOT NULL,
            platform_id text,
            attempted_at timestamptz NOT NULL DEFAULT now(),
            created_at timestamptz,
            PRIMARY KEY (campaign_id, platform, step)
        )""",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    s = schema()
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {s}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.notify_publication()")
