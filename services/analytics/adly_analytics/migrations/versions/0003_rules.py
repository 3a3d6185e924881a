"""Analytics: automated rules per workspace and the firings each has recorded (docs/analytics.md, "Rules").

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from adly_kit.migrations import schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ["rule_firings", "rules"]


def statements(s: str) -> list[str]:
    return [
        # The rule as the merchant wrote it (the domain's RuleSpec); `version` counts its RuleFired
        # events in the event store (the rule is their aggregate), the optimistic guard of a firing.
        f"""CREATE TABLE {s}.rules (
            rule_id uuid PRIMARY KEY,
            workspace_id uuid NOT NULL,
            spec jsonb NOT NULL,
            version integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"CREATE INDEX rules_by_workspace ON {s}.rules (workspace_id)",
        # One row per firing: what cooldowns (last time per target) and daily limits (allowed per day) read.
        f"""CREATE TABLE {s}.rule_firings (
            rule_id uuid NOT NULL,
            version integer NOT NULL,
            target text NOT NULL,
            fired_at timestamptz NOT NULL,
            day date NOT NULL,
            allowed numeric(20, 6) NOT NULL DEFAULT 0,
            dry_run boolean NOT NULL,
            event_id uuid NOT NULL,
            PRIMARY KEY (rule_id, version)
        )""",
        f"CREATE INDEX rule_firings_by_target ON {s}.rule_firings (rule_id, target, fired_at)",
    ]


def upgrade() -> None:
    for statement in statements(schema()):
        op.execute(statement)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {schema()}.{table}")
