"""Alembic environment of the notifications schema; the body is shared by every service."""

from adly_kit.migrations import run_env

run_env()
