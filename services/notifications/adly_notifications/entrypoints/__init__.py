"""entrypoints of the notifications service (docs/notifications.md)."""
