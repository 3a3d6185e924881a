"""Notifications: members and their roles, each notice once, the members' feeds, preferences.

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
    # The last auth event applied per workspace: older ones (a dead-letter replay) change nothing.
    op.execute(f"""CREATE TABLE {s}.member_lists (
        workspace_id uuid PRIMARY KEY,
        version integer NOT NULL,
        deleted boolean NOT NULL DEFAULT false
    )""")
    op.execute(f"""CREATE TABLE {s}.members (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'marketer', 'analyst')),
        PRIMARY KEY (workspace_id, user_id)
    )""")
    # One row per notice (its id is a uuid5 of the source event and kind): the replay guard.
    op.execute(f"""CREATE TABLE {s}.notifications (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        kind text NOT NULL,
        params jsonb NOT NULL DEFAULT '{{}}',
        link text,
        source_event_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
    )""")
    op.execute(f"CREATE INDEX notifications_by_workspace ON {s}.notifications (workspace_id)")
    op.execute(f"""CREATE TABLE {s}.feed_items (
        notification_id uuid NOT NULL REFERENCES {s}.notifications (id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        workspace_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        read_at timestamptz,
        PRIMARY KEY (notification_id, user_id)
    )""")
    op.execute(f"""CREATE INDEX feed_items_newest ON {s}.feed_items
        (workspace_id, user_id, created_at DESC, notification_id DESC)""")
    op.execute(f"""CREATE INDEX feed_items_unread ON {s}.feed_items (workspace_id, user_id)
        WHERE read_at IS NULL""")
    op.execute(f"""CREATE TABLE {s}.preferences (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        kind text NOT NULL,
        channel text NOT NULL CHECK (channel IN ('feed', 'email')),
        enabled boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, user_id, kind, channel)
    )""")
    op.execute(f"""CREATE INDEX preferences_turned_off ON {s}.preferences (workspace_id, kind, channel)
        WHERE NOT enabled""")


def downgrade() -> None:
    s = schema()
    for table in ("preferences", "feed_items", "notifications", "members", "member_lists"):
        op.execute(f"DROP TABLE IF EXISTS {s}.{table}")
