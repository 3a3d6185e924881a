"""Analytics: an order credited to a platform only also waits for news that names its campaign,
as an unattributed one does (handlers/ingest.py, `orders_awaiting_news`): the flag `unattributed`
becomes `awaiting_campaign`, true for both, and its partial index follows it. One whose platform
credit comes from a click id also waits for that platform's delivery (performance with
impressions, `orders_awaiting_delivery`): `awaiting_delivery` names the platform, indexed apart
so a performance report finds these few orders without reading the unattributed ones.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    s = schema()
    op.execute(f"ALTER TABLE {s}.orders RENAME COLUMN unattributed TO awaiting_campaign")
    op.execute(f"ALTER TABLE {s}.orders ADD COLUMN awaiting_delivery text")
    op.execute(f"""UPDATE {s}.orders SET awaiting_campaign = true,
                   awaiting_delivery = CASE WHEN record->'touch'->>'signal' = 'click_id'
                                            THEN record->'credit'->>'platform' END
                   WHERE record->'credit'->>'level' = 'platform'""")
    op.execute(f"""CREATE INDEX orders_awaiting_delivery ON {s}.orders (workspace_id, awaiting_delivery, placed_at)
                   WHERE awaiting_delivery IS NOT NULL""")


def downgrade() -> None:
    s = schema()
    op.execute(f"DROP INDEX IF EXISTS {s}.orders_awaiting_delivery")
    op.execute(f"ALTER TABLE {s}.orders DROP COLUMN awaiting_delivery")
    op.execute(f"UPDATE {s}.orders SET awaiting_campaign = false WHERE record->'credit'->>'level' = 'platform'")
    op.execute(f"ALTER TABLE {s}.orders RENAME COLUMN awaiting_campaign TO unattributed")
