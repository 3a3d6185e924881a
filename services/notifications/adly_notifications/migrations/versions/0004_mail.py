"""Mail: one row per mail to send (a notice to a member, a member's daily digest), worked off
by the mail runner.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def statements(s: str) -> list[str]:
    return [
        # The work table (adly_kit.worklist). The id is a uuid5 of the notice and the member, or of
        # the workspace, member and day for a digest, so a replayed notice or a second scheduler
        # adds nothing. No address here: auth hands it over at send time and it is not kept.
        # `data_started_at` is set, in its own committed transaction, just before the message is
        # handed to the server (SMTP DATA): an attempt found open after a crash may have gone
        # out, so it is not sent again (state `unconfirmed`): never twice.
        f"""CREATE TABLE {s}.mails (
            id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            user_id uuid NOT NULL,
            kind text NOT NULL,
            notification_id uuid,
            params jsonb NOT NULL DEFAULT '{{}}',
            link text,
            day date,
            state text NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'dropped', 'unconfirmed')),
            tries integer NOT NULL DEFAULT 0,
            leased_by text,
            leased_until timestamptz,
            not_before timestamptz,
            data_started_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz,
            last_error text
        )""",
        f"CREATE INDEX mails_due ON {s}.mails (created_at) WHERE state = 'pending'",
        f"CREATE INDEX mails_of_member ON {s}.mails (workspace_id, user_id, created_at DESC)",
        f"CREATE INDEX mails_digests ON {s}.mails (day, workspace_id) WHERE kind = 'digest.daily'",
        f"""CREATE FUNCTION {s}.notify_mail() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('{s}_mails', ''); RETURN NULL; END $$""",
        f"""CREATE TRIGGER mails_notify AFTER INSERT ON {s}.mails
            FOR EACH STATEMENT EXECUTE FUNCTION {s}.notify_mail()""",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    s = schema()
    op.execute(f"DROP TABLE IF EXISTS {s}.mails")
    op.execute(f"DROP FUNCTION IF EXISTS {s}.notify_mail()")
