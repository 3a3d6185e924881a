"""Alembic for every service: one env, one version table per schema."""

from __future__ import annotations

import asyncio

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adly_kit import backbone_schema
from adly_kit.settings import ServiceSettings


def alembic_config(settings: ServiceSettings, script_location: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location)
    config.attributes["database_url"] = settings.database_url
    config.attributes["schema"] = settings.schema
    return config


def upgrade(settings: ServiceSettings, script_location: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings, script_location), revision)


def schema() -> str:
    """The schema being migrated, for use inside a revision."""
    return op.get_context().config.attributes["schema"]


def create_backbone() -> None:
    """The first revision of every service: event store, outbox, inbox, checkpoints."""
    for statement in backbone_schema.create_statements(schema()):
        op.execute(statement)


def drop_backbone() -> None:
    for statement in backbone_schema.drop_statements(schema()):
        op.execute(statement)


def run_env() -> None:
    """The body of every service's `migrations/env.py` (online mode, asyncpg)."""
    config = context.config
    target_schema = config.attributes["schema"]

    def migrate(connection) -> None:
        context.configure(connection=connection, version_table_schema=target_schema, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(config.attributes["database_url"])
        async with engine.connect() as connection:
            # Pods starting together (each runs `migrate` first) take turns: the others wait here,
            # then find the schema at head, instead of failing on the first one's half-made tables.
            # A session lock, so it holds across the migrations' own transactions.
            await connection.execute(text("SELECT pg_advisory_lock(hashtext(:key))"),
                                     {"key": f"adly-migrate:{target_schema}"})
            await connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {backbone_schema.safe_schema(target_schema)}"))
            await connection.commit()
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())
