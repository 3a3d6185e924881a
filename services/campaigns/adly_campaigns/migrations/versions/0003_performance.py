"""Campaigns: the latest reported revision of every performance series (the events carry them all).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    s = schema()
    op.execute(f"""CREATE TABLE {s}.performance (
        series_id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        campaign_id uuid NOT NULL,
        platform text NOT NULL,
        level text NOT NULL CHECK (level IN ('campaign', 'ad_set', 'ad')),
        platform_object_id text NOT NULL,
        day date NOT NULL,
        hour smallint CHECK (hour BETWEEN 0 AND 23),
        revision integer NOT NULL,
        impressions bigint NOT NULL,
        reach bigint,
        clicks bigint NOT NULL,
        spend numeric(20, 6) NOT NULL,
        conversions numeric(20, 6) NOT NULL,
        conversion_value numeric(20, 6) NOT NULL,
        currency text NOT NULL,
        pulled_at timestamptz NOT NULL
    )""")
    op.execute(f"CREATE INDEX performance_by_campaign ON {s}.performance (campaign_id, day)")


def downgrade() -> None:
    op.execute(f"DROP TABLE IF EXISTS {schema()}.performance")
