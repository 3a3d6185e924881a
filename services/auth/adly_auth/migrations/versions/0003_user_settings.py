"""Each user's language ('en' or 'ar', for mail templates) and IANA time zone (for the daily
digest). Existing users get the defaults: English, and Riyadh's time zone, where most of
ADLY's merchants are.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def statements(s: str) -> list[str]:
    return [
        f"""ALTER TABLE {s}.users
            ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'ar')),
            ADD COLUMN time_zone text NOT NULL DEFAULT 'Asia/Riyadh'""",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    s = schema()
    op.execute(f"ALTER TABLE {s}.users DROP COLUMN IF EXISTS time_zone, DROP COLUMN IF EXISTS language")
