"""domain of the notifications service (docs/notifications.md)."""
