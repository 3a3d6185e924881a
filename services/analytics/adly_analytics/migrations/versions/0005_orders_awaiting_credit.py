"""Analytics: what it takes to decide an unattributed order again when a campaign it may name
arrives later (handlers/ingest.py, `redecide_orders`): the order's latest version as read, when it
was placed, and whether it is still unattributed (indexed, so a publication finds its candidates
without reading every order).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    s = schema()
    op.execute(f"""ALTER TABLE {s}.orders ADD COLUMN placed_at timestamptz,
                   ADD COLUMN latest jsonb,
                   ADD COLUMN unattributed boolean NOT NULL DEFAULT false""")
    op.execute(f"CREATE INDEX orders_awaiting_credit ON {s}.orders (workspace_id, placed_at) WHERE unattributed")


def downgrade() -> None:
    s = schema()
    op.execute(f"DROP INDEX IF EXISTS {s}.orders_awaiting_credit")
    op.execute(f"ALTER TABLE {s}.orders DROP COLUMN placed_at, DROP COLUMN latest, DROP COLUMN unattributed")
