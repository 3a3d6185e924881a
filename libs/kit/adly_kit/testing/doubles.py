"""What unit tests of handlers stand on instead of Postgres.

A handler passes its transaction to the ports and never uses it itself; in-memory doubles
of the ports ignore it. `NO_DATABASE` stands for that transaction and fails loudly the
moment anything treats it as a database connection, so a handler that does is caught."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection


class _NoDatabase:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a handler used its transaction directly (.{name}); go through a port")

    def __repr__(self) -> str:
        return "NO_DATABASE"


NO_DATABASE: AsyncConnection = cast(AsyncConnection, _NoDatabase())
