"""Payloads of every published event, one module per bounded context.

Importing this package registers them all in `adly_events.CATALOG`.
"""

from adly_events.contracts import analytics, auth, campaigns, catalog, creative, notifications

__all__ = ["analytics", "auth", "campaigns", "catalog", "creative", "notifications"]
