"""Analytics: the index the dashboard's per-campaign reads need (docs/analytics.md, "Bench"). The
cells' key leads with (workspace, grain, day), which serves the overview and the product breakdown;
a campaign's time series (and a breakdown filtered by campaign) would otherwise read every ad cell of
the workspace in the period to keep one campaign's.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"CREATE INDEX IF NOT EXISTS cells_by_campaign_day ON {schema()}.cells "
               "(workspace_id, grain, campaign_id, day)")


def downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {schema()}.cells_by_campaign_day")
