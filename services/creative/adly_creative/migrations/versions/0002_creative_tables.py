"""Creative: the jobs read model and work queue, usage ledger, products read model, brand
kits, workspace settings, provider keys (sealed), asset metadata and the photo cache.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ["job_queue", "jobs", "usage_records", "products", "brand_kits", "workspace_settings", "provider_keys",
          "photo_cache", "assets"]


def statements(s: str) -> list[str]:
    return [
        # The jobs read model, fed by projections/jobs.py in the writing transaction and by the
        # projection runner behind it (version-guarded: an event applied twice is a no-op).
        f"""CREATE TABLE {s}.jobs (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            request_id uuid NOT NULL,
            campaign_id uuid,
            source text,
            status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
            spec jsonb,
            steps jsonb NOT NULL DEFAULT '[]',
            steps_done integer NOT NULL DEFAULT 0,
            steps_total integer NOT NULL DEFAULT 0,
            providers jsonb NOT NULL DEFAULT '[]',
            cost_usd numeric(18, 8) NOT NULL DEFAULT 0,
            copies jsonb NOT NULL DEFAULT '[]',
            assets jsonb NOT NULL DEFAULT '[]',
            notes jsonb NOT NULL DEFAULT '[]',
            rejected jsonb NOT NULL DEFAULT '[]',
            failure_reason text,
            failure_code text,
            version integer NOT NULL,
            created_at timestamptz NOT NULL,
            accepted_at timestamptz,
            started_at timestamptz,
            finished_at timestamptz,
            updated_at timestamptz NOT NULL
        )""",
        f"CREATE INDEX jobs_by_workspace ON {s}.jobs (workspace_id, created_at DESC, id DESC)",
        f"CREATE INDEX jobs_accepted_by_month ON {s}.jobs (workspace_id, accepted_at) WHERE accepted_at IS NOT NULL",
        # The work queue (adly_kit.worklist): one row per accepted job, claimed under a lease.
        # Written by the handlers (not the projection), so a rebuild leaves claims alone.
        f"""CREATE TABLE {s}.job_queue (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            state text NOT NULL CHECK (state IN ('queued', 'running', 'finished')),
            leased_by text,
            leased_until timestamptz,
            not_before timestamptz,
            attempts integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX job_queue_runnable ON {s}.job_queue (created_at) WHERE state <> 'finished'",
        f"""CREATE FUNCTION {s}.notify_job() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('adly_{s}_jobs', ''); RETURN NULL; END $$""",
        f"""CREATE TRIGGER job_queued AFTER INSERT ON {s}.job_queue
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.notify_job()""",
        # What each provider call cost, per workspace: the spend cap sums this month's rows.
        f"""CREATE TABLE {s}.usage_records (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            workspace_id uuid NOT NULL,
            job_id uuid NOT NULL,
            step text NOT NULL,
            provider text NOT NULL,
            model text,
            input_tokens integer NOT NULL DEFAULT 0,
            output_tokens integer NOT NULL DEFAULT 0,
            characters integer NOT NULL DEFAULT 0,
            images integer NOT NULL DEFAULT 0,
            credits numeric(18, 6) NOT NULL DEFAULT 0,
            cost_usd numeric(18, 8) NOT NULL,
            recorded_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX usage_by_workspace_month ON {s}.usage_records (workspace_id, recorded_at)",
        # The catalog's products as the creative context needs them (fed by ProductUpserted /
        # ProductRemoved; `version` keeps an older event from overwriting a newer one).
        f"""CREATE TABLE {s}.products (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            store_id uuid,
            platform text,
            version integer NOT NULL,
            name text NOT NULL,
            names jsonb NOT NULL DEFAULT '{{}}',
            description text,
            url text,
            vendor text,
            prices jsonb NOT NULL DEFAULT '[]',
            image_urls jsonb NOT NULL DEFAULT '[]',
            removed boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL
        )""",
        f"CREATE INDEX products_by_workspace ON {s}.products (workspace_id)",
        f"""CREATE TABLE {s}.brand_kits (
            workspace_id uuid PRIMARY KEY,
            kit jsonb NOT NULL,
            logo_asset_id uuid,
            updated_by text,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"""CREATE TABLE {s}.workspace_settings (
            workspace_id uuid PRIMARY KEY,
            routing jsonb NOT NULL DEFAULT '{{}}',
            monthly_job_quota integer CHECK (monthly_job_quota >= 0),
            monthly_spend_cap_usd numeric(18, 2) CHECK (monthly_spend_cap_usd >= 0),
            campaign_outputs jsonb,
            updated_by text,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        # Sealed with adly_kit.crypto (AAD = workspace | provider | "provider-key"); never read back out.
        f"""CREATE TABLE {s}.provider_keys (
            workspace_id uuid NOT NULL,
            provider text NOT NULL,
            sealed text NOT NULL,
            updated_by text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (workspace_id, provider)
        )""",
        f"""CREATE TABLE {s}.assets (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            kind text NOT NULL CHECK (kind IN ('image', 'audio', 'video')),
            format text NOT NULL,
            media_type text NOT NULL,
            width integer,
            height integer,
            duration_seconds double precision,
            bytes bigint NOT NULL,
            sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{{64}}$'),
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (workspace_id, sha256)
        )""",
        f"""CREATE TABLE {s}.photo_cache (
            workspace_id uuid NOT NULL,
            url_sha256 text NOT NULL,
            asset_id uuid NOT NULL REFERENCES {s}.assets (id),
            fetched_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (workspace_id, url_sha256)
        )""",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    s = schema()
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {s}.{table}")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.notify_job()")
