"""The edges of the auth context: HTTP routes, event consumers, the mail runner and `rotate-keys`."""
