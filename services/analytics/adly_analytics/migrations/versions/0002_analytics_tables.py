"""Analytics: what it knows of campaigns, the facts (performance series at their latest revision,
order records and their attribution entries) and the cells the dashboard reads (docs/analytics.md).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ["cells", "entries", "orders", "performance", "publications", "campaigns", "workspaces"]
NO_ID = "'00000000-0000-0000-0000-000000000000'"


def statements(s: str) -> list[str]:
    return [
        f"""CREATE TABLE {s}.workspaces (
            workspace_id uuid PRIMARY KEY,
            time_zone text NOT NULL              -- the first ad account's; days of orders are in it
        )""",
        f"""CREATE TABLE {s}.campaigns (
            campaign_id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL
        )""",
        f"CREATE INDEX campaigns_by_workspace ON {s}.campaigns (workspace_id)",
        f"""CREATE TABLE {s}.publications (
            campaign_id uuid NOT NULL,
            platform text NOT NULL,
            workspace_id uuid NOT NULL,
            ad_sets jsonb NOT NULL,              -- ADLY ad id -> the platform's ad set id
            PRIMARY KEY (campaign_id, platform)
        )""",
        f"CREATE INDEX publications_by_workspace ON {s}.publications (workspace_id)",
        # One row per series (campaign, platform, level, object, day, hour; -1 for a whole day) at its
        # latest revision: a restatement overwrites it, an older or repeated revision never does.
        f"""CREATE TABLE {s}.performance (
            campaign_id uuid NOT NULL,
            platform text NOT NULL,
            level text NOT NULL CHECK (level IN ('campaign', 'ad_set', 'ad')),
            object_id text NOT NULL,
            day date NOT NULL,
            hour smallint NOT NULL CHECK (hour BETWEEN -1 AND 23),
            workspace_id uuid NOT NULL,
            revision integer NOT NULL,
            impressions bigint NOT NULL,
            clicks bigint NOT NULL,
            spend numeric(20, 6) NOT NULL,
            spend_currency text NOT NULL,
            conversions numeric(20, 6) NOT NULL,
            conversion_value numeric(20, 6) NOT NULL,
            value_currency text NOT NULL,
            reach bigint,
            ad_set_id text,
            ad_id uuid,
            product text,
            PRIMARY KEY (campaign_id, platform, level, object_id, day, hour)
        )""",
        f"CREATE INDEX performance_by_workspace_day ON {s}.performance (workspace_id, day, level)",
        f"""CREATE TABLE {s}.orders (
            order_id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            version integer NOT NULL,
            record jsonb NOT NULL               -- the domain's OrderRecord
        )""",
        f"""CREATE TABLE {s}.entries (
            order_id uuid NOT NULL,
            version integer NOT NULL,
            seq smallint NOT NULL,
            workspace_id uuid NOT NULL,
            kind text NOT NULL CHECK (kind IN ('attribution', 'adjustment')),
            reason text,
            level text NOT NULL,
            platform text,
            campaign_id uuid,
            ad_set_id text,
            ad_id uuid,
            day date NOT NULL,
            orders integer NOT NULL,
            amount numeric(20, 6) NOT NULL,
            currency text NOT NULL,
            products jsonb NOT NULL,            -- [{{"product": id or null, "amount": "12.50"}}]
            touch jsonb,
            PRIMARY KEY (order_id, version, seq)
        )""",
        f"CREATE INDEX entries_by_workspace_day ON {s}.entries (workspace_id, day)",
        # The read model: additive measures per cell, kept by deltas as events arrive. grain
        # `workspace` (the day's totals), `ad` (platform, campaign, ad set, ad), `product` (attributed
        # orders and revenue per product), `hour` (today's hourly campaign rows). Absent dimensions are
        # '' or the nil uuid so the key is a plain primary key; each currency has its own row.
        f"""CREATE TABLE {s}.cells (
            workspace_id uuid NOT NULL,
            grain text NOT NULL CHECK (grain IN ('workspace', 'ad', 'product', 'hour')),
            day date NOT NULL,
            hour smallint NOT NULL DEFAULT -1,
            platform text NOT NULL DEFAULT '',
            campaign_id uuid NOT NULL DEFAULT {NO_ID},
            ad_set_id text NOT NULL DEFAULT '',
            ad_id uuid NOT NULL DEFAULT {NO_ID},
            product text NOT NULL DEFAULT '',
            currency text NOT NULL,
            rows integer NOT NULL DEFAULT 0,
            impressions bigint NOT NULL DEFAULT 0,
            clicks bigint NOT NULL DEFAULT 0,
            spend numeric(20, 6) NOT NULL DEFAULT 0,
            conversions numeric(20, 6) NOT NULL DEFAULT 0,
            conversion_value numeric(20, 6) NOT NULL DEFAULT 0,
            orders integer NOT NULL DEFAULT 0,
            revenue numeric(20, 6) NOT NULL DEFAULT 0,
            PRIMARY KEY (workspace_id, grain, day, hour, platform, campaign_id, ad_set_id, ad_id, product, currency)
        )""",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {schema()}.{table}")
