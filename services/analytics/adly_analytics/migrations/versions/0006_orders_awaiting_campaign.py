"""Analytics: an order credited to a platform only (its one signal a click id) also waits for a
campaign, as an unattributed one does: the performance that shows which campaign was delivering
on that platform may arrive after the order (handlers/ingest.py, `_redecide_for_delivery`). The
flag `unattributed` becomes `awaiting_campaign`, true for both; its partial index follows it.

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
    op.execute(f"UPDATE {s}.orders SET awaiting_campaign = true WHERE record->'credit'->>'level' = 'platform'")


def downgrade() -> None:
    s = schema()
    op.execute(f"UPDATE {s}.orders SET awaiting_campaign = false WHERE record->'credit'->>'level' = 'platform'")
    op.execute(f"ALTER TABLE {s}.orders RENAME COLUMN awaiting_campaign TO unattributed")
