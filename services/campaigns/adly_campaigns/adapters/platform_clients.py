"""What each ad platform's package builds: its three clients over one transport, so they share
the platform's rate-limit bookkeeping, and how to close them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from adly_campaigns.domain.ports import AdAccountLink, AdPublisher, PerformanceReader


@dataclass
class PlatformClients:
    publisher: AdPublisher
    link: AdAccountLink
    reports: PerformanceReader | None
    aclose: Callable[[], Awaitable[None]]
