"""A member's own feed and preferences: /v1/workspaces/{workspace_id}/notifications/...

Every route serves the caller's own feed only (the user the gateway vouches for); an API key
has no feed. Words come in the caller's language (`Accept-Language`: ar or en, else en).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from adly_kit.app import adapters
from adly_kit.db import unit_of_work
from adly_kit.errors import NotAllowed
from adly_kit.identity import Identity, workspace_permission
from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.feed import language_of, render
from adly_notifications.domain.preferences import Preferences
from adly_notifications.handlers import feed, preferences
from adly_notifications.handlers.ports import FeedItem

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/notifications", tags=["notifications"])

AdaptersDep = Annotated[Adapters, Depends(adapters)]
NotificationsRead = workspace_permission("notifications.read")
AcceptLanguage = Annotated[str | None, Header(description="`ar` or `en` (default) for the words of each item.")]
MAX_PAGE = 100


def person(identity: Identity) -> UUID:
    if identity.user_id is None:
        raise NotAllowed("A feed belongs to a person: API keys have none.", code="feed-needs-a-person")
    return identity.user_id


# -- answers and bodies -------------------------------------------------------------------------

class ItemOut(BaseModel):
    id: UUID = Field(description="The notification's id (also the `webhook-id` of its webhook deliveries).")
    kind: str = Field(examples=["sync.failed"])
    title: str = Field(examples=["A store sync failed"])
    body: str = Field(examples=["Syncing your store stopped: Salla refused the access token."])
    params: dict[str, str] = Field(examples=[{"reason": "Salla refused the access token.",
                                              "store_id": "0b9f3c1e-54a1-4b8e-9a47-1f7c2b0d6e11"}])
    link: str | None = Field(examples=["/stores/0b9f3c1e-54a1-4b8e-9a47-1f7c2b0d6e11"])
    read: bool
    read_at: datetime | None
    created_at: datetime = Field(description="When it happened.")


class FeedPage(BaseModel):
    items: list[ItemOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null at the end.")
    unread: int = Field(description="Unread items in the whole feed.", examples=[3])


class UnreadOut(BaseModel):
    unread: int = Field(examples=[3])


class ReadAllOut(BaseModel):
    marked: int = Field(description="Items that were unread.", examples=[3])
    unread: int = Field(examples=[0])


class PreferenceOut(BaseModel):
    kind: str = Field(examples=["sync.failed"])
    mutable: bool = Field(description="False: always sent, cannot be turned off.")
    channels: dict[str, bool] = Field(examples=[{"feed": True, "email": False}])


class PreferencesOut(BaseModel):
    kinds: list[PreferenceOut]


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinds: dict[str, dict[str, bool]] = Field(
        description="Kind -> channel -> on. Only what is named changes; a kind that is not mutable cannot be "
                    "turned off (422 naming `body/kinds/<kind>/<channel>`).",
        examples=[{"sync.failed": {"email": False}, "campaign.published": {"feed": False, "email": False}}])


def item_out(item: FeedItem, language: str) -> ItemOut:
    words = render(item.kind, item.params, language)
    return ItemOut(id=item.notification_id, kind=item.kind, title=words.title, body=words.body,
                   params=dict(item.params), link=item.link, read=item.read_at is not None, read_at=item.read_at,
                   created_at=item.created_at)


def preferences_out(found: Preferences) -> PreferencesOut:
    return PreferencesOut(kinds=[PreferenceOut(kind=kind.name, mutable=kind.mutable, channels=channels)
                                 for kind, channels in found.table()])


# -- the feed -----------------------------------------------------------------------------------

@router.get("", response_model=FeedPage, summary="My notifications, newest first")
async def list_feed(workspace_id: UUID, caller: NotificationsRead, a: AdaptersDep, response: Response,
                    accept_language: AcceptLanguage = None,
                    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
                    cursor: Annotated[str | None, Query(max_length=200)] = None,
                    unread_only: Annotated[bool, Query(description="Only the unread items.")] = False) -> FeedPage:
    language = language_of(accept_language)
    async with a.engine.connect() as conn:
        found = await feed.page(conn, a, workspace_id, person(caller), limit=limit, cursor=cursor,
                                only_unread=unread_only)
    response.headers["Content-Language"] = language
    return FeedPage(items=[item_out(i, language) for i in found.items], next_cursor=found.next_cursor,
                    unread=found.unread)


@router.get("/unread-count", response_model=UnreadOut, summary="How many of my notifications are unread")
async def unread_count(workspace_id: UUID, caller: NotificationsRead, a: AdaptersDep) -> UnreadOut:
    async with a.engine.connect() as conn:
        return UnreadOut(unread=await feed.unread(conn, a, workspace_id, person(caller)))


@router.post("/read-all", response_model=ReadAllOut, summary="Mark all my notifications read")
async def read_all(workspace_id: UUID, caller: NotificationsRead, a: AdaptersDep) -> ReadAllOut:
    async with unit_of_work(a.engine) as tx:
        marked = await feed.mark_all_read(tx, a, workspace_id, person(caller))
    return ReadAllOut(marked=marked, unread=0)


@router.post("/{notification_id}/read", response_model=UnreadOut, summary="Mark one of my notifications read",
             responses={404: {"description": "Not in the caller's feed."}})
async def read_one(workspace_id: UUID, notification_id: UUID, caller: NotificationsRead, a: AdaptersDep) -> UnreadOut:
    async with unit_of_work(a.engine) as tx:
        left = await feed.mark_read(tx, a, workspace_id, person(caller), notification_id)
    return UnreadOut(unread=left)


# -- preferences --------------------------------------------------------------------------------

@router.get("/preferences", response_model=PreferencesOut, summary="My notification preferences in this workspace")
async def get_preferences(workspace_id: UUID, caller: NotificationsRead, a: AdaptersDep) -> PreferencesOut:
    async with a.engine.connect() as conn:
        return preferences_out(await preferences.of(conn, a, workspace_id, person(caller)))


@router.put("/preferences", response_model=PreferencesOut, summary="Turn kinds of notification on or off, per channel")
async def put_preferences(workspace_id: UUID, body: PreferencesIn, caller: NotificationsRead,
                          a: AdaptersDep) -> PreferencesOut:
    async with unit_of_work(a.engine) as tx:
        changed = await preferences.change(tx, a, workspace_id, person(caller), body.kinds)
    return preferences_out(changed)
