"""Every adapter the notifications handlers use, built once per running process by the runtime."""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import cast

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_kit.crypto import Keyring
from adly_kit.eventstore import EventStore
from adly_kit.outbound import make_client
from adly_kit.service import Runtime
from adly_kit.worklist import Worklist
from adly_notifications.adapters.directory import AnalyticsDigests, AuthContacts
from adly_notifications.adapters.feed_store import FeedRepository
from adly_notifications.adapters.mail_sender import mail_sender_for
from adly_notifications.adapters.mail_store import MailRepository
from adly_notifications.adapters.members_store import MemberRepository
from adly_notifications.adapters.preferences_store import PreferenceRepository
from adly_notifications.adapters.webhook_sender import HttpWebhookSender
from adly_notifications.adapters.webhook_store import WebhookRepository
from adly_notifications.handlers.ports import (
    ContactBook,
    DigestFigures,
    FeedStore,
    MailSender,
    MailStore,
    MemberStore,
    PreferenceStore,
    WebhookSender,
    WebhookStore,
)
from adly_notifications.settings import NotificationsSettings


@dataclass
class Adapters:
    settings: NotificationsSettings
    engine: AsyncEngine
    store: EventStore
    webhooks: WebhookStore
    webhook_sender: WebhookSender
    webhook_queue: Worklist
    webhook_random: Callable[[], float]   # the retry schedule's jitter, in [0, 1)
    feed: FeedStore
    members: MemberStore
    preferences: PreferenceStore
    mails: MailStore
    mail_queue: Worklist
    mail_sender: MailSender
    mail_random: Callable[[], float]      # the mail retry schedule's jitter, in [0, 1)
    contacts: ContactBook
    figures: DigestFigures
    unsubscribe_key: bytes


@asynccontextmanager
async def open_adapters(runtime: Runtime) -> AsyncIterator[Adapters]:
    settings = cast(NotificationsSettings, runtime.settings)
    async with AsyncExitStack() as stack:
        webhook_clients = [await stack.enter_async_context(make_client(
            timeout=settings.webhook_timeout_seconds, connect_timeout=min(5.0, settings.webhook_timeout_seconds),
            max_connections=2)) for _ in range(max(1, settings.webhook_concurrency // 2))]
        keyring = Keyring.from_setting(settings.encryption_keys.get_secret_value())
        internal = await stack.enter_async_context(make_client(timeout=10.0, connect_timeout=5.0))
        yield Adapters(
            settings=settings, engine=runtime.engine, store=runtime.store,
            webhooks=WebhookRepository(settings.schema, keyring, runtime.store),
            webhook_sender=HttpWebhookSender(webhook_clients, settings),
            webhook_queue=Worklist(settings.schema, "webhook_deliveries", runnable_states=["pending"],
                                   lease_seconds=settings.webhook_lease_seconds),
            webhook_random=random.random,
            feed=FeedRepository(settings.schema), members=MemberRepository(settings.schema),
            preferences=PreferenceRepository(settings.schema),
            mails=MailRepository(settings.schema),
            mail_queue=Worklist(settings.schema, "mails", runnable_states=["pending"],
                                lease_seconds=settings.mail_lease_seconds),
            mail_sender=mail_sender_for(settings), mail_random=random.random,
            contacts=AuthContacts(internal, settings), figures=AnalyticsDigests(internal, settings),
            unsubscribe_key=unsubscribe_key(settings),
        )


def unsubscribe_key(settings: NotificationsSettings) -> bytes:
    """The key of unsubscribe links: its own setting, else one derived from the encryption keys
    (a link must outlive a restart, so it cannot be random per process)."""
    if settings.unsubscribe_key is not None:
        return settings.unsubscribe_key.get_secret_value().encode()
    return hmac.new(settings.encryption_keys.get_secret_value().encode(), b"adly-unsubscribe-links",
                    hashlib.sha256).digest()
