"""Idempotency keys remember an unknown outcome: a request that went out and got no answer.

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
    op.execute(f"ALTER TABLE {s}.idempotency_keys DROP CONSTRAINT idempotency_keys_state_check")
    op.execute(f"""ALTER TABLE {s}.idempotency_keys ADD CONSTRAINT idempotency_keys_state_check
                   CHECK (state IN ('running', 'done', 'unknown'))""")


def downgrade() -> None:
    s = schema()
    # An unknown outcome was a stored answer before this revision: keep it as one.
    op.execute(f"UPDATE {s}.idempotency_keys SET state = 'done' WHERE state = 'unknown'")
    op.execute(f"ALTER TABLE {s}.idempotency_keys DROP CONSTRAINT idempotency_keys_state_check")
    op.execute(f"ALTER TABLE {s}.idempotency_keys ADD CONSTRAINT idempotency_keys_state_check CHECK (state IN ('running', 'done'))")
