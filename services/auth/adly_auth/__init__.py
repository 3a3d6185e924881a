"""The auth context owns identity and access: users, sessions, tokens, 2FA, API keys, workspaces, roles."""
