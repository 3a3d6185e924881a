"""What a signed-in user changes about themselves: the language of their mail and their time zone."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_auth.domain.locale import Language, check_time_zone
from adly_auth.domain.records import User
from adly_auth.handlers.user_events import known_user


async def change_locale(tx: AsyncConnection, a: Adapters, user_id: UUID, language: Language | None,
                        time_zone: str | None) -> User:
    """Set what is given, keep what is not; the user as it is now."""
    user = await known_user(tx, a, user_id, lock=True)
    changed = replace(user, language=language or user.language,
                      time_zone=user.time_zone if time_zone is None else check_time_zone(time_zone))
    await a.users.set_locale(tx, user_id, changed.language, changed.time_zone)
    return changed
