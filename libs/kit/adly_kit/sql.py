"""Small helpers for SQL over one service schema."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import TextClause, text

from adly_kit.db import safe_schema


class Statements:
    """SQL with `{s}` replaced by the schema, compiled once per statement."""

    def __init__(self, schema: str) -> None:
        self.schema = safe_schema(schema)
        self._cache: dict[str, TextClause] = {}

    def __call__(self, sql: str) -> TextClause:
        if sql not in self._cache:
            self._cache[sql] = text(sql.replace("{s}", self.schema))
        return self._cache[sql]


def utc_now() -> datetime:
    return datetime.now(UTC)
