"""Event backbone of the notifications schema: event store, outbox, inbox, projection checkpoints.

Revision ID: 0001
Revises:
"""

from adly_kit.migrations import create_backbone, drop_backbone

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_backbone()


def downgrade() -> None:
    drop_backbone()
