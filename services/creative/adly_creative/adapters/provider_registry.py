"""The providers a job may use: the offline ones (always there, no key) and clients of the
keyed ones, built per API key (a workspace's own key wins over the platform's).

Clients hold connection pools, so one client per (provider, modality, key) is kept and
reused by every job that uses that key; they are closed at shutdown.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from adly_creative.domain.routing import Modality, ProviderSet, can_serve

log = logging.getLogger(__name__)

# (api_key, base_url, timeout) -> a provider client implementing the modality's port.
Factory = Callable[[str, str | None, float], Any]
MAX_CLIENTS = 256


class ProviderRegistry:
    def __init__(self, offline: Mapping[Modality, Any], factories: Mapping[Modality, Mapping[str, Factory]] | None = None,
                 *, platform_keys: Mapping[str, str] | None = None, base_urls: Mapping[str, str | None] | None = None,
                 timeout: float = 90.0) -> None:
        self.offline = dict(offline)
        self.factories = {m: dict(f) for m, f in (factories or {}).items()}
        self.platform_keys = {k: v for k, v in (platform_keys or {}).items() if v}
        self.base_urls = dict(base_urls or {})
        self.timeout = timeout
        self._clients: OrderedDict[tuple[Modality, str, str], Any] = OrderedDict()

    def keys_for(self, workspace_keys: Mapping[str, str]) -> dict[str, str]:
        return self.platform_keys | {k: v for k, v in workspace_keys.items() if v}

    def keyed_providers(self, keys: Mapping[str, str]) -> set[str]:
        """Providers this process can build a client for, with the keys given."""
        return {name for factories in self.factories.values() for name in factories if name in keys}

    def for_keys(self, keys: Mapping[str, str]) -> ProviderSet:
        chosen = ProviderSet()
        for modality in Modality:
            providers: dict[str, Any] = {}
            if modality in self.offline and self.offline[modality] is not None:
                providers["offline"] = self.offline[modality]
            for name, factory in self.factories.get(modality, {}).items():
                if name in keys and can_serve(name, modality):
                    providers[name] = self._client(modality, name, keys[name], factory)
            chosen.by_modality[modality] = providers
        return chosen

    def _client(self, modality: Modality, name: str, key: str, factory: Factory) -> Any:
        slot = (modality, name, hashlib.sha256(key.encode()).hexdigest())
        client = self._clients.get(slot)
        if client is None:
            client = factory(key, self.base_urls.get(name), self.timeout)
            self._clients[slot] = client
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)  # a job holding it keeps it alive; GC closes it after
        self._clients.move_to_end(slot)
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients + list(self.offline.values()):
            close = getattr(client, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:  # closing is best effort at shutdown
                    log.warning("closing a provider client failed", exc_info=True)
